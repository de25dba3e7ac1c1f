import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Dictionary } from '../protocol/dictionary.js';
import { writeAuthorizeFile } from './bench-users.js';
import { startFreeRadius, type FreeRadiusUsers, type RunningFreeRadius } from './freeradius-bench-server.js';
import { writeFreeRadiusSqlite } from './freeradius-sql-data.js';
import { findFreeUdpPorts } from './free-ports.js';
import { processTreeCpuSeconds } from './process-cpu.js';
import { runLoad, type LoadResult } from './load-generator.js';
import { ourDictionaryPath, startOurServer, type RunningOurServer } from './our-server-process.js';
import { waitForReply } from './probe.js';
import { runRadload } from './radload-runner.js';
import { median } from './stats.js';

/** A side-by-side run: our server and FreeRADIUS on the same generated users. */
export interface CompareOptions {
  dict: Dictionary;
  /** Private directory for generated users, configs and logs. */
  workDir: string;
  users: number;
  prefix?: string;
  /** User naming scheme (bench-users.ts); default `hex` for files, `device` for sqlite. */
  scheme?: 'hex' | 'device';
  replyAttributes?: number;
  /** files: both read one authorize file; sqlite: ours reads our SQLite store, FreeRADIUS rlm_sql. */
  source: 'files' | 'sqlite';
  /** Rounds per server, interleaved ours, FreeRADIUS, ours, ... */
  rounds: number;
  durationMs: number;
  warmupMs?: number;
  inflight?: number;
  sockets?: number;
  secret: string;
  nasIp?: string;
  /**
   * Load generator: this package's (`runLoad`), radload (C), or both (each round runs both
   * against each server, which also checks that our generator is not the bottleneck).
   */
  generator: 'ours' | 'radload' | 'both';
  radloadBinary?: string;
  /** Ports; default: free ones picked at start. */
  ourPort?: number;
  frPort?: number;
  workers?: number | 'auto';
  /** FreeRADIUS rlm_sql keeps the default site's post-auth INSERT per request (see FreeRadiusUsers). */
  freeradiusPostAuthSql?: boolean;
  /** Writes an SQLite store with the `device`-scheme users for our server (bulk import). */
  writeOurSqlite?: (path: string) => void;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** Medians over rounds for one server. */
export interface ServerSummary {
  rounds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** Server CPU (user + system, all threads and workers) per answered request, in microseconds. */
  cpuUsPerRequest: number;
}

export interface CompareResult {
  rounds: { server: 'ours' | 'freeradius'; generator: 'ours' | 'radload'; result: LoadResult; cpuUsPerRequest: number }[];
  /** Medians with the main generator (ours, unless only radload ran). */
  ours: ServerSummary;
  freeradius: ServerSummary;
  /** Medians with radload, when it ran beside ours (`generator: 'both'`). */
  radload?: { ours: ServerSummary; freeradius: ServerSummary };
  /** ours.rps / freeradius.rps (medians). */
  rpsRatio: number;
  /** ours.p99 / freeradius.p99 (medians; below 1 is better). */
  p99Ratio: number;
}

function summarize(rounds: CompareResult['rounds']): ServerSummary {
  const results = rounds.map((r) => r.result);
  return {
    cpuUsPerRequest: median(rounds.map((r) => r.cpuUsPerRequest)),
    rounds: results.length,
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    errors: results.reduce((a, r) => a + r.timeouts + r.unexpectedCode + Object.values(r.invalid).reduce((x, y) => x + (y ?? 0), 0), 0),
  };
}

/**
 * Generates the users, starts FreeRADIUS (packaged default site, see freeradius-bench-server.ts)
 * and our server on them, waits until both answer, then runs `rounds` interleaved load rounds
 * against each and returns per-round figures, medians and ratios. Both servers are stopped at
 * the end, also on failure.
 */
export async function compareWithFreeRadius(opts: CompareOptions): Promise<CompareResult> {
  const log = opts.log ?? (() => {});
  const dir = resolve(opts.workDir);
  mkdirSync(dir, { recursive: true });
  const prefix = opts.prefix ?? 'user';
  const scheme = opts.scheme ?? (opts.source === 'sqlite' ? 'device' : 'hex');
  if (opts.generator !== 'ours' && scheme !== 'hex') throw new Error('radload can only load the hex user scheme');
  const generators = opts.generator === 'both' ? (['ours', 'radload'] as const) : [opts.generator];
  const data = { users: opts.users, prefix, scheme, replyAttributes: opts.replyAttributes };
  let ourUsers: { kind: 'files'; authorizeFile: string } | { kind: 'sqlite'; database: string };
  let frUsers: FreeRadiusUsers;
  if (opts.source === 'files') {
    const file = join(dir, `authorize-${opts.users}`);
    log(`generating ${opts.users} users into ${file}`);
    writeAuthorizeFile(file, data);
    ourUsers = frUsers = { kind: 'files', authorizeFile: file };
  } else {
    if (!opts.writeOurSqlite) throw new Error('sqlite comparison needs writeOurSqlite');
    const ours = join(dir, `users-${opts.users}.sqlite`);
    const theirs = join(dir, `freeradius-${opts.users}.sqlite`);
    log(`generating ${opts.users} users into ${ours} and ${theirs}`);
    opts.writeOurSqlite(ours);
    writeFreeRadiusSqlite(theirs, data);
    ourUsers = { kind: 'sqlite', database: ours };
    frUsers = { kind: 'sqlite', database: theirs, postAuthLogging: opts.freeradiusPostAuthSql === true };
  }

  const ourPort = opts.ourPort ?? await findFreeUdpPorts(1);
  const frPort = opts.frPort ?? await findFreeUdpPorts(3);
  let fr: RunningFreeRadius | undefined;
  let ours: RunningOurServer | undefined;
  try {
    const oursDir = join(dir, 'ours');
    mkdirSync(oursDir, { recursive: true });
    ours = startOurServer({ dir: oursDir, port: ourPort, secret: opts.secret, users: ourUsers, workers: opts.workers });
    log(`starting FreeRADIUS on 127.0.0.1:${frPort}`);
    fr = await startFreeRadius({
      dir: join(dir, 'freeradius'), port: frPort, secret: opts.secret, users: frUsers,
      vutlanDictionary: join(dirname(ourDictionaryPath()), 'dictionary.vutlan'),
      timeoutMs: 120_000,
    });
    const probe = { host: '127.0.0.1', secret: opts.secret, dict: opts.dict, prefix, scheme, nasIp: opts.nasIp, timeoutMs: 120_000 };
    const runningOurs = ours;
    await waitForReply({ ...probe, port: ourPort }).catch((e: Error) => {
      throw new Error(`${e.message}\nour server said:\n${runningOurs.output()}`);
    });
    await waitForReply({ ...probe, port: frPort });
    const rounds: CompareResult['rounds'] = [];
    for (let i = 0; i < opts.rounds; i++) {
      for (const server of ['ours', 'freeradius'] as const) for (const generator of generators) {
        const port = server === 'ours' ? ourPort : frPort;
        const pid = server === 'ours' ? ours.pid : fr.pid;
        const cpuBefore = processTreeCpuSeconds(pid);
        const result = generator === 'radload'
          ? await runRadload({ binary: opts.radloadBinary ?? 'radload', host: '127.0.0.1', port, secret: opts.secret, users: opts.users, prefix, nasIp: opts.nasIp, durationMs: opts.durationMs, inflight: opts.inflight })
          : await runLoad({
            host: '127.0.0.1', port, secret: opts.secret, dict: opts.dict, users: opts.users, prefix, scheme, nasIp: opts.nasIp,
            durationMs: opts.durationMs, warmupMs: opts.warmupMs, inflight: opts.inflight, sockets: opts.sockets,
            // FreeRADIUS 3.2.1 does not put Message-Authenticator in Access-Accept; ours always does.
            requireMessageAuthenticator: server === 'ours',
          });
        // CPU over warm-up + window + drain, divided by every reply in that time.
        const answered = result.ok + result.unexpectedCode + (result.warmupReplies ?? 0);
        const cpuUsPerRequest = answered > 0 ? ((processTreeCpuSeconds(pid) - cpuBefore) * 1e6) / answered : Number.NaN;
        log(`round ${i + 1} ${server.padEnd(10)} ${generator === 'radload' ? 'radload ' : 'bench   '} ${result.rps.toFixed(0)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  ` +
          `cpu ${cpuUsPerRequest.toFixed(1)} us/req  errors ${result.timeouts + result.unexpectedCode}`);
        rounds.push({ server, generator, result, cpuUsPerRequest });
      }
    }
    const main = generators[0];
    const pick = (server: 'ours' | 'freeradius', generator: 'ours' | 'radload') =>
      summarize(rounds.filter((r) => r.server === server && r.generator === generator));
    const oursSummary = pick('ours', main);
    const frSummary = pick('freeradius', main);
    return {
      rounds,
      ours: oursSummary,
      freeradius: frSummary,
      ...(opts.generator === 'both' ? { radload: { ours: pick('ours', 'radload'), freeradius: pick('freeradius', 'radload') } } : {}),
      rpsRatio: oursSummary.rps / frSummary.rps,
      p99Ratio: oursSummary.p99 / frSummary.p99,
    };
  } finally {
    await ours?.stop();
    await fr?.stop();
  }
}
