import { loadConfig } from '../server/config.js';
import type { Dictionary } from '../protocol/dictionary.js';
import type { ProfileStore } from '../store/profile-store.js';
import { SqlUserStore } from '../store/pgsql/sql-user-store.js';
import { ProfileError } from '../store/sqlite/profile.js';
import type { OpenOptions } from '../store/sqlite/schema.js';
import { SqliteProfileStore } from '../store/sqlite/sqlite-profile-store.js';

/**
 * Which store a `users` command works on: `--db FILE` (SQLite), `--sql URL` (FreeRADIUS's schema
 * in PostgreSQL), or `-c CONFIG` (the server's own: `users.sql.url`, else `users.sqlite`; with
 * both, `--store sql|sqlite` picks). Exactly one of the three.
 */
export interface StoreOptions {
  db?: string;
  sql?: string;
  config?: string;
  store?: string;
  dictionary?: string;
}

export type StoreTarget = { kind: 'sqlite'; path: string; dictionary?: string } | { kind: 'sql'; url: string; dictionary?: string; timeoutMs?: number };

/** Resolves the options to one store; ProfileError (exit 2) when they do not name exactly one. */
export function storeTarget(o: StoreOptions): StoreTarget {
  const given = [o.db, o.sql, o.config].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new ProfileError('invalid_argument', 'give the store: --db FILE (SQLite), --sql URL (PostgreSQL) or -c CONFIG (the server\'s users.sqlite / users.sql)');
  }
  if (o.store !== undefined && o.store !== 'sql' && o.store !== 'sqlite') throw new ProfileError('invalid_argument', '--store: sql or sqlite');
  if (o.db !== undefined) return { kind: 'sqlite', path: o.db };
  if (o.sql !== undefined) return { kind: 'sql', url: o.sql };
  const config = loadConfig(o.config!);
  const { sqlite, sql } = config.users;
  const kind = (o.store ?? (sql && !sqlite ? 'sql' : sqlite && !sql ? 'sqlite' : undefined)) as 'sql' | 'sqlite' | undefined;
  if (kind === undefined) {
    throw new ProfileError('invalid_argument', sql
      ? `${o.config}: has both users.sqlite and users.sql: add --store sqlite or --store sql`
      : `${o.config}: has neither users.sqlite nor users.sql.url: add one, or give --db FILE / --sql URL`);
  }
  if (kind === 'sql' && !sql) throw new ProfileError('invalid_argument', `${o.config}: no users.sql.url`);
  if (kind === 'sqlite' && !sqlite) throw new ProfileError('invalid_argument', `${o.config}: no users.sqlite`);
  return kind === 'sql'
    ? { kind, url: sql!.url, dictionary: config.dictionary, timeoutMs: sql!.timeoutMs }
    : { kind, path: sqlite!, dictionary: config.dictionary };
}

/** Opens the store; `sqliteMode` says whether a SQLite store may be created or written. */
export async function openProfileStore(target: StoreTarget, sqliteMode: OpenOptions, dict: () => Dictionary): Promise<ProfileStore> {
  if (target.kind === 'sqlite') return new SqliteProfileStore(target.path, sqliteMode, dict);
  return SqlUserStore.open(target.url, dict, target.timeoutMs);
}
