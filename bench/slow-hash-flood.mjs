#!/usr/bin/env node
// Latency of ordinary users while one PBKDF2 user (600,000 iterations, the project's default)
// receives 200 wrong passwords per second, against the same load without the flood; our server
// (one or more builds, e.g. before/after) and FreeRADIUS 3.2.1 side by side in the same run.
//
// usage: node bench/slow-hash-flood.mjs [label=dist-dir ...]   (default: this=dist)
// env: DUR=5 (seconds per phase), ROUNDS=3, RATE=200 (ordinary req/s), FLOOD=200 (wrong req/s)
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const DUR = Number(process.env.DUR ?? 5) * 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const RATE = Number(process.env.RATE ?? 200);
const FLOOD = Number(process.env.FLOOD ?? 200);
const SECRET = 'bench-secret';
const ORDINARY_PW = 'ordinary-password';

const { hashPbkdf2 } = await import(join(root, 'dist/policy/passwords/pbkdf2.js'));
const { startFreeRadius } = await import(join(root, 'dist/bench/freeradius-runner.js'));

const dir = mkdtempSync(join(tmpdir(), 'slow-hash-bench-'));
const users = join(dir, 'authorize');
const ordinaryCount = 100;
writeFileSync(users, [
  `slow Password-With-Header := "${hashPbkdf2(Buffer.from('right'), { iterations: 600_000 })}"`,
  '\tReply-Message = "slow"',
  ...Array.from({ length: ordinaryCount }, (_, i) => `user${i} Cleartext-Password := "${ORDINARY_PW}"\n\tReply-Message = "hi"`),
  '',
].join('\n'));

function accessRequest(user, password, id) {
  const auth = randomBytes(16);
  const pw = Buffer.alloc(16);
  Buffer.from(password).copy(pw);
  const b = createHash('md5').update(SECRET).update(auth).digest();
  for (let i = 0; i < 16; i++) pw[i] ^= b[i];
  const attrs = [[80, Buffer.alloc(16)], [1, Buffer.from(user)], [2, pw], [4, Buffer.from([10, 0, 0, 5])]];
  const body = Buffer.concat(attrs.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v])));
  const buf = Buffer.concat([Buffer.from([1, id, 0, 0]), auth, body]);
  buf.writeUInt16BE(buf.length, 2);
  createHmac('md5', SECRET).update(buf).digest().copy(buf, 22);
  return buf;
}

/** Open-loop load for DUR ms: ordinary users at RATE, and (flood) wrong passwords for `slow` at FLOOD. */
async function phase(port, flood) {
  // 16 sockets x 256 identifiers: a reply can be matched to its request for 20 s at 200 req/s
  const socks = Array.from({ length: 16 }, () => createSocket('udp4'));
  const floodSock = createSocket('udp4');
  await Promise.all([...socks, floodSock].map((s) => new Promise((r) => s.bind(0, '127.0.0.1', r))));
  const sentAt = new Map();
  const latencies = [];
  socks.forEach((sock, k) => sock.on('message', (m) => {
    const t = sentAt.get(k * 256 + m[1]);
    if (t !== undefined) { latencies.push(Number(process.hrtime.bigint() - t) / 1e6); sentAt.delete(k * 256 + m[1]); }
  }));
  floodSock.on('message', () => {});
  let sent = 0;
  let id = 0;
  let floodId = 0;
  const start = Date.now();
  const tick = 10;
  const timer = setInterval(() => {
    for (let i = 0; i < (RATE * tick) / 1000; i++) {
      id = (id + 1) % 4096;
      sentAt.set(id, process.hrtime.bigint());
      socks[id >> 8].send(accessRequest(`user${sent % ordinaryCount}`, ORDINARY_PW, id & 255), port, '127.0.0.1');
      sent++;
    }
    if (flood) {
      for (let i = 0; i < (FLOOD * tick) / 1000; i++) {
        floodId = (floodId + 1) % 256;
        floodSock.send(accessRequest('slow', `guess-${floodId}-${Date.now()}`, floodId), port, '127.0.0.1');
      }
    }
  }, tick);
  await new Promise((r) => setTimeout(r, DUR));
  clearInterval(timer);
  await new Promise((r) => setTimeout(r, 3000)); // late answers still count; later ones are lost
  for (const s of socks) s.close();
  floodSock.close();
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] : NaN);
  return { sent, answered: latencies.length, p50: pct(0.5), p99: pct(0.99), ms: Date.now() - start };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Seconds from now until an ordinary request is answered within 1 s again (a backlog of hashes drained), at most 60. */
async function recovery(port) {
  const start = Date.now();
  const sock = createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  let id = 0;
  try {
    while (Date.now() - start < 60_000) {
      id = (id + 1) % 256;
      const answered = await new Promise((resolve) => {
        const t = setTimeout(() => { sock.removeAllListeners('message'); resolve(false); }, 1000);
        sock.on('message', (m) => { if (m[1] === id) { clearTimeout(t); sock.removeAllListeners('message'); resolve(true); } });
        sock.send(accessRequest('user0', ORDINARY_PW, id), port, '127.0.0.1');
      });
      if (answered) return (Date.now() - start) / 1000;
    }
    return Infinity;
  } finally {
    sock.close();
  }
}

async function measure(label, port) {
  const rows = { steady: [], flood: [] };
  const recoveries = [];
  for (let r = 0; r < ROUNDS; r++) rows.steady.push(await phase(port, false));
  for (let r = 0; r < ROUNDS; r++) {
    rows.flood.push(await phase(port, true));
    recoveries.push(await recovery(port)); // the next round starts on a server that answers again
  }
  for (const kind of ['steady', 'flood']) {
    const x = rows[kind];
    const lost = median(x.map((p) => 1 - p.answered / p.sent)) * 100;
    const rec = kind === 'flood' ? `  answers again ${median(recoveries) === Infinity ? '> 60' : median(recoveries).toFixed(1)} s after the flood` : '';
    console.log(`${label.padEnd(12)} ${kind.padEnd(7)} p50 ${median(x.map((p) => p.p50)).toFixed(2).padStart(8)} ms  p99 ${median(x.map((p) => p.p99)).toFixed(2).padStart(8)} ms  unanswered ${lost.toFixed(1).padStart(5)} %${rec}  (${ROUNDS} rounds of ${DUR / 1000} s, median)`);
  }
}

async function ours(label, dist) {
  const port = 20000 + Math.floor(Math.random() * 40000);
  writeFileSync(join(dir, 'radiusd.yaml'), [
    `listen: [{ type: auth, address: 127.0.0.1, port: ${port} }]`,
    `clients: [{ name: bench, address: 127.0.0.0/8, secret: ${SECRET} }]`,
    'users: { files: [ ./authorize ] }',
    'log: { level: warn, pretty: false }',
    'security: { reject_delay: 0 }',
    'workers: 1',
  ].join('\n'));
  const child = spawn(process.execPath, [join(resolve(dist), 'cli/vutlan-radius.js'), 'serve', '-c', join(dir, 'radiusd.yaml')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 2000));
  try {
    await measure(label, port);
  } finally {
    child.kill('SIGKILL');
  }
}

const targets = process.argv.slice(2).map((a) => a.split('='));
if (targets.length === 0) targets.push(['this', join(root, 'dist')]);
console.log(`machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}; ordinary ${RATE} req/s, flood ${FLOOD} req/s`);
try {
  for (const [label, dist] of targets) await ours(label, dist);
  const fr = await startFreeRadius({ usersFile: users, secret: SECRET, dictionary: join(root, 'dictionaries/dictionary'), debug: false });
  try {
    await measure('freeradius', fr.port);
  } finally {
    await fr.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
