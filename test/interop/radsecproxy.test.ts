/**
 * radsecproxy 1.9.2 (Debian) as the RADIUS/TLS client of our radsec listener, the way a site
 * bridges UDP-only Vutlan devices: radclient -> radsecproxy (UDP) -> TLS -> vutlan-radius.
 * Access-Accept with the Vutlan attributes, accounting over the same TLS connection, a client
 * certificate of another CA refused in the handshake, plain RADIUS/TCP to the TLS port refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from '../../src/bench/stop-child.js';
import { freeUdpPort } from '../../src/bench/free-ports.js';
import type { TestServer } from '../server/test-server.js';
import { hasCommand, skipWithout } from '../support/tools.js';
import { makePki, type TestPki } from '../transport/certs.js';
import { DEVICE_PASSWORD as PASSWORD, radclient as radclientTo, startRadsecServer } from '../transport/radsec-rig.js';

const missing = skipWithout(hasCommand('radsecproxy') && hasCommand('radclient'), 'radsecproxy and radclient (apt-get install radsecproxy freeradius-utils)');

/** radclient to radsecproxy's UDP side; one try waits 3 s, two tries 4 s each. */
const radclient = (port: number, kind: 'auth' | 'acct', input: string, tries = 2) =>
  radclientTo(port, kind, 'testing123', input, { tries, timeoutSeconds: tries > 1 ? 4 : 3 });

/** True when some process has a UDP socket bound to 127.0.0.1:`port` (Linux /proc/net/udp). */
function udpBound(port: number): boolean {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8').split('\n').some((l) => l.trim().split(/\s+/)[1] === local);
}

/** Starts radsecproxy in the foreground with a UDP listener and one home server of ours. */
async function startRadsecproxy(dir: string, name: string, o: { tlsPort: number; cert: string; key: string; ca: string; type?: 'tls' | 'tcp' }): Promise<{ udpPort: number; child: ChildProcess; log: () => string; stop: () => Promise<void> }> {
  const udpPort = await freeUdpPort('127.0.0.1');
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, `ListenUDP 127.0.0.1:${udpPort}
LogLevel 3
client radclient {
    host 127.0.0.1
    type udp
    secret testing123
}
tls default {
    CACertificateFile ${o.ca}
    CertificateFile ${o.cert}
    CertificateKeyFile ${o.key}
}
server vutlan-radius {
    host 127.0.0.1
    port ${o.tlsPort}
    type ${o.type ?? 'tls'}
    ${o.type === 'tcp' ? 'secret radsec' : 'tls default'}
    StatusServer on
}
realm * {
    server vutlan-radius
    accountingServer vutlan-radius
}
`);
  const child = spawn('radsecproxy', ['-f', '-c', conf, '-i', join(dir, `${name}.pid`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  // ready once its UDP listener is bound (whatever this build prints)
  const deadline = Date.now() + 20_000;
  while (!udpBound(udpPort) && child.exitCode === null) {
    if (Date.now() > deadline) throw new Error(`radsecproxy did not bind 127.0.0.1:${udpPort}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (child.exitCode !== null) throw new Error(`radsecproxy exited: ${log}`);
  return {
    udpPort,
    child,
    log: () => log,
    stop: () => stopChild(child, 3000),
  };
}

describe.skipIf(missing)('radsecproxy as RADIUS/TLS client', () => {
  let pki: TestPki;
  let ts: TestServer;
  let tlsPort: number;
  const proxies: { stop: () => Promise<void> }[] = [];

  beforeAll(async () => {
    pki = makePki();
    ({ ts, tlsPort } = await startRadsecServer(pki, 'site1'));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await ts?.stop();
  }, 60_000);

  it('radclient through radsecproxy gets Access-Accept with the Vutlan attributes, and accounting uses the same connection', async () => {
    const proxy = await startRadsecproxy(ts.dir, 'site1', { tlsPort, cert: pki.clientCert, key: pki.clientKey, ca: pki.ca });
    proxies.push(proxy);
    const r = await radclient(proxy.udpPort, 'auth', `User-Name = "username01"\nUser-Password = "${PASSWORD}"\nNAS-IP-Address = 192.168.1.88\n`);
    expect(r.stdout, `${r.stdout}\n${r.stderr}\n${proxy.log()}`).toContain('Received Access-Accept');
    expect(r.stdout).toContain('SRead = "all,"');
    expect(r.stdout).toContain('GWrite = "all,"');

    const reject = await radclient(proxy.udpPort, 'auth', 'User-Name = "username01"\nUser-Password = "wrong"\n');
    expect(reject.stdout).toContain('Received Access-Reject');

    const a = await radclient(proxy.udpPort, 'acct', 'User-Name = "username01"\nAcct-Status-Type = Start\nAcct-Session-Id = "via-radsecproxy"\nNAS-IP-Address = 192.168.1.88\n');
    expect(a.stdout, `${a.stdout}\n${a.stderr}`).toContain('Received Accounting-Response');
    const deadline = Date.now() + 20_000;
    while (!ts.accountingLines().some((l) => JSON.stringify(l).includes('via-radsecproxy')) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    expect(ts.accountingLines().find((l) => JSON.stringify(l).includes('via-radsecproxy'))?.client).toBe('site1');

    const metrics = await ts.server.metrics.registry.metrics();
    // auth, reject and accounting all went over one TLS connection
    expect(metrics).toContain('radius_stream_connections_total{type="radsec",result="accepted"} 1');
    expect(metrics).toMatch(/radius_requests_total\{client="site1",type="Accounting-Request"\} 1/);
  });

  it('refuses radsecproxy with a client certificate from another CA', async () => {
    const proxy = await startRadsecproxy(ts.dir, 'intruder', { tlsPort, cert: pki.otherCert, key: pki.otherKey, ca: pki.ca });
    proxies.push(proxy);
    const r = await radclient(proxy.udpPort, 'auth', `User-Name = "username01"\nUser-Password = "${PASSWORD}"\n`, 1);
    expect(r.stdout).not.toContain('Received Access');
    const lines = ts.authFailLines().filter((l) => l.reason === 'tls_handshake_failed');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatchObject({ src: '127.0.0.1', action: 'close' });
  });

  it('refuses plain RADIUS/TCP sent to the TLS port', async () => {
    const proxy = await startRadsecproxy(ts.dir, 'plain', { tlsPort, cert: pki.clientCert, key: pki.clientKey, ca: pki.ca, type: 'tcp' });
    proxies.push(proxy);
    const before = ts.authFailLines().filter((l) => l.reason === 'tls_handshake_failed').length;
    const r = await radclient(proxy.udpPort, 'auth', `User-Name = "username01"\nUser-Password = "${PASSWORD}"\n`, 1);
    expect(r.stdout).not.toContain('Received Access');
    expect(ts.authFailLines().filter((l) => l.reason === 'tls_handshake_failed').length).toBeGreaterThan(before);
  });
});
