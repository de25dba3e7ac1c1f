import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RADIUS_USER, startPostgres, type PostgresCluster } from './postgres-cluster.js';
import { changeLogInstallSql } from '../store/pgsql/change-log.js';
import { type RunningServer, startServer } from '../server/server.js';

/**
 * The many-servers topology of docker/compose.pgsql.yaml on loopback, without Docker: a
 * PostgreSQL primary with FreeRADIUS's schema and the change log, a streaming replica made with
 * `pg_basebackup -R`, and two of our servers: `a` reading the primary, `b` the replica. Used by
 * test/pgsql/topology.test.ts and runnable by hand (bench/pg-topology.ts).
 */

export interface PgTopology {
  primary: PostgresCluster;
  replica: PostgresCluster;
  a: RunningServer;
  b: RunningServer;
  /** Auth ports of a and b. */
  ports: { a: number; b: number };
  secret: string;
  stop(): Promise<void>;
}

export interface PgTopologyOptions {
  /** users.sql.max_stale of both servers, seconds (default 5). */
  maxStale?: number;
  /** users.sql.poll_interval, seconds (default 0.1). */
  pollInterval?: number;
  /** SQL run on the primary before the replica is made (initial users). */
  seedSql?: string;
  logger?: pino.Logger;
}

export async function startPgTopology(opts: PgTopologyOptions = {}): Promise<PgTopology> {
  const secret = 'topology-secret-123';
  const primary = await startPostgres();
  let replica: PostgresCluster | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'vr-topo-'));
  const servers: RunningServer[] = [];
  try {
    primary.psql(`SET ROLE ${RADIUS_USER};\n${changeLogInstallSql()}`);
    if (opts.seedSql) primary.psql(opts.seedSql);
    replica = await startPostgres({ replicaOf: primary });
    const logger = opts.logger ?? pino({ level: 'silent' });
    for (const [name, db] of [['a', primary], ['b', replica]] as const) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
clients:
  - { name: lab, address: 127.0.0.0/8, secret: ${secret} }
users:
  sql:
    url: ${JSON.stringify(db.url)}
    poll_interval: ${opts.pollInterval ?? 0.1}
    max_stale: ${opts.maxStale ?? 5}
    timeout: 1
log: { level: info }
security: { reject_delay: 0 }
workers: 1
`);
      servers.push(await startServer(file, { logger: logger.child({ server: name }), watch: false }));
    }
  } catch (err) {
    await Promise.allSettled(servers.map((s) => s.close()));
    replica?.destroy();
    primary.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [a, b] = servers as [RunningServer, RunningServer];
  return {
    primary, replica, a, b, secret,
    ports: { a: a.addresses()[0]!.port, b: b.addresses()[0]!.port },
    stop: async () => {
      await Promise.allSettled([a.close(), b.close()]);
      replica!.destroy();
      primary.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
