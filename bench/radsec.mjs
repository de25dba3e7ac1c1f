// RADIUS/TLS against RADIUS/UDP, ours and FreeRADIUS 3.2.1 side by side in one run:
//   npm run build && node bench/radsec.mjs            (DUR=3 ROUNDS=3 USERS=1000 INFLIGHT=64 CONNS=8 PIPE=4)
// Each round measures, one after the other: our UDP listener, our radsec listener, FreeRADIUS's
// UDP listener, FreeRADIUS's TLS listener (Debian's sites-available/tls setup, its per-client
// limit of 16 connections kept). Closed loop of
// Access-Requests (PAP + Message-Authenticator, 4 Vutlan reply attributes), every reply verified;
// UDP over INFLIGHT requests on 4 sockets; TLS over CONNS long-lived connections with one request
// in flight each, and over PIPE connections sharing INFLIGHT requests (pipelined). Prints medians
// of the rounds (requests/s, p50, p99 in ms) and JSON.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { writeAuthorizeFile } from '../dist/bench/bench-users.js';
import { findFreeUdpPorts } from '../dist/bench/free-ports.js';
import { startFreeRadius } from '../dist/bench/freeradius-bench-server.js';
import { addFreeRadiusTlsListener } from '../dist/bench/freeradius-radsec.js';
import { runLoad } from '../dist/bench/load-generator.js';
import { ourDictionaryPath, startOurServer } from '../dist/bench/our-server-process.js';
import { waitForReply } from '../dist/bench/probe.js';
import { runTlsLoad } from '../dist/bench/tls-load-generator.js';
import { loadDictionary } from '../dist/protocol/dictionary-loader.js';

const DUR = Number(process.env.DUR ?? 3);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const USERS = Number(process.env.USERS ?? 1000);
const INFLIGHT = Number(process.env.INFLIGHT ?? 64);
const CONNS = Number(process.env.CONNS ?? 8);
const PIPE = Number(process.env.PIPE ?? 4);
const WORKERS = process.env.WORKERS ?? '1';
const SECRET = 'bench-secret-123';

const dir = mkdtempSync(join(tmpdir(), 'vutlan-bench-radsec-'));
const ssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const key = (name) => { ssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`); return join(dir, `${name}.key`); };
key('ca');
ssl('req', '-x509', '-new', '-key', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench-ca');
const issue = (name, san, usage) => {
  key(name);
  ssl('req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
};
const server = issue('server', 'DNS:localhost,IP:127.0.0.1', 'serverAuth');
const client = issue('client', 'DNS:bench.example.net', 'clientAuth');
const ca = join(dir, 'ca.pem');
const pem = { ca: readFileSync(ca, 'utf8'), cert: readFileSync(client.cert, 'utf8'), key: readFileSync(client.key, 'utf8') };

const authorize = join(dir, 'authorize');
writeAuthorizeFile(authorize, { users: USERS });
const dict = loadDictionary(ourDictionaryPath());

const ourUdp = await findFreeUdpPorts(2);
const ourTls = ourUdp + 1;
const ours = startOurServer({
  dir, port: ourUdp, secret: SECRET, users: { kind: 'files', authorizeFile: authorize }, logLevel: 'warn',
  workers: WORKERS === 'auto' ? 'auto' : Number(WORKERS),
  extraListen: [{ type: 'radsec', address: '127.0.0.1', port: ourTls, tls: { cert: server.cert, key: server.key, ca } }],
  extraClients: [{ name: 'bench-tls', address: '127.0.0.1', radsec: { san: 'bench.example.net' } }],
});
const frDir = join(dir, 'freeradius');
const frUdp = await findFreeUdpPorts(4);
const frTls = frUdp + 3;
const fr = await startFreeRadius({
  dir: frDir, port: frUdp, secret: SECRET, users: { kind: 'files', authorizeFile: authorize },
  vutlanDictionary: join(ourDictionaryPath(), '..', 'dictionary.vutlan'),
  customize: (raddb) => addFreeRadiusTlsListener(raddb, frTls, { cert: server.cert, key: server.key, ca }),
});
try {
  await waitForReply({ host: '127.0.0.1', port: ourUdp, secret: SECRET, dict });
  await waitForReply({ host: '127.0.0.1', port: frUdp, secret: SECRET, dict });
  const common = { host: '127.0.0.1', dict, users: USERS, durationMs: DUR * 1000, inflight: INFLIGHT };
  // TLS two ways: CONNS long-lived connections with one request in flight each (what FreeRADIUS
  // 3.2.1's TLS listener handles), and PIPE connections sharing INFLIGHT requests (pipelined,
  // the same number in flight as the UDP runs).
  const tlsOne = { ...common, inflight: CONNS, connections: CONNS, ...pem };
  const tlsPiped = { ...common, connections: PIPE, ...pem };
  const targets = {
    'ours udp': () => runLoad({ ...common, port: ourUdp, secret: SECRET, sockets: 4 }),
    [`ours tls ${CONNS}x1`]: () => runTlsLoad({ ...tlsOne, port: ourTls }),
    [`ours tls ${PIPE}x${INFLIGHT / PIPE}`]: () => runTlsLoad({ ...tlsPiped, port: ourTls }),
    // FreeRADIUS 3.2.1 sends no Message-Authenticator in its replies
    'freeradius udp': () => runLoad({ ...common, port: frUdp, secret: SECRET, sockets: 4, requireMessageAuthenticator: false }),
    [`freeradius tls ${CONNS}x1`]: () => runTlsLoad({ ...tlsOne, port: frTls, requireMessageAuthenticator: false }),
    [`freeradius tls ${PIPE}x${INFLIGHT / PIPE}`]: () => runTlsLoad({ ...tlsPiped, port: frTls, requireMessageAuthenticator: false }),
  };
  const results = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [name, run] of Object.entries(targets)) {
      const r = await run();
      results[name].push(r);
      const bad = r.timeouts + r.unexpectedCode + Object.values(r.invalid).reduce((a, b) => a + b, 0);
      console.log(`round ${round} ${name.padEnd(15)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${bad}${bad ? ` ${JSON.stringify({ timeouts: r.timeouts, unexpectedCode: r.unexpectedCode, ...r.invalid })}` : ""}`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, {
    rps: Math.round(median(rs.map((r) => r.rps))), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)),
    errors: rs.reduce((a, r) => a + r.timeouts + r.unexpectedCode + Object.values(r.invalid).reduce((x, y) => x + y, 0), 0),
  }]));
  console.log(`\nmedians of ${ROUNDS} rounds of ${DUR} s, ${USERS} users, UDP ${INFLIGHT} in flight on 4 sockets, our workers ${WORKERS}, ${cpus().length} cores (${cpus()[0]?.model ?? ''}), node ${process.version}`);
  console.log('| target | req/s | p50 ms | p99 ms | errors |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [k, s] of Object.entries(summary)) console.log(`| ${k} | ${s.rps} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.errors} |`);
  const ratio = (a, b) => (summary[a].rps / summary[b].rps).toFixed(2);
  const one = `tls ${CONNS}x1`;
  const piped = `tls ${PIPE}x${INFLIGHT / PIPE}`;
  console.log(`\nours ${one} / freeradius ${one}: ${ratio(`ours ${one}`, `freeradius ${one}`)}x; ours ${piped} / ours udp: ${ratio(`ours ${piped}`, 'ours udp')}x; ours udp / freeradius udp: ${ratio('ours udp', 'freeradius udp')}x`);
  console.log(JSON.stringify(summary));
} finally {
  await ours.stop();
  await fr.stop();
}
