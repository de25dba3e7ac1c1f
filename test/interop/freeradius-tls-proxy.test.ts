/**
 * FreeRADIUS 3.2.1 (Debian) as a RADIUS/TLS client of ours: it proxies every request of a UDP
 * client to our radsec listener as its `home_server { proto = tcp; tls { ... } }`, the setup of
 * Debian's sites-available/tls. radclient -> FreeRADIUS (UDP) -> TLS -> vutlan-radius.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreeRadius, type RunningFreeRadius } from '../../src/bench/freeradius-bench-server.js';
import { proxyFreeRadiusToTls } from '../../src/bench/freeradius-radsec.js';
import { findFreeUdpPorts } from '../../src/bench/free-ports.js';
import type { TestServer } from '../server/test-server.js';
import { hasCommand, hasFreeRadius, skipWithout } from '../support/tools.js';
import { makePki, type TestPki } from '../transport/certs.js';
import { DEVICE_PASSWORD as PASSWORD, DICTIONARY_DIR, radclient as radclientTo, startRadsecServer } from '../transport/radsec-rig.js';

const missing = skipWithout(hasFreeRadius() && hasCommand('radclient'), 'FreeRADIUS (freeradius) and radclient');

const radclient = (port: number, kind: 'auth' | 'acct', input: string) => radclientTo(port, kind, 'bench-secret-123', input, { timeoutSeconds: 6 });

describe.skipIf(missing)('FreeRADIUS 3.2.1 proxying to our radsec listener', () => {
  let pki: TestPki;
  let ts: TestServer;
  let fr: RunningFreeRadius;

  beforeAll(async () => {
    pki = makePki();
    let tlsPort: number;
    ({ ts, tlsPort } = await startRadsecServer(pki, 'freeradius-proxy'));
    const dir = mkdtempSync(join(tmpdir(), 'vr-fr-tls-'));
    writeFileSync(join(dir, 'authorize'), '# users are ours: everything is proxied\n');
    fr = await startFreeRadius({
      dir,
      port: await findFreeUdpPorts(3),
      secret: 'bench-secret-123',
      users: { kind: 'files', authorizeFile: join(dir, 'authorize') },
      vutlanDictionary: join(DICTIONARY_DIR, 'dictionary.vutlan'),
      customize: (raddb) => proxyFreeRadiusToTls(raddb, tlsPort, { cert: pki.clientCert, key: pki.clientKey, ca: pki.ca }),
    });
  }, 60_000);

  afterAll(async () => {
    await fr?.stop();
    await ts?.stop();
  });

  it('gets Access-Accept with the Vutlan attributes and Access-Reject through FreeRADIUS, over one TLS connection with accounting', async () => {
    const r = await radclient(fr.port, 'auth', `User-Name = "username01"\nUser-Password = "${PASSWORD}"\nNAS-IP-Address = 192.168.1.88\n`);
    expect(r.stdout, `${r.stdout}\n${r.stderr}`).toContain('Received Access-Accept');
    expect(r.stdout).toContain('SRead = "all,"');
    expect(r.stdout).toContain('GWrite = "all,"');
    const rej = await radclient(fr.port, 'auth', 'User-Name = "username01"\nUser-Password = "nope"\n');
    expect(rej.stdout).toContain('Received Access-Reject');
    const acct = await radclient(fr.port + 1, 'acct', 'User-Name = "username01"\nAcct-Status-Type = Start\nAcct-Session-Id = "via-freeradius"\n');
    expect(acct.stdout, `${acct.stdout}\n${acct.stderr}`).toContain('Received Accounting-Response');
    const metrics = await ts.server.metrics.registry.metrics();
    expect(metrics).toMatch(/radius_requests_total\{client="freeradius-proxy",type="Access-Request"\} 2/);
    expect(metrics).toMatch(/radius_requests_total\{client="freeradius-proxy",type="Accounting-Request"\} 1/);
    expect(metrics).toContain('radius_stream_connections_total{type="radsec",result="accepted"} 1');
  });
});
