import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private PostgreSQL cluster for tests, benchmarks and the topology script: `initdb` in a temp
 * directory, run as the `postgres` user when we are root (PostgreSQL refuses to run as root),
 * listening on 127.0.0.1 on a free port and on a Unix socket inside that directory. It never
 * touches a system cluster. The database is created with FreeRADIUS's own PostgreSQL schema
 * (Debian `freeradius-postgresql`: mods-config/sql/main/postgresql/schema.sql), loaded unchanged.
 *
 * Roles: `postgres` (superuser, trusted over the Unix socket only) and `radius` (password
 * `RADIUS_PASSWORD`, owner of the database, scram-sha-256 over TCP), so a wrong password is a
 * real authentication failure.
 */

export const RADIUS_USER = 'radius';
export const RADIUS_PASSWORD = 'radpass';
export const RADIUS_DATABASE = 'radius';

/** Where Debian installs FreeRADIUS's PostgreSQL schema. */
export const FREERADIUS_PG_SCHEMA = '/etc/freeradius/3.0/mods-config/sql/main/postgresql/schema.sql';

/** The bin directory of the newest installed PostgreSQL (Debian layout), or undefined. */
export function findPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/** Why a PostgreSQL test cannot run here (binaries or schema missing), or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  if (!findPostgresBin()) return 'PostgreSQL binaries (Debian package postgresql) are not installed';
  if (!existsSync(FREERADIUS_PG_SCHEMA)) return `FreeRADIUS's PostgreSQL schema (${FREERADIUS_PG_SCHEMA}, Debian package freeradius-postgresql) is missing`;
  return undefined;
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res, rej) => { srv.once('error', rej); srv.listen(0, '127.0.0.1', () => res()); });
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresIds(): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  if (!passwd) throw new Error('running as root, but there is no "postgres" user to run PostgreSQL as');
  const f = passwd.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** Runs a PostgreSQL program as the postgres user when root; throws with its output on failure. */
function runPg(bin: string, program: string, args: string[], opts: { input?: string; timeoutMs?: number; allowFail?: boolean } = {}): SpawnSyncReturns<string> {
  const exe = join(bin, program);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  const r = spawnSync(cmd, argv, {
    encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, input: opts.input, cwd: tmpdir(),
    env: { ...process.env, LC_ALL: 'C', LANG: 'C', PGTZ: 'UTC' },
  });
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${program} ${args.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stdout}${r.stderr}`);
  }
  return r;
}

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** Load FreeRADIUS's schema into the `radius` database (default true). */
  schema?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  /** Start as a streaming replica of this cluster (pg_basebackup -R) instead of initdb. */
  replicaOf?: PostgresCluster;
}

/** A running private cluster. */
export interface PostgresCluster {
  readonly dir: string;
  readonly dataDir: string;
  readonly port: number;
  readonly bin: string;
  /** `postgresql://radius:radpass@127.0.0.1:<port>/radius`. */
  readonly url: string;
  /** Runs SQL as the superuser on the `radius` database through psql; returns its output (unaligned, tuples only). */
  psql(sql: string, database?: string): string;
  /** Stops the server (fast shutdown), keeping the data directory. */
  stop(mode?: 'fast' | 'immediate'): void;
  /** Starts it again on the same port and data directory. */
  start(): void;
  readonly running: boolean;
  /** Stops it and removes the directory. */
  destroy(): void;
}

const DEFAULT_SETTINGS: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  // a throw-away test cluster: durability of the cluster itself is not under test
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_buffers: '32MB',
  max_connections: '100',
  wal_level: 'replica',
  max_wal_senders: '5',
  hot_standby: 'on',
  log_min_messages: 'warning',
  timezone: 'UTC',
};

/**
 * Starts a private cluster on a free loopback port. Throws with PostgreSQL's output when it
 * cannot (callers that may skip check {@link postgresUnavailable} first).
 */
export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresCluster> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = findPostgresBin()!;
  const dir = mkdtempSync(join(tmpdir(), 'vr-pg-'));
  const dataDir = join(dir, 'data');
  const ids = isRoot ? postgresIds() : undefined;
  if (ids) {
    chownSync(dir, ids.uid, ids.gid);
    chmodSync(dir, 0o700);
  }
  const port = await freeTcpPort();
  try {
    if (opts.replicaOf) {
      const primary = opts.replicaOf;
      runPg(bin, 'pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast'], { timeoutMs: 120_000 });
    } else {
      const pwfile = join(dir, 'pw');
      writeFileSync(pwfile, 'postgres-not-used\n');
      if (ids) chownSync(pwfile, ids.uid, ids.gid);
      runPg(bin, 'initdb', ['-D', dataDir, '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${pwfile}`]);
      rmSync(pwfile);
      // replication connections (pg_basebackup, the replica) from loopback need no password
      const hba = join(dataDir, 'pg_hba.conf');
      // (first match wins: before initdb's own replication lines, which ask for a password)
      writeFileSync(hba, `host replication postgres 127.0.0.1/32 trust\n${readFileSync(hba, 'utf8')}`);
    }
    const settings = { ...DEFAULT_SETTINGS, ...opts.settings, port: String(port), unix_socket_directories: dir };
    const conf = join(dataDir, 'postgresql.conf');
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}\n# vutlan-radius test cluster\n${Object.entries(settings).map(([k, v]) => `${k} = '${v}'`).join('\n')}\n`);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let running = false;
  const logFile = join(dir, 'postgres.log');
  const cluster: PostgresCluster = {
    dir, dataDir, port, bin,
    url: `postgresql://${RADIUS_USER}:${RADIUS_PASSWORD}@127.0.0.1:${port}/${RADIUS_DATABASE}`,
    get running() { return running; },
    psql(sql: string, database = RADIUS_DATABASE): string {
      const r = runPg(bin, 'psql', ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-q', '-A', '-t', '-X'], { input: sql });
      return r.stdout;
    },
    start(): void {
      runPg(bin, 'pg_ctl', ['-D', dataDir, '-l', logFile, '-w', '-t', '60', 'start']);
      running = true;
    },
    stop(mode: 'fast' | 'immediate' = 'fast'): void {
      if (!running) return;
      runPg(bin, 'pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { allowFail: true });
      running = false;
    },
    destroy(): void {
      cluster.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    cluster.start();
    if (!opts.replicaOf) {
      cluster.psql(`CREATE ROLE ${RADIUS_USER} LOGIN PASSWORD '${RADIUS_PASSWORD}'; CREATE DATABASE ${RADIUS_DATABASE} OWNER ${RADIUS_USER};`, 'postgres');
      if (opts.schema !== false) {
        // the schema as packaged, run as the radius role so it owns the tables (as setup.sql intends)
        cluster.psql(`SET ROLE ${RADIUS_USER};\n${readFileSync(FREERADIUS_PG_SCHEMA, 'utf8')}`);
      }
    }
  } catch (err) {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-3000) : '';
    cluster.destroy();
    throw new Error(`${(err as Error).message}${log ? `\npostgres log:\n${log}` : ''}`);
  }
  return cluster;
}

/**
 * For test files: whether PostgreSQL tests run here. Outside CI a missing PostgreSQL skips them
 * with a message; with CI=true they must run, so a missing install fails loudly instead.
 */
export function postgresTestsEnabled(what: string): boolean {
  const why = postgresUnavailable();
  if (!why) return true;
  if (process.env.CI === 'true') throw new Error(`${what}: ${why}, and CI=true: PostgreSQL tests never skip in CI (see .ci/run)`);
  console.warn(`${why}: skipping ${what} (it runs when CI=true)`);
  return false;
}
