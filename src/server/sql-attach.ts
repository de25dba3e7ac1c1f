import type pino from 'pino';
import { PgUserSource } from '../store/pgsql/pg-source.js';
import { SqlClientTable } from './sql-clients.js';
import type { SqlUsersConfig } from './config.js';
import { ConfigError } from './config-error.js';
import type { Snapshot } from './snapshot.js';

/**
 * Opens the PostgreSQL source a snapshot's `users.sql` names (async, so outside the snapshot
 * loader's synchronous steps) and installs it as the snapshot's authorize module. A reload whose
 * `users.sql` and dictionary are unchanged keeps the running source with its rows and its
 * connection; anything else opens a new one, and a failure leaves the old snapshot serving.
 */
export async function attachSql(next: Snapshot, previous: Snapshot | undefined, logger: pino.Logger): Promise<void> {
  const cfg = next.config.users.sql;
  if (!cfg) return;
  const running = previous?.sqlSource;
  if (running && previous.dictionary === next.dictionary && sameSql(running.options, cfg)) {
    next.sqlSource = running.retain();
  } else {
    try {
      next.sqlSource = await PgUserSource.open(next.dictionary, cfg, logger);
    } catch (err) {
      throw new ConfigError([{ file: next.config.file, line: 0, message: (err as Error).message }]);
    }
    logger.info({ source: next.sqlSource.name, ...next.sqlSource.health() }, 'PostgreSQL user source loaded');
  }
  next.modules = [next.sqlSource];
  if (cfg.readClients) next.sqlClients = new SqlClientTable(next.sqlSource, logger);
}

function sameSql(a: SqlUsersConfig, b: SqlUsersConfig): boolean {
  return a.url === b.url && a.readGroups === b.readGroups && a.readProfiles === b.readProfiles && a.defaultProfile === b.defaultProfile &&
    a.pollIntervalMs === b.pollIntervalMs && a.maxStaleMs === b.maxStaleMs && a.changes === b.changes &&
    a.installTriggers === b.installTriggers && a.timeoutMs === b.timeoutMs && a.readClients === b.readClients;
}
