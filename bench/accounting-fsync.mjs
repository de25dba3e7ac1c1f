#!/usr/bin/env node
// Cost of `log.accounting_fsync: true`: Accounting-Requests answered per second and their p99
// latency with the record written to the OS before the answer (default) and fsync'ed to the disk
// first. (FreeRADIUS is not beside it here: the shared bench runner gives it an auth listener only.)
// Closed loop: CONC requests outstanding at any time. Run it on the disk the log will live on.
//
// usage: node bench/accounting-fsync.mjs [log-dir]   env: DUR=5, ROUNDS=3, CONC=32, WORKERS=1,
//   FSYNC=both|false|true, CLI=<a vutlan-radius.js to run instead of this tree's dist/>
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const DUR = Number(process.env.DUR ?? 5) * 1000;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CONC = Number(process.env.CONC ?? 32);
const WORKERS = Number(process.env.WORKERS ?? 1);
const FSYNC = process.env.FSYNC === 'true' ? [true] : process.env.FSYNC === 'false' ? [false] : [false, true];
const CLI = process.env.CLI ?? join(root, 'dist/cli/vutlan-radius.js');
const SECRET = 'bench-secret';
const dir = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'acct-bench-'));
writeFileSync(join(dir, 'authorize'), 'user0 Cleartext-Password := "x"\n');

let session = 0;
function accountingRequest(id) {
  const attrs = [[1, Buffer.from('user0')], [40, Buffer.from([0, 0, 0, 1])], [44, Buffer.from(`s-${session++}`)], [4, Buffer.from([10, 0, 0, 5])]];
  const body = Buffer.concat(attrs.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v])));
  const buf = Buffer.concat([Buffer.from([4, id, 0, 0]), Buffer.alloc(16), body]);
  buf.writeUInt16BE(buf.length, 2);
  createHash('md5').update(buf).update(SECRET).digest().copy(buf, 4);
  return buf;
}

async function round(port) {
  const socks = Array.from({ length: CONC }, () => createSocket('udp4'));
  await Promise.all(socks.map((s) => new Promise((r) => s.bind(0, '127.0.0.1', r))));
  const latencies = [];
  const end = Date.now() + DUR;
  await Promise.all(socks.map((s) => new Promise((done) => {
    let id = 0;
    let t0 = 0n;
    let timer;
    const next = () => {
      if (Date.now() > end) { clearTimeout(timer); done(); return; }
      id = (id + 1) % 256;
      t0 = process.hrtime.bigint();
      s.send(accountingRequest(id), port, '127.0.0.1');
      clearTimeout(timer);
      timer = setTimeout(next, 2000); // lost: send the next one
    };
    s.on('message', (m) => {
      if (m[1] !== id) return;
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      next();
    });
    next();
  })));
  for (const s of socks) s.close();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / (DUR / 1000), p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function measure(label, port) {
  const rs = [];
  for (let r = 0; r < ROUNDS; r++) rs.push(await round(port));
  console.log(`${label.padEnd(22)} ${median(rs.map((r) => r.rps)).toFixed(0).padStart(7)} answered/s  p99 ${median(rs.map((r) => r.p99)).toFixed(2).padStart(7)} ms  (${ROUNDS} x ${DUR / 1000} s, ${CONC} outstanding, median)`);
}

console.log(`machine: ${(await import('node:os')).cpus().length} cores, node ${process.version}; log in ${dir}`);
try {
  for (const fsync of FSYNC) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    writeFileSync(join(dir, 'radiusd.yaml'), [
      `listen: [{ type: acct, address: 127.0.0.1, port: ${port} }]`,
      `clients: [{ name: bench, address: 127.0.0.0/8, secret: ${SECRET} }]`,
      'users: { files: [ ./authorize ] }',
      `log: { level: warn, pretty: false, accounting: ./accounting-${fsync}.log, accounting_fsync: ${fsync} }`,
      `workers: ${WORKERS}`,
    ].join('\n'));
    const child = spawn(process.execPath, [CLI, 'serve', '-c', join(dir, 'radiusd.yaml')], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500));
    try {
      await measure(`ours fsync=${fsync} workers=${WORKERS}`, port);
    } finally {
      child.kill('SIGKILL');
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
