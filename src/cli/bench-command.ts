import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CompareResult } from '../bench/compare.js';
import type { LoadResult } from '../bench/load-generator.js';

// src/bench (load generator, FreeRADIUS runner, data writers) is imported only when `bench` runs,
// so `serve`, `check` and the other commands never load it.

function positiveInt(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
}

function seconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
}

function hostPort(v: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(v) ?? /^([^:]+):(\d+)$/.exec(v);
  if (m) return { host: m[1]!, port: Number(m[2]) };
  if (/^[^:]+$/.test(v) || /^\[.+\]$/.test(v)) return { host: v.replace(/^\[|\]$/g, ''), port: 1812 };
  throw new InvalidArgumentError('must be HOST, HOST:PORT or [IPv6]:PORT');
}

/** One result as the aligned line the command prints. */
function formatLoadResult(label: string, r: LoadResult, invalidCount: (r: LoadResult) => number): string {
  const errors = invalidCount(r);
  return `${label.padEnd(12)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p90 ${r.p90.toFixed(2)} ms  ` +
    `p99 ${r.p99.toFixed(2)} ms  max ${Number.isNaN(r.max) ? '-' : r.max.toFixed(2)} ms  ` +
    `ok ${r.ok}  other-code ${r.unexpectedCode}  invalid ${errors}  timeouts ${r.timeouts}`;
}

function formatCompare(c: CompareResult): string {
  const line = (name: string, s: CompareResult['ours']) =>
    `${name.padEnd(12)} median of ${s.rounds}: ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50.toFixed(2)} ms  p99 ${s.p99.toFixed(2)} ms  ` +
    `cpu ${s.cpuUsPerRequest.toFixed(1)} us/req  errors ${s.errors}`;
  const lines = [
    line('vutlan', c.ours),
    line('freeradius', c.freeradius),
    `ratio        req/s ${c.rpsRatio.toFixed(2)}x  p99 ${c.p99Ratio.toFixed(2)}x  cpu/req ${(c.ours.cpuUsPerRequest / c.freeradius.cpuUsPerRequest).toFixed(2)}x (ours / FreeRADIUS)`,
  ];
  if (c.radload) {
    lines.push(
      line('vutlan/rl', c.radload.ours),
      line('freeradius/rl', c.radload.freeradius),
      `ratio (radload) req/s ${(c.radload.ours.rps / c.radload.freeradius.rps).toFixed(2)}x  p99 ${(c.radload.ours.p99 / c.radload.freeradius.p99).toFixed(2)}x`,
    );
  }
  return lines.join('\n');
}

interface BenchFlags {
  server: { host: string; port: number };
  secret: string;
  users: number;
  usersPrefix: string;
  userScheme?: 'hex' | 'device';
  duration: number;
  warmup: number;
  inflight: number;
  sockets: number;
  nasIp: string;
  timeout: number;
  expect: 'accept' | 'reject';
  dictionary?: string;
  json?: boolean;
  requireMessageAuthenticator: boolean;
  compare?: 'freeradius';
  rounds: number;
  source: 'files' | 'sqlite';
  replyAttributes: number;
  generator: 'ours' | 'radload' | 'both';
  radload?: string;
  workDir?: string;
  keepWorkDir?: boolean;
  workers?: string;
  freeradiusPostauthSql?: boolean;
}

/**
 * Registers `vutlan-radius bench`: a closed-loop Access-Request load generator (fresh
 * authenticators, Message-Authenticator on, every reply verified) that reports req/s and
 * latency percentiles; with `--compare freeradius` it starts FreeRADIUS and our server on the
 * same generated users and runs interleaved rounds. `bench generate` writes the users.
 */
export function registerBenchCommand(program: Command): void {
  const bench = program
    .command('bench')
    .description('load-test a RADIUS server (req/s, p50/p90/p99/max latency), or compare with FreeRADIUS side by side')
    .addOption(new Option('--server <host:port>', 'server to load').argParser(hostPort).default({ host: '127.0.0.1', port: 1812 }, '127.0.0.1:1812'))
    .option('--secret <secret>', 'shared secret', 'testing123')
    .option('--users <n>', 'users user0..user<n-1>, requested round-robin', positiveInt('--users'), 1000)
    .option('--users-prefix <prefix>', 'User-Name prefix of the generated users', 'user')
    .addOption(new Option('--user-scheme <scheme>', 'generated users: hex (user0.., radload-compatible) or device (user0000001.., SHA-1 hex passwords; default for --source sqlite)').choices(['hex', 'device']))
    .option('--duration <s>', 'measured seconds (per round with --compare)', seconds, 10)
    .option('--warmup <s>', 'warm-up seconds before measuring', seconds, 0.5)
    .option('--inflight <n>', 'requests in flight (closed loop)', positiveInt('--inflight'), 64)
    .option('--sockets <n>', 'UDP sockets to spread requests over', positiveInt('--sockets'), 4)
    .option('--nas-ip <ip>', 'NAS-IP-Address to send', '10.0.0.5')
    .option('--timeout <ms>', 'a request without reply after this long counts as a timeout', positiveInt('--timeout'), 1000)
    .addOption(new Option('--expect <code>', 'expected reply').choices(['accept', 'reject']).default('accept'))
    .option('--dictionary <file>', 'entry dictionary (default: the bundled one)')
    .option('--json', 'print the result as JSON')
    .option('--no-require-message-authenticator', 'accept replies without Message-Authenticator (FreeRADIUS 3.2.1 does not sign Access-Accept)')
    .addOption(new Option('--compare <server>', 'start FreeRADIUS and our server on the same users, interleaved rounds').choices(['freeradius']))
    .option('--rounds <n>', 'rounds per server with --compare', positiveInt('--rounds'), 3)
    .addOption(new Option('--source <kind>', 'user store for --compare').choices(['files', 'sqlite']).default('files'))
    .option('--reply-attributes <n>', 'Vutlan attributes per Accept in generated users (0..8)', positiveIntOrZero, 4)
    .addOption(new Option('--generator <which>', 'load generator: ours, radload (C, needs --radload), or both (--compare: each round runs both)').choices(['ours', 'radload', 'both']).default('ours'))
    .option('--radload <path>', 'radload binary (for --generator radload)')
    .option('--work-dir <dir>', 'where --compare writes users, configs and logs (default: a fresh temp dir)')
    .option('--keep-work-dir', 'keep the --compare work dir')
    .option('--workers <n|auto>', 'our server\'s workers setting for --compare')
    .option('--freeradius-postauth-sql', 'with --source sqlite: keep the default site\'s per-request post-auth INSERT (stock rlm_sql)')
    .action(async (flags: BenchFlags) => {
      const [{ loadDictionary }, { compareWithFreeRadius }, { findFreeRadius }, { invalidCount, runLoad }, { ourDictionaryPath }, { runRadload }] = await Promise.all([
        import('../protocol/dictionary-loader.js'), import('../bench/compare.js'), import('../bench/freeradius-bench-server.js'),
        import('../bench/load-generator.js'), import('../bench/our-server-process.js'), import('../bench/radload-runner.js'),
      ]);
      const dict = loadDictionary(flags.dictionary ?? ourDictionaryPath());
      if (flags.compare === 'freeradius') {
        if (!findFreeRadius()) {
          console.error('bench: FreeRADIUS is not installed (apt-get install freeradius)');
          process.exitCode = 2;
          return;
        }
        const workDir = flags.workDir ?? mkdtempSync(join(tmpdir(), 'vutlan-bench-'));
        try {
          const result = await compareWithFreeRadius({
            dict, workDir, users: flags.users, prefix: flags.usersPrefix, scheme: flags.userScheme, replyAttributes: flags.replyAttributes,
            source: flags.source, rounds: flags.rounds, durationMs: flags.duration * 1000, warmupMs: flags.warmup * 1000,
            inflight: flags.inflight, sockets: flags.sockets, secret: flags.secret, nasIp: flags.nasIp,
            generator: flags.generator, radloadBinary: flags.radload, freeradiusPostAuthSql: flags.freeradiusPostauthSql,
            workers: flags.workers === undefined ? undefined : flags.workers === 'auto' ? 'auto' : Number(flags.workers),
            writeOurSqlite: flags.source === 'sqlite' ? await ourSqliteWriter(flags) : undefined,
            log: flags.json ? undefined : (l) => console.log(l),
          });
          console.log(flags.json ? JSON.stringify(result, null, 2) : formatCompare(result));
          if (result.ours.errors > 0) process.exitCode = 1;
        } finally {
          if (!flags.keepWorkDir && !flags.workDir) rmSync(workDir, { recursive: true, force: true });
        }
        return;
      }
      const common = { host: flags.server.host, port: flags.server.port, secret: flags.secret, users: flags.users, prefix: flags.usersPrefix, scheme: flags.userScheme, nasIp: flags.nasIp, durationMs: flags.duration * 1000, inflight: flags.inflight };
      const result = flags.generator === 'radload' && flags.radload
        ? await runRadload({ ...common, binary: flags.radload })
        : await runLoad({ ...common, dict, warmupMs: flags.warmup * 1000, sockets: flags.sockets, timeoutMs: flags.timeout, requireMessageAuthenticator: flags.requireMessageAuthenticator, expectCode: flags.expect === 'accept' ? 2 : 3 });
      console.log(flags.json ? JSON.stringify(result, null, 2) : formatLoadResult(`${result.target}`, result, invalidCount));
      if (invalidCount(result) > 0 || result.unexpectedCode > 0 || result.ok === 0) process.exitCode = 1;
    });

  bench
    .command('generate')
    .description('write the benchmark users: a FreeRADIUS authorize file and/or FreeRADIUS rlm_sql SQLite data')
    // Option names differ from `bench`'s own (--users ...), which commander would take first.
    .requiredOption('--count <n>', 'number of users', positiveInt('--count'))
    .option('--prefix <prefix>', 'User-Name prefix', 'user')
    .addOption(new Option('--scheme <scheme>', 'hex (user0.., radload-compatible) or device (user0000001.., SHA-1 hex)').choices(['hex', 'device']).default('hex'))
    .option('--attributes <n>', 'Vutlan attributes per Accept (0..8)', positiveIntOrZero, 4)
    .option('--authorize <file>', 'write a FreeRADIUS-format authorize file')
    .option('--freeradius-sqlite <file>', 'write an rlm_sql SQLite database (radcheck/radreply)')
    .option('--sqlite <file>', 'write our SQLite store with the bulk import (device scheme)')
    .action(async (o: { count: number; prefix: string; scheme: 'hex' | 'device'; attributes: number; authorize?: string; freeradiusSqlite?: string; sqlite?: string }) => {
      const [{ writeAuthorizeFile }, { writeFreeRadiusSqlite }, { writeOurSqliteUsers }] = await Promise.all([
        import('../bench/bench-users.js'), import('../bench/freeradius-sql-data.js'), import('../bench/our-sqlite-data.js'),
      ]);
      const data = { users: o.count, prefix: o.prefix, scheme: o.scheme, replyAttributes: o.attributes };
      if (!o.authorize && !o.freeradiusSqlite && !o.sqlite) throw new InvalidArgumentError('give --authorize, --freeradius-sqlite and/or --sqlite');
      if (o.authorize) console.log(`${o.authorize}: ${o.count} users, ${writeAuthorizeFile(o.authorize, data)} bytes`);
      if (o.freeradiusSqlite) console.log(`${o.freeradiusSqlite}: ${writeFreeRadiusSqlite(o.freeradiusSqlite, data)} users`);
      if (o.sqlite) console.log(`${o.sqlite}: ${o.count} users in ${writeOurSqliteUsers(o.sqlite, { ...data, scheme: 'device' }).toFixed(0)} ms`);
    });
}

function positiveIntOrZero(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be an integer >= 0');
  return n;
}

/** Our SQLite store writer (the SQLite helper's bulk import). */
async function ourSqliteWriter(flags: BenchFlags): Promise<(path: string) => void> {
  const { writeOurSqliteUsers } = await import('../bench/our-sqlite-data.js');
  return (path) => { writeOurSqliteUsers(path, { users: flags.users, prefix: flags.usersPrefix, scheme: 'device', replyAttributes: flags.replyAttributes }); };
}
