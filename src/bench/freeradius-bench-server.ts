import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  DEBIAN_RADDB, copyRaddb, findFreeRadius, privateRadiusdConf, replaceOrFail, waitForReady,
} from './freeradius-process.js';
import { stopChild } from './stop-child.js';

export { DEBIAN_RADDB, findFreeRadius };

/**
 * FreeRADIUS set up the way the benchmark compares against: the packaged Debian raddb as an
 * admin gets it (the whole `default` site: filter_username, preprocess, chap, mschap, digest,
 * suffix, eap, files, expiration, logintime, pap, ... untouched), changed only where a benchmark
 * has to: loopback listeners on chosen ports, reject_delay 0, our client secret, our authorize
 * file (or rlm_sql on SQLite), the Vutlan dictionary, and files under a private directory.
 * Run with `-f` (foreground) and without `-X` (no debug logging), default thread pool.
 * Trimming the site for speed would flatter FreeRADIUS's setup cost and not be what admins run.
 */

/** How FreeRADIUS finds users. */
export type FreeRadiusUsers =
  | { kind: 'files'; authorizeFile: string }
  /**
   * rlm_sql on SQLite. `postAuthLogging` keeps the default site's post-auth `-sql` (an INSERT
   * into radpostauth per request); off by default because on SQLite it serialises every request
   * on the database lock ("database is locked", rejects), and our server does not write per
   * request either: read-only lookups against read-only lookups.
   */
  | { kind: 'sqlite'; database: string; postAuthLogging?: boolean };

export interface FreeRadiusBenchOptions {
  /** Private working directory (created; the raddb copy, logs and pid live here). */
  dir: string;
  /** Auth port on 127.0.0.1 / ::1; acct listens on port+1, inner-tunnel on port+2. */
  port: number;
  secret: string;
  users: FreeRadiusUsers;
  /** Our dictionary file to $INCLUDE (dictionaries/dictionary.vutlan). */
  vutlanDictionary: string;
  /** Source raddb; default DEBIAN_RADDB. */
  sourceRaddb?: string;
  /** Further changes to the prepared raddb before start (a TLS listener, a home server). */
  customize?: (raddb: string) => void;
}

/**
 * Copies the packaged raddb into `opts.dir/raddb` and applies the benchmark changes listed in
 * the module comment. Returns the raddb path. Throws when the packaged layout is not recognised.
 */
export function prepareFreeRadiusConfig(opts: FreeRadiusBenchOptions): string {
  const dir = resolve(opts.dir);
  const raddb = join(dir, 'raddb');
  rmSync(raddb, { recursive: true, force: true });
  mkdirSync(join(dir, 'log'), { recursive: true });
  mkdirSync(join(dir, 'run'), { recursive: true });
  copyRaddb(raddb, opts.sourceRaddb);

  const confPath = join(raddb, 'radiusd.conf');
  const conf = privateRadiusdConf(readFileSync(confPath, 'utf8'), {
    raddbdir: raddb, logdir: join(dir, 'log'), runDir: join(dir, 'run'),
  });
  writeFileSync(confPath, conf);

  const sitePath = join(raddb, 'sites-available', 'default');
  let site = readFileSync(sitePath, 'utf8');
  site = site.replace(/^(\s*)ipaddr = \*/gm, '$1ipaddr = 127.0.0.1');
  site = site.replace(/^(\s*)ipv6addr = ::(\s|$)/gm, '$1ipv6addr = ::1$2');
  // Listeners in order: v4 auth, v4 acct, v6 auth, v6 acct.
  let n = 0;
  site = site.replace(/^(\s*)port = 0\b/gm, (_m, indent: string) => `${indent}port = ${opts.port + (n++ % 2)}`);
  if (n < 2) throw new Error('FreeRADIUS config: default site has no "port = 0" listeners');
  if (opts.users.kind === 'sqlite' && !opts.users.postAuthLogging) {
    const at = site.search(/^post-auth \{/m);
    if (at < 0) throw new Error('FreeRADIUS config: default site has no post-auth section');
    site = site.slice(0, at) + site.slice(at).replace(/^(\s*)-sql\s*$/gm, '$1#-sql (benchmark: no per-request INSERT)');
  }
  writeFileSync(sitePath, site);

  const innerPath = join(raddb, 'sites-available', 'inner-tunnel');
  if (existsSync(innerPath)) {
    const inner = readFileSync(innerPath, 'utf8').replace(/port = 18120/, `port = ${opts.port + 2}`);
    writeFileSync(innerPath, inner);
  }

  const clientsPath = join(raddb, 'clients.conf');
  let clients = readFileSync(clientsPath, 'utf8').replace(/^(\s*)secret(\s*)= testing123/gm, `$1secret$2= ${opts.secret}`);
  clients += `\nclient bench_loopback {\n\tipaddr = 127.0.0.0/8\n\tsecret = ${opts.secret}\n}\n`;
  writeFileSync(clientsPath, clients);

  appendFileSync(join(raddb, 'dictionary'), `\n$INCLUDE ${resolve(opts.vutlanDictionary)}\n`);

  if (opts.users.kind === 'files') {
    const filesPath = join(raddb, 'mods-available', 'files');
    const files = replaceOrFail(readFileSync(filesPath, 'utf8'), /^(\s*)filename = .*$/m,
      `$1filename = ${resolve(opts.users.authorizeFile)}`, 'files filename');
    writeFileSync(filesPath, files);
  } else {
    const sqlPath = join(raddb, 'mods-available', 'sql');
    let sql = readFileSync(sqlPath, 'utf8');
    sql = replaceOrFail(sql, /^(\s*)driver = "rlm_sql_null"/m, '$1driver = "rlm_sql_sqlite"', 'sql driver');
    sql = replaceOrFail(sql, /^(\s*)dialect = "\w+"/m, '$1dialect = "sqlite"', 'sql dialect');
    sql = replaceOrFail(sql, /^(\s*)filename = "\/tmp\/freeradius.db"/m, `$1filename = "${resolve(opts.users.database)}"`, 'sqlite filename');
    writeFileSync(sqlPath, sql);
    symlinkSync('../mods-available/sql', join(raddb, 'mods-enabled', 'sql'));
  }
  return raddb;
}

/** A running FreeRADIUS. */
export interface RunningFreeRadius {
  readonly port: number;
  readonly pid: number;
  readonly raddb: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. */
  stop(): Promise<void>;
}

/**
 * Prepares the config and starts `freeradius -f -d <raddb>`; resolves once its log says it is
 * ready. Rejects with the log tail when it exits or is not ready within `timeoutMs`.
 */
export async function startFreeRadius(opts: FreeRadiusBenchOptions & { binary?: string; timeoutMs?: number }): Promise<RunningFreeRadius> {
  const binary = opts.binary ?? findFreeRadius();
  if (!binary) throw new Error('FreeRADIUS is not installed (no freeradius or radiusd in PATH)');
  const raddb = prepareFreeRadiusConfig(opts);
  opts.customize?.(raddb);
  const logFile = join(resolve(opts.dir), 'log', 'radius.log');
  rmSync(logFile, { force: true });
  const child: ChildProcess = spawn(binary, ['-f', '-d', raddb], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const state = await waitForReady(child, log, timeoutMs);
  if (state === 'exited') {
    throw new Error(`FreeRADIUS exited (${child.exitCode ?? child.signalCode}):\n${stderr}${log().slice(-2000)}`);
  }
  if (state === 'timeout') {
    child.kill('SIGKILL');
    throw new Error(`FreeRADIUS not ready after ${timeoutMs} ms:\n${stderr}${log().slice(-2000)}`);
  }
  return {
    port: opts.port,
    pid: child.pid!,
    raddb,
    stop: () => stopChild(child, 5000),
  };
}
