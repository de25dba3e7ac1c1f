/**
 * What the PostgreSQL tests share: a cluster of their own (src/bench/postgres-cluster.ts, the
 * FreeRADIUS schema loaded), a temporary directory with radiusd.yaml and any files beside it,
 * our server started in-process on it, and a UDP client; stop() takes all of it down again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { UdpClient } from '../support/raw-radius.js';

export interface PgServer {
  pgc: PostgresCluster;
  dir: string;
  server: RunningServer;
  /** The port of the first listener. */
  port: number;
  client: UdpClient;
  stop(): Promise<void>;
}

export interface PgServerOptions {
  /** radiusd.yaml, given the cluster (for its url). */
  config: (pgc: PostgresCluster) => string;
  /** Further files of the directory (name -> text), e.g. an authorize file. */
  files?: Record<string, string>;
  /** SQL run on the cluster before the server starts. */
  seedSql?: string;
  logger?: pino.Logger;
}

export async function startPgServer(opts: PgServerOptions): Promise<PgServer> {
  const pgc = await startPostgres();
  const dir = mkdtempSync(join(tmpdir(), 'vr-pg-'));
  let server: RunningServer | undefined;
  try {
    if (opts.seedSql) pgc.psql(opts.seedSql);
    for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'radiusd.yaml'), opts.config(pgc));
    server = await startServer(join(dir, 'radiusd.yaml'), { logger: opts.logger ?? pino({ level: 'silent' }), watch: false });
    const client = await UdpClient.open();
    const running = server;
    return {
      pgc, dir, server: running, port: running.addresses()[0]!.port, client,
      stop: async () => {
        client.close();
        await running.close();
        pgc.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server?.close();
    pgc.destroy();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
