/**
 * PostgreSQL benchmarks (BENCHMARKS.md, "PostgreSQL"): run with `npx tsx bench/pgsql.ts` after
 * `npm run build`. Needs PostgreSQL, FreeRADIUS 3.2 and freeradius-postgresql. Environment:
 * USERS (100000), DUR (5 s per round), ROUNDS (3), CHANGES (100), OUTAGE (30 s), GEN (both: our
 * Node generator and radload, bench/radload.c, built with cc -lcrypto; or node, or radload).
 *
 * 1. Access-Requests, USERS users round-robin, FreeRADIUS's schema in one private cluster:
 *    our server on users.sql, our server on the same users as an authorize file, FreeRADIUS
 *    3.2.1 with rlm_sql_postgresql on the same database (stock default site, post-auth -sql
 *    off so it writes nothing per request either). Rounds interleaved, every generator with the
 *    same settings for all three; medians reported, with CPU per request of the server and of the
 *    PostgreSQL cluster, and the load average beside each round.
 * 2. Change propagation: CHANGES password changes committed on the database; time from the
 *    commit to the first Accept with the new password from a SECOND server (change log mode).
 * 3. Accounting: Start records/s into radacct, ours (sql_accounting) vs FreeRADIUS rlm_sql.
 * 4. Outage: accounting at a steady rate while PostgreSQL is stopped for OUTAGE seconds:
 *    sent, acknowledged and rows afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { benchReplyAttributes, userScheme, writeAuthorizeFile } from '../src/bench/bench-users.js';
import { freeUdpPort } from '../src/bench/free-ports.js';
import { startFreeRadius } from '../src/bench/freeradius-runner.js';
import { invalidCount, runLoad, type LoadResult } from '../src/bench/load-generator.js';
import { processTreeCpuSeconds } from '../src/bench/process-cpu.js';
import { buildRadload, runRadload } from '../src/bench/radload-runner.js';
import { RADIUS_PASSWORD, RADIUS_USER, startPostgres } from '../src/bench/postgres-cluster.js';
import { waitForReply } from '../src/bench/probe.js';
import { median } from '../src/bench/stats.js';
import { stopChild } from '../src/bench/stop-child.js';
import { changeLogInstallSql } from '../src/store/pgsql/change-log.js';
import { loadDictionary } from '../src/protocol/dictionary-loader.js';

const USERS = Number(process.env.USERS ?? 100_000);
const DUR = Number(process.env.DUR ?? 5) * 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CHANGES = Number(process.env.CHANGES ?? 100);
const OUTAGE = Number(process.env.OUTAGE ?? 30) * 1000;
/** Load generators for section 1: `node` (ours, in this process), `radload` (C), or `both`. */
const GENERATORS: ('node' | 'radload')[] = process.env.GEN === 'node' ? ['node'] : process.env.GEN === 'radload' ? ['radload'] : ['node', 'radload'];
const INFLIGHT = 64;
const SECRET = 'testing123';
const DICT = 'dictionaries/dictionary';
const dict = loadDictionary(DICT);
const dir = mkdtempSync(join(tmpdir(), 'vr-pgbench-'));
const log = (s: string) => process.stdout.write(`${s}\n`);

function ourServer(name: string, yaml: string): { port: number; child: ChildProcess; stop(): Promise<void> } & { ready: Promise<void> } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, [resolve('dist/cli/vutlan-radius.js'), 'serve', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-5000); });
  child.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-5000); });
  const port = Number(/port: (\d+)/.exec(yaml)![1]);
  // an accounting-only server is given a moment instead of an Access-Request probe
  const ready = yaml.includes('type: acct') ? new Promise<void>((r) => setTimeout(r, 3000))
    : waitForReply({ host: '127.0.0.1', port, secret: SECRET, dict, timeoutMs: 120_000 }).then(() => undefined, (e: Error) => {
      throw new Error(`${name} did not answer: ${e.message}\n${out}`);
    });
  return { port, child, ready, stop: () => stopChild(child, 5000) };
}

/** One Access-Request round: the generator's figures, the load average before it, CPU per request. */
type AccessRound = LoadResult & { load: number; serverUs: number; dbUs: number };

/** The postmaster's pid (first line of postmaster.pid): its process tree is the whole cluster. */
function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

async function main(): Promise<void> {
  log(`machine: ${(await import('node:os')).cpus().length} cores, ${(await import('node:os')).cpus()[0]?.model}; node ${process.version}; ${new Date().toISOString()}`);
  const pgc = await startPostgres({ settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on', shared_buffers: '128MB' } });
  const admin = new pg.Client({ connectionString: pgc.url });
  try {
    await admin.connect();
    // --- data: the same users as rows and as an authorize file
    const scheme = userScheme('hex');
    const reply = benchReplyAttributes(4);
    const t0 = Date.now();
    await admin.query(`INSERT INTO radcheck (username, attribute, op, value)
      SELECT 'user' || i, 'Cleartext-Password', ':=', lpad(to_hex(i), 40, '0') FROM generate_series(0, ${USERS - 1}) AS i`);
    for (const [attr, value] of reply) {
      await admin.query(`INSERT INTO radreply (username, attribute, op, value) SELECT 'user' || i, $1, '=', $2 FROM generate_series(0, ${USERS - 1}) AS i`, [attr, value]);
    }
    await admin.query('ANALYZE');
    if (scheme.password(255) !== (await admin.query("SELECT value FROM radcheck WHERE username = 'user255'")).rows[0].value) throw new Error('password scheme mismatch');
    pgc.psql(`SET ROLE ${RADIUS_USER};\n${changeLogInstallSql()}`);
    log(`${USERS} users (${USERS * (1 + reply.length)} rows) loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const authorize = join(dir, 'authorize');
    writeAuthorizeFile(authorize, { users: USERS, replyAttributes: 4 });
    writeFileSync(join(dir, 'empty'), '');

    const [pSql, pFiles, pFr, pSql2, aOurs, aFr] = await Promise.all([0, 1, 2, 3, 4, 5].map(() => freeUdpPort()));
    const base = (port: number, extra: string, listenType = 'auth') => `listen:
  - { type: ${listenType}, address: 127.0.0.1, port: ${port} }
clients:
  - { name: bench, address: 127.0.0.0/8, secret: ${SECRET}, require_message_authenticator: auto }
log: { level: warn }
security: { reject_delay: 0 }
workers: auto
${extra}`;
    const sql = ourServer('sql', base(pSql!, `users:\n  sql: { url: "${pgc.url}", poll_interval: 0.1 }\n`));
    const files = ourServer('files', base(pFiles!, `users:\n  files: [ ${JSON.stringify(authorize)} ]\n`));
    const fr = await startFreeRadius({
      usersFile: join(dir, 'empty'), secret: SECRET, dictionary: DICT, debug: false, acctPort: aFr!, sqlPostAuth: false,
      sql: { host: '127.0.0.1', port: pgc.port, user: RADIUS_USER, password: RADIUS_PASSWORD, database: 'radius' },
    });
    await Promise.all([sql.ready, files.ready]);
    const nodeLoad = { host: '127.0.0.1', secret: SECRET, dict, users: USERS, durationMs: DUR, warmupMs: 1000, inflight: INFLIGHT, sockets: 4, timeoutMs: 1000, requireMessageAuthenticator: false };

    // --- 1. Access-Requests
    // The same generator settings for all three servers. FreeRADIUS 3.2.1 puts no
    // Message-Authenticator in Access-Accept, so replies are verified without requiring it
    // (Response Authenticator, code) for all three; that ours carries it is checked once below.
    const pgPid = postmasterPid(pgc.dataDir);
    log(`\n## 1. Access-Request throughput, ${USERS} users round-robin, ${ROUNDS} rounds of ${DUR / 1000} s, ${INFLIGHT} in flight, generators: ${GENERATORS.join(', ')}`);
    log('CPU per request: the server process tree, and the PostgreSQL cluster (every backend, checkpointer, WAL writer) in the same window');
    const targets: [string, number, number][] = [['ours users.sql', sql.port, sql.child.pid!], ['ours files', files.port, files.child.pid!], ['FreeRADIUS rlm_sql', fr.port, fr.pid]];
    for (const [name, port] of targets.slice(0, 2)) {
      const check = await runLoad({ ...nodeLoad, port, durationMs: 300, warmupMs: 100, requireMessageAuthenticator: true });
      if (check.ok === 0 || invalidCount(check) > 0) throw new Error(`${name}: replies without a valid Message-Authenticator: ${JSON.stringify(check.invalid)}`);
    }
    let radload: string | undefined;
    if (GENERATORS.includes('radload')) {
      mkdirSync('tmp/bench', { recursive: true });
      radload = buildRadload('bench/radload.c', 'tmp/bench/radload');
    }
    const results = new Map<string, AccessRound[]>();
    for (let r = 0; r < ROUNDS; r++) {
      for (const gen of GENERATORS) {
        for (const [name, port, pid] of targets) {
          const load = loadavg()[0]!;
          const cpu0 = processTreeCpuSeconds(pid);
          const db0 = processTreeCpuSeconds(pgPid);
          const res = gen === 'radload'
            ? await runRadload({ binary: radload!, host: '127.0.0.1', port, secret: SECRET, users: USERS, durationMs: DUR, inflight: INFLIGHT })
            : await runLoad({ ...nodeLoad, port });
          if (res.ok === 0) throw new Error(`${name}: no verified replies`);
          const answered = res.ok + res.unexpectedCode + (res.warmupReplies ?? 0);
          const round: AccessRound = {
            ...res, load,
            serverUs: ((processTreeCpuSeconds(pid) - cpu0) * 1e6) / answered,
            dbUs: ((processTreeCpuSeconds(pgPid) - db0) * 1e6) / answered,
          };
          const key = `${gen} ${name}`;
          (results.get(key) ?? results.set(key, []).get(key)!).push(round);
          log(`round ${r + 1} ${gen.padEnd(7)} ${name.padEnd(18)}: ${Math.round(res.rps)} req/s, p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms, ` +
            `CPU ${round.serverUs.toFixed(1)} us/req server + ${round.dbUs.toFixed(1)} us/req PostgreSQL, timeouts ${res.timeouts}, wrong ${res.unexpectedCode}, load ${load.toFixed(2)}`);
        }
      }
    }
    for (const gen of GENERATORS) {
      const med = (name: string, k: 'rps' | 'p99' | 'p50' | 'serverUs' | 'dbUs') => median(results.get(`${gen} ${name}`)!.map((x) => x[k]));
      for (const [name] of targets) {
        log(`median ${gen} ${name}: ${Math.round(med(name, 'rps'))} req/s, p50 ${med(name, 'p50').toFixed(2)} ms, p99 ${med(name, 'p99').toFixed(2)} ms, ` +
          `CPU ${med(name, 'serverUs').toFixed(1)} + ${med(name, 'dbUs').toFixed(1)} = ${(med(name, 'serverUs') + med(name, 'dbUs')).toFixed(1)} us/req`);
      }
      const cpu = (name: string) => med(name, 'serverUs') + med(name, 'dbUs');
      log(`${gen}: users.sql / files ${(med('ours users.sql', 'rps') / med('ours files', 'rps')).toFixed(2)}x req/s; ` +
        `users.sql / FreeRADIUS rlm_sql ${(med('ours users.sql', 'rps') / med('FreeRADIUS rlm_sql', 'rps')).toFixed(1)}x req/s, ` +
        `p99 ${(med('ours users.sql', 'p99') / med('FreeRADIUS rlm_sql', 'p99')).toFixed(2)}x, ` +
        `CPU per request (server + database) FreeRADIUS / users.sql ${(cpu('FreeRADIUS rlm_sql') / cpu('ours users.sql')).toFixed(1)}x`);
    }
    await files.stop();

    // --- 2. Propagation to a second server
    log(`\n## 2. Change propagation: ${CHANGES} password changes, commit -> Accept by another server (poll_interval 0.1 s)`);
    const second = ourServer('sql2', base(pSql2!, `users:\n  sql: { url: "${pgc.url}", poll_interval: 0.1 }\nworkers: 1\n`).replace('workers: auto\n', ''));
    await second.ready;
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const delays: number[] = [];
    for (let c = 0; c < CHANGES; c++) {
      const user = `user${(c * 997) % USERS}`;
      const pw = `changed-${c}`;
      await admin.query("UPDATE radcheck SET value = $1 WHERE username = $2 AND attribute = 'Cleartext-Password'", [pw, user]);
      const committed = performance.now();
      for (;;) {
        if (await accepts(sock, second.port, user, pw)) break;
        if (performance.now() - committed > 10_000) throw new Error(`change ${c} not seen in 10 s`);
      }
      delays.push(performance.now() - committed);
    }
    sock.close();
    delays.sort((a, b) => a - b);
    log(`propagation over ${CHANGES} changes: median ${median(delays).toFixed(0)} ms, p90 ${delays[Math.floor(delays.length * 0.9)]!.toFixed(0)} ms, max ${delays[delays.length - 1]!.toFixed(0)} ms`);
    await second.stop();
    await sql.stop();

    // --- 3. Accounting throughput
    log(`\n## 3. Accounting-Request (Start) records/s into radacct, ${ROUNDS} rounds of ${DUR / 1000} s, ${INFLIGHT} in flight`);
    const acct = ourServer('acct', `${base(aOurs!, `users:\n  files: [ ${JSON.stringify(join(dir, 'empty'))} ]\nsql_accounting: { url: "${pgc.url}", spool: ./spool }\n`, 'acct')}`);
    await acct.ready;
    const acctRates = new Map<string, { rate: number; us: number; dbUs: number }[]>();
    let session = 0;
    for (let r = 0; r < ROUNDS; r++) {
      for (const [name, port, pid] of [['ours sql_accounting', aOurs!, acct.child.pid!], ['FreeRADIUS rlm_sql', aFr!, fr.pid]] as const) {
        const load = loadavg()[0]!;
        const cpu0 = processTreeCpuSeconds(pid);
        const db0 = processTreeCpuSeconds(pgPid);
        const res = await accountingLoad(port, DUR, INFLIGHT, () => `b${session++}`);
        const us = ((processTreeCpuSeconds(pid) - cpu0) * 1e6) / res.acked;
        const dbUs = ((processTreeCpuSeconds(pgPid) - db0) * 1e6) / res.acked;
        (acctRates.get(name) ?? acctRates.set(name, []).get(name)!).push({ rate: res.acked / (DUR / 1000), us, dbUs });
        log(`round ${r + 1} ${name}: ${Math.round(res.acked / (DUR / 1000))} records/s acknowledged (${res.sent} sent, ${res.timeouts} timeouts), ` +
          `CPU ${us.toFixed(0)} us/record server + ${dbUs.toFixed(0)} us/record PostgreSQL, load ${load.toFixed(2)}`);
      }
    }
    const am = (n: string, k: 'rate' | 'us' | 'dbUs' = 'rate') => median(acctRates.get(n)!.map((x) => x[k]));
    log(`median ours ${Math.round(am('ours sql_accounting'))} records/s (CPU ${am('ours sql_accounting', 'us').toFixed(0)} + ${am('ours sql_accounting', 'dbUs').toFixed(0)} us/record), ` +
      `FreeRADIUS ${Math.round(am('FreeRADIUS rlm_sql'))} records/s (CPU ${am('FreeRADIUS rlm_sql', 'us').toFixed(0)} + ${am('FreeRADIUS rlm_sql', 'dbUs').toFixed(0)} us/record): ` +
      `${(am('ours sql_accounting') / am('FreeRADIUS rlm_sql')).toFixed(2)}x`);
    await fr.stop();

    // --- 4. Outage under load
    log(`\n## 4. Accounting during a ${OUTAGE / 1000} s database outage, 500 records/s offered`);
    await admin.query('DELETE FROM radacct');
    await admin.end();
    const outage = await steadyAccounting(aOurs!, 500, OUTAGE + 10_000, () => {
      pgc.stop('fast');
      log('  database stopped');
      setTimeout(() => { pgc.start(); log('  database started'); }, OUTAGE);
    });
    const check = new pg.Client({ connectionString: pgc.url });
    await check.connect();
    let rows = 0;
    for (let i = 0; i < 120; i++) {
      rows = Number((await check.query("SELECT count(*)::int AS n FROM radacct WHERE acctsessionid LIKE 'o%'")).rows[0].n);
      if (rows >= outage.acked) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await check.end();
    log(`sent ${outage.sent}, acknowledged ${outage.acked}, rows afterwards ${rows}, NAS retransmissions ${outage.retransmits}`);
    await acct.stop();
  } finally {
    pgc.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- small UDP helpers (own packets: accounting and single Access-Requests)

let ident = 0;
function accessRequest(user: string, password: string): { buf: Buffer; auth: Buffer } {
  const auth = createHash('md5').update(String(Math.random())).digest();
  const pw = Buffer.alloc(16 * Math.ceil(Buffer.byteLength(password) / 16));
  Buffer.from(password).copy(pw);
  let prev = auth;
  for (let i = 0; i < pw.length; i += 16) {
    const b = createHash('md5').update(SECRET).update(prev).digest();
    for (let k = 0; k < 16; k++) pw[i + k] ^= b[k]!;
    prev = pw.subarray(i, i + 16);
  }
  const attrs = Buffer.concat([Buffer.from([1, 2 + user.length]), Buffer.from(user), Buffer.from([2, 2 + pw.length]), pw]);
  const buf = Buffer.concat([Buffer.from([1, (ident = (ident + 1) & 255), 0, 0]), auth, attrs]);
  buf.writeUInt16BE(buf.length, 2);
  return { buf, auth };
}

function accepts(sock: ReturnType<typeof createSocket>, port: number, user: string, pw: string): Promise<boolean> {
  const { buf } = accessRequest(user, pw);
  return new Promise((resolve) => {
    const t = setTimeout(() => { sock.off('message', on); resolve(false); }, 500);
    const on = (m: Buffer) => {
      if (m[1] !== buf[1]) return;
      clearTimeout(t);
      sock.off('message', on);
      resolve(m[0] === 2);
    };
    sock.on('message', on);
    sock.send(buf, port, '127.0.0.1');
  });
}

function accountingPacket(id: number, session: string, eventTime: number): Buffer {
  const attr = (t: number, v: Buffer) => Buffer.concat([Buffer.from([t, v.length + 2]), v]);
  const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const body = Buffer.concat([attr(40, u32(1)), attr(44, Buffer.from(session)), attr(1, Buffer.from('bench')), attr(4, Buffer.from([10, 0, 0, 5])), attr(55, u32(eventTime))]);
  const buf = Buffer.concat([Buffer.from([4, id, 0, 0]), Buffer.alloc(16), body]);
  buf.writeUInt16BE(buf.length, 2);
  createHash('md5').update(buf).update(SECRET).digest().copy(buf, 4);
  return buf;
}

/** Closed loop: `inflight` outstanding Accounting-Requests (retransmitted after 2 s); counts acknowledgements. */
async function accountingLoad(port: number, ms: number, inflight: number, session: () => string): Promise<{ sent: number; acked: number; timeouts: number }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const out = new Map<number, { buf: Buffer; at: number }>();
  let sent = 0; let acked = 0; let timeouts = 0; let stop = false; let nextId = 0;
  const fire = () => {
    if (stop) return;
    for (let k = 0; k < 256; k++) { nextId = (nextId + 1) & 255; if (!out.has(nextId)) break; }
    const buf = accountingPacket(nextId, session(), Math.floor(Date.now() / 1000));
    out.set(nextId, { buf, at: Date.now() });
    sent++;
    sock.send(buf, port, '127.0.0.1');
  };
  sock.on('message', (m) => { if (out.delete(m[1]!)) { acked++; fire(); } });
  const timer = setInterval(() => {
    for (const [id, o] of out) if (Date.now() - o.at > 2000) { timeouts++; out.delete(id); fire(); }
  }, 200);
  for (let i = 0; i < inflight; i++) fire();
  await new Promise((r) => setTimeout(r, ms));
  stop = true;
  clearInterval(timer);
  sock.close();
  return { sent, acked, timeouts };
}

/** Open loop at `rate`/s for `ms`, a NAS retransmitting every 3 s until answered; `during` runs 5 s in. */
async function steadyAccounting(port: number, rate: number, ms: number, during: () => void): Promise<{ sent: number; acked: number; retransmits: number }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  // one socket per 256 outstanding would be needed at high rates; 500/s answered in ms fits one
  const out = new Map<number, { buf: Buffer; at: number }>();
  let sent = 0; let acked = 0; let retransmits = 0; let n = 0;
  sock.on('message', (m) => { if (out.delete(m[1]!)) acked++; });
  const start = Date.now();
  const tick = setInterval(() => {
    const due = Math.floor(((Date.now() - start) / 1000) * rate) - sent;
    for (let i = 0; i < due && Date.now() - start < ms; i++) {
      let id = -1;
      for (let k = 0; k < 256; k++) { const c = (n + k) & 255; if (!out.has(c)) { id = c; break; } }
      if (id < 0) break;
      n = id + 1;
      const buf = accountingPacket(id, `o${sent}`, Math.floor(Date.now() / 1000));
      out.set(id, { buf, at: Date.now() });
      sent++;
      sock.send(buf, port, '127.0.0.1');
    }
    for (const o of out.values()) if (Date.now() - o.at > 3000) { o.at = Date.now(); retransmits++; sock.send(o.buf, port, '127.0.0.1'); }
  }, 10);
  setTimeout(during, 5000);
  await new Promise((r) => setTimeout(r, ms));
  clearInterval(tick);
  // the NAS keeps retransmitting what is not answered yet
  for (let i = 0; i < 30 && out.size > 0; i++) {
    for (const o of out.values()) { retransmits++; sock.send(o.buf, port, '127.0.0.1'); }
    await new Promise((r) => setTimeout(r, 1000));
  }
  sock.close();
  return { sent, acked, retransmits };
}

await main();
