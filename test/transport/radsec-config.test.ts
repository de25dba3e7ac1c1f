import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, formatProblem } from '../../src/server/config-error.js';
import { loadSnapshot } from '../../src/server/snapshot.js';
import { repoRoot } from '../server/test-server.js';
import { makePki, type TestPki } from './certs.js';

let pki: TestPki;
beforeAll(() => {
  pki = makePki();
});

function load(yaml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'vr-radsec-cfg-'));
  const file = join(dir, 'radiusd.yaml');
  writeFileSync(file, `dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}\n${yaml}`);
  try {
    loadSnapshot(file);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
}

const tls = () => `tls: { cert: ${JSON.stringify(pki.serverCert)}, key: ${JSON.stringify(pki.serverKey)}, ca: ${JSON.stringify(pki.ca)} }`;

describe('radsec configuration', () => {
  it('loads a radsec listener with certificate, PSK and fingerprint clients; they stay out of the UDP table', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-radsec-cfg-'));
    const file = join(dir, 'radiusd.yaml');
    writeFileSync(file, `dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
listen:
  - { type: radsec, address: 127.0.0.1, port: 2083, ${tls()} }
  - { type: tcp, address: 127.0.0.1, port: 1812 }
  - { type: auth, address: 127.0.0.1, port: 1812 }
clients:
  - { name: a, address: 10.0.0.0/8, radsec: { san: [a.example.net, 10.1.2.3] } }
  - { name: b, address: 10.0.0.0/8, radsec: { fingerprint: "${pki.fingerprint(pki.clientCert)}" } }
  - { name: c, address: 10.0.0.1, radsec: { psk_identity: c, psk: "${'ab'.repeat(32)}", radius11: require } }
  - { name: udp, address: 10.0.0.0/8, secret: a-long-enough-secret }
`);
    const s = loadSnapshot(file);
    expect(s.radsecClients.size).toBe(3);
    expect(s.clients.size).toBe(1);
    expect(s.clients.lookup('10.0.0.1')?.name).toBe('udp');
    expect(s.tls[0]?.ca).toHaveLength(1);
    expect(s.tls[1]).toBeUndefined();
    expect(s.config.listen[0]!.stream).toMatchObject({ idleTimeout: 300, maxConnections: 1024, maxConnectionsPerClient: 32 });
    expect(s.files).toEqual(expect.arrayContaining([pki.serverCert, pki.serverKey, pki.ca]));
  });

  it('says what is wrong, with file and line', () => {
    const errors = load(`listen:
  - { type: radsec, address: 127.0.0.1, port: 2083 }
  - { type: auth, address: 127.0.0.1, port: 1812, idle_timeout: 5 }
clients:
  - { name: a, address: 10.0.0.0/8, radsec: {} }
  - { name: b, address: 10.0.0.0/8, radsec: { fingerprint: nope } }
  - { name: c, address: 10.0.0.0/8, radsec: { psk_identity: c } }
  - { name: d, address: 10.0.0.0/8 }
`);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringMatching(/radiusd\.yaml:3: listen: a radsec listener needs "tls/),
      expect.stringMatching(/radiusd\.yaml:4: listen: "idle_timeout" is for type radsec or tcp/),
      expect.stringMatching(/radiusd\.yaml:6: client a: radsec needs at least one of san/),
      expect.stringMatching(/radiusd\.yaml:7: client b: radsec.fingerprint "nope" is not a SHA-256 fingerprint/),
      expect.stringMatching(/radiusd\.yaml:8: client c: radsec.psk and radsec.psk_identity go together/),
      expect.stringMatching(/radiusd\.yaml:9: clients.3.secret: missing: add "secret: /),
    ]));
  });

  it('refuses a key that does not belong to the certificate, and unreadable files', () => {
    const errors = load(`listen:
  - { type: radsec, address: 127.0.0.1, port: 2083, tls: { cert: ${JSON.stringify(pki.serverCert)}, key: ${JSON.stringify(pki.clientKey)}, ca: /nonexistent/ca.pem } }
clients:
  - { name: a, address: 10.0.0.0/8, radsec: { san: a.example.net } }
`);
    expect(errors).toEqual(expect.arrayContaining([
      `${pki.clientKey}: this key does not belong to the certificate ${pki.serverCert}`,
      expect.stringMatching(/^\/nonexistent\/ca\.pem: cannot read the CA file/),
    ]));
    expect(errors.join('\n')).not.toContain('PRIVATE KEY');
  });
});

describe('certificate health', () => {
  it('reports an expired or soon expiring server certificate for /healthz', async () => {
    const { certificateProblems } = await import('../../src/server/tls-material.js');
    const listen = [{ address: '127.0.0.1', port: 2083 }, { address: '127.0.0.1', port: 1812 }];
    const m = (notAfter: string) => ({ cert: '', key: '', ca: [], minVersion: 'TLSv1.2' as const, digest: '', notAfter });
    const now = Date.parse('2026-06-01T00:00:00Z');
    expect(certificateProblems(listen, [m('Jun 30 00:00:00 2026 GMT'), undefined], now)).toEqual([]);
    expect(certificateProblems(listen, [m('Jun  3 00:00:00 2026 GMT'), undefined], now)).toEqual([expect.stringMatching(/^radsec listener 127\.0\.0\.1:2083: the server certificate expires on .* \(in 2 days\)/)]);
    expect(certificateProblems(listen, [m('May 30 00:00:00 2026 GMT'), undefined], now)).toEqual([expect.stringMatching(/expired on May 30 .*TLS clients refuse it/)]);
  });
});

describe('busy-port probe before forking workers', () => {
  it('probes a radsec listener port as TCP, not UDP', async () => {
    const { probeListenPorts } = await import('../../src/server/udp-listener.js');
    const { createServer } = await import('node:net');
    const { createSocket } = await import('node:dgram');
    const tcp = createServer();
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
    const port = (tcp.address() as { port: number }).port;
    const stream = { address: '127.0.0.1', port, stream: { idleTimeout: 0, maxConnections: 1, maxConnectionsPerClient: 1 } };
    await expect(probeListenPorts([{ type: 'radsec', ...stream }])).rejects.toThrow(/already in use/);
    await new Promise<void>((r) => tcp.close(() => r()));
    // the same number held over UDP (as radsecproxy's DTLS would) does not make the TCP port busy
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(port, '127.0.0.1', () => r()));
    try {
      await expect(probeListenPorts([{ type: 'radsec', ...stream }])).resolves.toBeUndefined();
    } finally {
      udp.close();
    }
  });
});
