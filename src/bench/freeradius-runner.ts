import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DEBIAN_RADDB, copyRaddb, findFreeRadius, privateRadiusdConf, replaceOrFail, waitForReady,
} from './freeradius-process.js';
import { freeUdpPort } from './free-ports.js';
import { stopChild } from './stop-child.js';

export { DEBIAN_RADDB, findFreeRadius };

/**
 * Runs the real FreeRADIUS 3.2.1 (Debian `freeradius`) beside our server, for differential
 * tests and benchmarks: a private copy of the packaged raddb (/etc/freeradius/3.0) with the
 * default site's authorize / authenticate / post-auth sections untouched, changed only where
 * a side-by-side run must:
 * - one auth listener on 127.0.0.1:<free port>; no acct, no IPv6, no inner-tunnel listeners;
 * - `reject_delay = 0` (tests would otherwise wait a second per reject);
 * - the given users file as `files` module's authorize file, the given clients, and our
 *   dictionary $INCLUDEd from raddb/dictionary (as an admin would);
 * - log, pid and run files inside the private directory; no user/group switch (the raddb copy
 *   lives in a root-only temp dir when run as root).
 */

export interface FreeRadiusRunOptions {
  /** Users (authorize) file to load, absolute or relative to cwd. */
  usersFile: string;
  /** Shared secret for the client 127.0.0.0/8. */
  secret: string;
  /** Local dictionary entry file to $INCLUDE from raddb/dictionary (e.g. dictionaries/dictionary). */
  dictionary?: string;
  /** Extra clients.conf text appended after the loopback client. */
  extraClients?: string;
  /** Source raddb (default DEBIAN_RADDB). */
  sourceRaddb?: string;
  /** Run with -X (debug log to the log file); default true, so failures can be diagnosed. */
  debug?: boolean;
  /**
   * Also enable rlm_sql with the PostgreSQL driver on this database (the stock queries; the
   * default site already calls `-sql` after `files` in authorize).
   */
  sql?: { host: string; port: number; user: string; password: string; database: string };
  /** Also listen for Accounting-Requests on this port (127.0.0.1). */
  acctPort?: number;
  /** With `sql`: keep the default site's post-auth `-sql` (an INSERT per request); default true. */
  sqlPostAuth?: boolean;
}

/** A running FreeRADIUS. */
export interface RunningFreeRadius {
  port: number;
  address: string;
  /** Process id of radiusd (CPU accounting in benchmarks). */
  pid: number;
  /** The private raddb directory. */
  raddb: string;
  /** Path of the log file (debug output with -X). */
  logFile: string;
  /** Stops the server and removes the private directory. */
  stop(): Promise<void>;
}


/** Removes every top-level `listen { ... }` block (comments ignored when counting braces). */
function removeListenBlocks(site: string): string {
  const lines = site.split('\n');
  const out: string[] = [];
  let depth = 0;
  let skipping = false;
  let skipDepth = 0;
  for (const line of lines) {
    const code = line.replace(/#.*$/, '');
    if (!skipping && /^\s*listen\s*\{/.test(code) && depth === 1) { skipping = true; skipDepth = depth; }
    for (const c of code) {
      if (c === '{') depth++;
      else if (c === '}') depth--;
    }
    if (skipping) {
      if (depth === skipDepth) skipping = false;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/**
 * Builds the private raddb for `opts` on `port` and returns its directory (caller removes it).
 */
export function prepareRaddb(opts: FreeRadiusRunOptions, port: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'fr-diff-'));
  const raddb = join(dir, 'raddb');
  copyRaddb(raddb, opts.sourceRaddb);

  const conf = privateRadiusdConf(readFileSync(join(raddb, 'radiusd.conf'), 'utf8'), { logdir: dir, runDir: dir });
  writeFileSync(join(raddb, 'radiusd.conf'), conf);

  for (const site of ['inner-tunnel', 'default']) {
    const p = join(raddb, 'sites-enabled', site);
    if (existsSync(p) || isSymlink(p)) unlinkSync(p);
  }
  let site = readFileSync(join(raddb, 'sites-available', 'default'), 'utf8');
  site = removeListenBlocks(site);
  if (opts.sql && opts.sqlPostAuth === false) {
    const at = site.search(/^post-auth \{/m);
    if (at < 0) throw new Error('FreeRADIUS config: default site has no post-auth section');
    site = site.slice(0, at) + site.slice(at).replace(/^(\s*)-sql\s*$/gm, '$1#-sql (benchmark: no per-request INSERT)');
  }
  site = replaceOrFail(site, /^server default \{\s*$/m,
    `server default {\nlisten {\n\ttype = auth\n\tipaddr = 127.0.0.1\n\tport = ${port}\n}\n${opts.acctPort ? `listen {\n\ttype = acct\n\tipaddr = 127.0.0.1\n\tport = ${opts.acctPort}\n}\n` : ''}`, 'server default');
  writeFileSync(join(raddb, 'sites-enabled', 'default'), site);

  writeFileSync(join(raddb, 'clients.conf'),
    `client loopback {\n\tipaddr = 127.0.0.0/8\n\tsecret = ${JSON.stringify(opts.secret)}\n}\n${opts.extraClients ?? ''}\n`);

  let files = readFileSync(join(raddb, 'mods-available', 'files'), 'utf8');
  files = replaceOrFail(files, /^\s*filename = .*$/m, `\tfilename = ${resolve(opts.usersFile)}`, 'files filename');
  const filesPath = join(raddb, 'mods-enabled', 'files');
  unlinkSync(filesPath);
  writeFileSync(filesPath, files);

  if (opts.dictionary) writeFileSync(join(raddb, 'dictionary'), `$INCLUDE ${resolve(opts.dictionary)}\n`);
  if (opts.sql) {
    const q = opts.sql;
    let sql = readFileSync(join(raddb, 'mods-available', 'sql'), 'utf8');
    sql = replaceOrFail(sql, /^(\s*)driver = "rlm_sql_null"/m, '$1driver = "rlm_sql_postgresql"', 'sql driver');
    sql = replaceOrFail(sql, /^(\s*)dialect = "\w+"/m, '$1dialect = "postgresql"', 'sql dialect');
    sql = replaceOrFail(sql, /^(\s*)radius_db = "radius"/m,
      `$1radius_db = "host=${q.host} port=${q.port} dbname=${q.database} user=${q.user} password=${q.password}"`, 'sql radius_db');
    writeFileSync(join(raddb, 'mods-available', 'sql'), sql);
    symlinkSync('../mods-available/sql', join(raddb, 'mods-enabled', 'sql'));
  }
  return raddb;
}

function isSymlink(p: string): boolean {
  try {
    return spawnSync('test', ['-L', p]).status === 0;
  } catch {
    return false;
  }
}

/**
 * Starts FreeRADIUS on a free loopback port and resolves once it reports "Ready to process
 * requests" (rejects with the log tail when it exits or takes longer than 20 s).
 */
export async function startFreeRadius(opts: FreeRadiusRunOptions): Promise<RunningFreeRadius> {
  const bin = findFreeRadius();
  if (!bin) throw new Error('FreeRADIUS (freeradius / radiusd) is not installed');
  const port = await freeUdpPort();
  const raddb = prepareRaddb(opts, port);
  const dir = resolve(raddb, '..');
  const logFile = join(dir, 'freeradius.log');
  const args = opts.debug === false ? ['-f', '-d', raddb, '-l', logFile] : ['-X', '-d', raddb];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const onData = (b: Buffer): void => {
    output += b.toString('utf8');
    if (output.length > 4_000_000) output = output.slice(-1_000_000);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);

  const ready = (await waitForReady(child, () => (
    opts.debug === false && existsSync(logFile) ? readFileSync(logFile, 'utf8') : output
  ), 20_000)) === 'ready';
  const stop = async (): Promise<void> => {
    await stopChild(child, 3000);
    writeFileSync(logFile, output, { flag: 'a' });
    if (!process.env.KEEP_FREERADIUS_DIR) rmSync(dir, { recursive: true, force: true });
  };
  if (!ready) {
    await stop();
    throw new Error(`FreeRADIUS did not start:\n${output.slice(-3000)}`);
  }
  return { port, address: '127.0.0.1', pid: child.pid ?? 0, raddb, logFile, stop, get output() { return output; } } as RunningFreeRadius;
}

/** Result of `freeradius -XC` on a configuration. */
export interface FreeRadiusCheck {
  ok: boolean;
  exitCode: number | null;
  output: string;
  /** `<file>[<line>]: <message>` lines about the users file, parsed. */
  errors: { file: string; line: number; message: string }[];
}

/**
 * Runs `freeradius -XC` with the given users file (and dictionary) and returns whether it
 * loads, with the `file[line]: message` errors FreeRADIUS printed.
 */
export async function checkWithFreeRadius(opts: FreeRadiusRunOptions): Promise<FreeRadiusCheck> {
  const bin = findFreeRadius();
  if (!bin) throw new Error('FreeRADIUS (freeradius / radiusd) is not installed');
  const port = await freeUdpPort();
  const raddb = prepareRaddb(opts, port);
  try {
    const r = spawnSync(bin, ['-XC', '-d', raddb], { encoding: 'utf8', timeout: 30_000 });
    const output = `${r.stdout}${r.stderr}`;
    const errors: FreeRadiusCheck['errors'] = [];
    for (const m of output.matchAll(/^(?:[^\n]*?\s)?(\/[^\s[]+)\[(\d+)\]: ([^\n]*)$/gm)) {
      errors.push({ file: m[1]!, line: Number(m[2]), message: m[3]! });
    }
    return { ok: r.status === 0, exitCode: r.status, output, errors };
  } finally {
    rmSync(resolve(raddb, '..'), { recursive: true, force: true });
  }
}
