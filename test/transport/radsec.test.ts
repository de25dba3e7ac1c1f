import { spawn } from 'node:child_process';
import pino from 'pino';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, buildRequest, parseReply, vutlan, type RawAttr } from '../support/raw-radius.js';
import { CLIENTS, startTestServer, type TestServer } from '../server/test-server.js';
import { makePki, type TestPki } from './certs.js';
import { TlsTestClient } from './tls-client.js';
import { radsecListen } from './radsec-rig.js';

const PASSWORD = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const PSK = Buffer.from('8d4c0a2bd1f7e6a3b29c1e0f5a4d3c2b1a09f8e7d6c5b4a3', 'hex');

let pki: TestPki;
let ts: TestServer;
let tlsPort: number;

function radsecConfig(p: TestPki, extraListen = ''): { listen: string; clients: string } {
  return {
    listen: radsecListen(p, extraListen),
    clients: `${CLIENTS}
  - { name: site1, address: 127.0.0.0/8, radsec: { san: site1.example.net } }
  - { name: psk1, address: 127.0.0.1, radsec: { psk_identity: psk1, psk: "${PSK.toString('hex')}" } }
  - { name: needs11, address: 127.0.0.0/8, radsec: { san: v11.example.net, radius11: require } }
  - { name: no11, address: 127.0.0.0/8, radsec: { san: old.example.net, radius11: forbid } }
`,
  };
}

/** A RADIUS/1.1 request built by hand: Code, Reserved-1, Length, Token, 12 zero octets, plain attributes. */
function request11(code: number, token: number, attrs: RawAttr[]): Buffer {
  const body = Buffer.concat(attrs.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v])));
  const buf = Buffer.alloc(20 + body.length);
  buf[0] = code;
  buf.writeUInt16BE(buf.length, 2);
  buf.writeUInt32BE(token, 4);
  body.copy(buf, 20);
  return buf;
}

function attrs11(buf: Buffer): RawAttr[] {
  const out: RawAttr[] = [];
  for (let off = 20; off < buf.readUInt16BE(2); off += buf[off + 1]!) out.push([buf[off]!, buf.subarray(off + 2, off + buf[off + 1]!)]);
  return out;
}

/** Retries an assertion until it holds (log files are written asynchronously), at most 3 s. */
async function eventually(check: () => void | Promise<void>): Promise<void> {
  const deadline = Date.now() + 3000;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

beforeAll(async () => {
  pki = makePki();
  const { listen, clients } = radsecConfig(pki);
  ts = await startTestServer('', { listen, clients });
  tlsPort = ts.server.addresses().find((a) => a.type === 'radsec')!.port;
});

afterAll(async () => {
  await ts?.stop();
});

const site1 = () => TlsTestClient.connect({ port: tlsPort, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, alpn: ['radius/1.0'] });

describe('RADIUS/TLS listener', () => {
  it('answers an Access-Request with the Vutlan attributes, then accounting and Status-Server on the same connection', async () => {
    const c = await site1();
    expect(c.socket.alpnProtocol).toBe('radius/1.0');
    expect(c.socket.getProtocol()).toBe('TLSv1.3');
    const auth = buildRequest({ id: 7, secret: 'radsec', attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: PASSWORD });
    c.send(auth.buf);
    const reply = parseReply(await c.next(), auth.authenticator, 'radsec');
    expect(reply.code).toBe(2);
    expect(reply.id).toBe(7);
    expect(reply.responseAuthenticatorOk).toBe(true);
    expect(reply.maFirstAndValid).toBe(true);
    expect(vutlan(reply)).toMatchObject({ SRead: 'all,', SWrite: 'all,', GWrite: 'all,' });

    const acct = buildRequest({ code: 4, id: 8, secret: 'radsec', attrs: [A.userName('username01'), A.acctStatusType(1), A.acctSessionId('tls-1')] });
    c.send(acct.buf);
    const ar = parseReply(await c.next(), acct.authenticator, 'radsec');
    expect(ar.code).toBe(5);
    expect(ar.responseAuthenticatorOk).toBe(true);
    await eventually(() => expect(ts.accountingLines().some((l) => l.client === 'site1' && JSON.stringify(l.attributes).includes('tls-1'))).toBe(true));

    const status = buildRequest({ code: 12, id: 9, secret: 'radsec', attrs: [], ma: true });
    c.send(status.buf);
    expect(parseReply(await c.next(), status.authenticator, 'radsec').code).toBe(2);
    c.close();
  });

  it('frames packets written together and packets written one octet at a time', async () => {
    const c = await site1();
    const reqs = [1, 2, 3].map((id) => buildRequest({ id, secret: 'radsec', attrs: [A.userName('username01'), A.nasIp('10.0.0.1')], password: PASSWORD }));
    c.send(Buffer.concat(reqs.map((r) => r.buf)));
    const ids = new Set<number>();
    for (let i = 0; i < 3; i++) ids.add((await c.next())[1]!);
    expect(ids).toEqual(new Set([1, 2, 3]));
    const slow = buildRequest({ id: 4, secret: 'radsec', attrs: [A.userName('username01'), A.nasIp('10.0.0.1')], password: PASSWORD });
    for (const b of slow.buf) {
      c.send(Buffer.from([b]));
      await new Promise((r) => setTimeout(r, 1));
    }
    const reply = parseReply(await c.next(), slow.authenticator, 'radsec');
    expect(reply.id).toBe(4);
    expect(reply.code).toBe(2);
    c.close();
  });

  it('answers a duplicate on the same connection from its cache (accounting written once)', async () => {
    const c = await site1();
    const acct = buildRequest({ code: 4, id: 40, secret: 'radsec', attrs: [A.userName('username01'), A.acctStatusType(1), A.acctSessionId('dup-tls')] });
    c.send(acct.buf);
    const first = await c.next();
    c.send(acct.buf);
    const second = await c.next();
    expect(second.equals(first)).toBe(true);
    await eventually(() => expect(ts.accountingLines().filter((l) => JSON.stringify(l.attributes).includes('dup-tls'))).toHaveLength(1));
    c.close();
  });

  it('closes the connection on a malformed packet and on a lying Length, and says so in the auth-fail log', async () => {
    const c = await site1();
    const bad = buildRequest({ id: 5, secret: 'radsec', attrs: [A.userName('username01')], password: PASSWORD }).buf;
    bad[21] = 1; // first attribute length 1
    c.send(bad);
    await c.waitClosed();

    const d = await site1();
    const lying = Buffer.alloc(20);
    lying[0] = 1;
    lying.writeUInt16BE(5000, 2);
    d.send(lying);
    await d.waitClosed();
    await eventually(() => {
      const lines = ts.authFailLines().filter((l) => l.action === 'close' && l.client === 'site1');
      expect(lines.map((l) => l.detail)).toEqual(expect.arrayContaining(['attribute_too_short', 'bad_length']));
    });
  });

  it('refuses a client certificate from another CA in the handshake', async () => {
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, cert: pki.otherCert, key: pki.otherKey })).toBe(true);
    await eventually(() => expect(ts.authFailLines().some((l) => l.reason === 'tls_handshake_failed' && l.action === 'close')).toBe(true));
    const metrics = await ts.server.metrics.registry.metrics();
    expect(metrics).toMatch(/radius_stream_connections_total\{type="radsec",result="tls_handshake_failed"\} [1-9]/);
  });

  it('never identifies a client by its CN', async () => {
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, cert: pki.cnOnlyCert, key: pki.cnOnlyKey })).toBe(true);
    await eventually(() => expect(ts.authFailLines().some((l) => l.reason === 'unknown_client' && String(l.detail).startsWith('unknown certificate sha256'))).toBe(true));
  });

  it('refuses a client without a certificate and plain RADIUS sent to the TLS port', async () => {
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca })).toBe(true);
    const plain = buildRequest({ id: 1, secret: 'radsec', attrs: [A.userName('username01')], password: PASSWORD }).buf;
    const got = await new Promise<{ data: Buffer; closed: boolean }>((resolve) => {
      const s = tcpConnect(tlsPort, '127.0.0.1', () => s.write(plain));
      const chunks: Buffer[] = [];
      s.on('data', (d) => chunks.push(d));
      s.on('error', () => {});
      s.on('close', () => resolve({ data: Buffer.concat(chunks), closed: true }));
      setTimeout(() => { s.destroy(); resolve({ data: Buffer.concat(chunks), closed: false }); }, 4000);
    });
    expect(got.closed).toBe(true);
    // whatever came back is a TLS alert record (content type 21), never a RADIUS reply
    if (got.data.length > 0) expect(got.data[0]).toBe(21);
  });
});

describe('RADIUS/1.1 over the same listener', () => {
  it('negotiates radius/1.1 by ALPN and answers with the Token, plain attributes and no Message-Authenticator', async () => {
    const c = await TlsTestClient.connect({ port: tlsPort, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, alpn: ['radius/1.0', 'radius/1.1'] });
    expect(c.socket.alpnProtocol).toBe('radius/1.1');
    const token = 0xfedc0001;
    c.send(request11(1, token, [A.userName('username01'), A.nasIp('192.168.1.88'), [2, Buffer.from(PASSWORD)], [80, Buffer.alloc(16)]]));
    const reply = await c.next();
    expect(reply[0]).toBe(2);
    expect(reply[1]).toBe(0);
    expect(reply.readUInt32BE(4)).toBe(token);
    expect(reply.subarray(8, 20).equals(Buffer.alloc(12))).toBe(true);
    const attrs = attrs11(reply);
    expect(attrs.some(([t]) => t === 80)).toBe(false);
    const sread = attrs.find(([t, v]) => t === 26 && v.readUInt32BE(0) === 39052 && v[4] === 10);
    expect(sread?.[1].subarray(6).toString()).toBe('all,');

    // wrong password, plain: Access-Reject with the next Token
    c.send(request11(1, token + 1, [A.userName('username01'), [2, Buffer.from('wrong')]]));
    const rej = await c.next();
    expect(rej[0]).toBe(3);
    expect(rej.readUInt32BE(4)).toBe(token + 1);

    c.send(request11(4, token + 2, [A.userName('username01'), A.acctStatusType(1), A.acctSessionId('v11-acct')]));
    const acct = await c.next();
    expect(acct[0]).toBe(5);
    expect(acct.readUInt32BE(4)).toBe(token + 2);
    c.close();
  });

  it('closes a RADIUS/1.1 connection whose User-Password is empty', async () => {
    const c = await TlsTestClient.connect({ port: tlsPort, ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, alpn: ['radius/1.1'] });
    c.send(request11(1, 1, [A.userName('username01'), [2, Buffer.alloc(0)]]));
    await c.waitClosed();
  });

  it('applies the client radius11 policy: require refuses radius/1.0, forbid refuses radius/1.1', async () => {
    const v11 = pki.issue('v11', 'DNS:v11.example.net');
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, cert: v11.cert, key: v11.key, alpn: ['radius/1.0'] })).toBe(true);
    const ok = await TlsTestClient.connect({ port: tlsPort, ca: pki.ca, cert: v11.cert, key: v11.key, alpn: ['radius/1.1'] });
    expect(ok.socket.alpnProtocol).toBe('radius/1.1');
    ok.close();
    const old = pki.issue('old', 'DNS:old.example.net');
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, cert: old.cert, key: old.key, alpn: ['radius/1.1'] })).toBe(true);
    // with both offered the server picks 1.1 before it knows the client; the forbid client is then refused
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, cert: old.cert, key: old.key, alpn: ['radius/1.0', 'radius/1.1'] })).toBe(true);
    await eventually(() => expect(ts.authFailLines().filter((l) => l.reason === 'alpn_mismatch').map((l) => l.client)).toEqual(expect.arrayContaining(['needs11', 'no11'])));
  });
});

describe('TLS-PSK', () => {
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`authenticates a PSK client over ${version}`, async () => {
      const c = await TlsTestClient.connect({ port: tlsPort, ca: pki.ca, psk: { identity: 'psk1', key: PSK }, minVersion: version, maxVersion: version });
      expect(c.socket.getProtocol()).toBe(version);
      const auth = buildRequest({ id: 3, secret: 'radsec', attrs: [A.userName('username01'), A.nasIp('10.1.1.1')], password: PASSWORD });
      c.send(auth.buf);
      const reply = parseReply(await c.next(), auth.authenticator, 'radsec');
      expect(reply.code).toBe(2);
      expect(vutlan(reply).GWrite).toBe('3001,3002,');
      c.close();
    });
  }

  it('refuses a wrong PSK', async () => {
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, psk: { identity: 'psk1', key: Buffer.alloc(24, 1) } })).toBe(true);
    expect(await TlsTestClient.refused({ port: tlsPort, ca: pki.ca, psk: { identity: 'nobody', key: PSK } })).toBe(true);
  });
});

describe('connection management', () => {
  it('limits connections per client, closes idle ones, keeps open connections over a certificate reload', async () => {
    const p = makePki();
    const { listen, clients } = radsecConfig(p);
    const server = await startTestServer('', { listen: listen.replace('    tls:', '    max_connections: 3\n    max_connections_per_client: 2\n    tls:'), clients });
    try {
      const port = server.server.addresses().find((a) => a.type === 'radsec')!.port;
      const open = () => TlsTestClient.connect({ port, ca: p.ca, cert: p.clientCert, key: p.clientKey });
      const a = await open();
      const b = await open();
      expect(await TlsTestClient.refused({ port, ca: p.ca, cert: p.clientCert, key: p.clientKey })).toBe(true);
      await eventually(() => expect(server.authFailLines().some((l) => l.reason === 'connection_limit' && l.client === 'site1')).toBe(true));
      // max_connections 3 in total: a PSK client takes the third, a fourth connection is refused at accept
      const psk = await TlsTestClient.connect({ port, ca: p.ca, psk: { identity: 'psk1', key: PSK } });
      expect(await TlsTestClient.refused({ port, ca: p.ca, psk: { identity: 'psk1', key: PSK } })).toBe(true);
      await expect(server.server.metrics.registry.metrics()).resolves.toMatch(/radius_stream_connections_total\{type="radsec",result="connection_limit"\} 1/);
      psk.close();
      b.close();

      // a new server certificate: reload swaps it for new connections, `a` stays open
      const fresh = makePki();
      const before = a.socket.getPeerX509Certificate()!.fingerprint256;
      copyFileSync(fresh.serverCert, p.serverCert);
      copyFileSync(fresh.serverKey, p.serverKey);
      writeFileSync(p.ca, `${readFileSync(p.ca, 'utf8')}\n${readFileSync(fresh.ca, 'utf8')}`);
      const r = await server.server.reload();
      expect(r).toEqual({ ok: true });
      const c = await TlsTestClient.connect({ port, ca: fresh.ca, cert: p.clientCert, key: p.clientKey });
      expect(c.socket.getPeerX509Certificate()!.fingerprint256).not.toBe(before);
      const auth = buildRequest({ id: 11, secret: 'radsec', attrs: [A.userName('username01')], password: PASSWORD });
      a.send(auth.buf);
      expect((await a.next())[1]).toBe(11);
      c.close();
      a.close();
    } finally {
      await server.stop();
    }
  });

  it('closes a connection idle for idle_timeout, and one still in use only when it goes quiet', async () => {
    const p = makePki();
    const { listen, clients } = radsecConfig(p);
    const server = await startTestServer('', { listen: listen.replace('    tls:', '    idle_timeout: 1\n    tls:'), clients });
    try {
      const port = server.server.addresses().find((a) => a.type === 'radsec')!.port;
      const c = await TlsTestClient.connect({ port, ca: p.ca, cert: p.clientCert, key: p.clientKey });
      // busy for about 2 s (longer than the timeout): Status-Server every 300 ms keeps it open
      for (let i = 0; i < 7; i++) {
        const s = buildRequest({ code: 12, id: i, secret: 'radsec', attrs: [], ma: true });
        c.send(s.buf);
        expect((await c.next())[1]).toBe(i);
        await new Promise((r) => setTimeout(r, 300));
      }
      await c.waitClosed(5000);
      await eventually(async () => expect(await server.server.metrics.registry.metrics()).toMatch(/radius_stream_closes_total\{type="radsec",reason="idle_timeout"\} 1/));
    } finally {
      await server.stop();
    }
  });
});


describe('openssl s_client -alpn', () => {
  const sClient = (alpn: string, cert = pki.clientCert, key = pki.clientKey) => new Promise<string>((resolve) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${tlsPort}`, '-alpn', alpn, '-cert', cert, '-key', key, '-CAfile', pki.ca, '-verify_return_error'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill(), 8000);
    child.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    // hold stdin open a moment so the session is reported, then end it
    setTimeout(() => child.stdin.end(), 500);
  });

  it('negotiates radius/1.1 and radius/1.0, and answers an unknown protocol with no_application_protocol', async () => {
    expect(await sClient('radius/1.1')).toContain('ALPN protocol: radius/1.1');
    expect(await sClient('radius/1.0')).toContain('ALPN protocol: radius/1.0');
    const none = await sClient('http/1.1');
    expect(none).toMatch(/no application protocol|alert number 120/i);
    expect(none).not.toContain('ALPN protocol: http/1.1');
    // the server certificate verifies against the CA for 127.0.0.1
    expect(await sClient('radius/1.1')).toMatch(/Verify return code: 0 \(ok\)/);
  });
});

describe('RADIUS/TCP (RFC 6613)', () => {
  it('answers Access-Request and Accounting-Request from a UDP client entry over plain TCP, and refuses unknown addresses', async () => {
    const server = await startTestServer('', { listen: `
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
  - { type: tcp, address: 127.0.0.1, port: 0 }
` });
    try {
      const port = server.server.addresses().find((a) => a.type === 'tcp')!.port;
      const talk = (bufs: Buffer[], localAddress = '127.0.0.1') => new Promise<{ replies: Buffer[]; closed: boolean }>((resolve) => {
        const s = tcpConnect({ port, host: '127.0.0.1', localAddress }, () => s.write(Buffer.concat(bufs)));
        let data = Buffer.alloc(0);
        const replies: Buffer[] = [];
        s.on('data', (d) => {
          data = Buffer.concat([data, d]);
          while (data.length >= 4 && data.length >= data.readUInt16BE(2)) {
            replies.push(data.subarray(0, data.readUInt16BE(2)));
            data = data.subarray(data.readUInt16BE(2));
          }
          if (replies.length === bufs.length) { s.destroy(); resolve({ replies, closed: false }); }
        });
        s.on('error', () => {});
        s.on('close', () => resolve({ replies, closed: true }));
      });
      const auth = buildRequest({ id: 1, secret: 'testing123', attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: PASSWORD, ma: true });
      const acct = buildRequest({ code: 4, id: 2, secret: 'testing123', attrs: [A.userName('username01'), A.acctStatusType(1), A.acctSessionId('tcp-1')] });
      const r = await talk([auth.buf, acct.buf]);
      const byId = new Map(r.replies.map((b) => [b[1]!, b]));
      const accept = parseReply(byId.get(1)!, auth.authenticator, 'testing123');
      expect(accept.code).toBe(2);
      expect(accept.responseAuthenticatorOk).toBe(true);
      expect(vutlan(accept).SRead).toBe('all,');
      expect(parseReply(byId.get(2)!, acct.authenticator, 'testing123').code).toBe(5);
      // 127.0.0.9 is no client: the connection is closed unanswered
      const stranger = await talk([auth.buf], '127.0.0.9');
      expect(stranger.closed).toBe(true);
      expect(stranger.replies).toHaveLength(0);
    } finally {
      await server.stop();
    }
  });
});

describe('failed handshakes under a flood', () => {
  it('are each counted and audited, but logged once per second with a count of the rest', async () => {
    const p = makePki();
    const { listen, clients } = radsecConfig(p);
    const lines: { msg: string; reason?: string; suppressed?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as never); } });
    const server = await startTestServer('', { listen, clients, logger });
    try {
      const port = server.server.addresses().find((a) => a.type === 'radsec')!.port;
      const refusals = await Promise.all(Array.from({ length: 12 }, () => TlsTestClient.refused({ port, ca: p.ca, cert: p.otherCert, key: p.otherKey })));
      expect(refusals.every(Boolean)).toBe(true);
      await eventually(async () => expect(await server.server.metrics.registry.metrics()).toMatch(/radius_stream_connections_total\{type="radsec",result="tls_handshake_failed"\} 12/));
      await eventually(() => expect(server.authFailLines().filter((l) => l.reason === 'tls_handshake_failed')).toHaveLength(12));
      const logged = lines.filter((l) => l.reason === 'tls_handshake_failed');
      expect(logged.length).toBeGreaterThanOrEqual(1);
      expect(logged.length).toBeLessThanOrEqual(3); // one per second; the flood may straddle a second or two
      await eventually(() => expect(lines.some((l) => l.suppressed !== undefined && /refuse:tls_handshake_failed/.test(l.msg))).toBe(true));
      expect(JSON.stringify(lines)).not.toContain('PRIVATE KEY');
    } finally {
      await server.stop();
    }
  });
});

describe('certificate pinning', () => {
  it('accepts a certificate outside the CA list by its pinned fingerprint, also when the pin comes with a reload', async () => {
    const p = makePki();
    const { listen, clients } = radsecConfig(p);
    const server = await startTestServer('', { listen, clients });
    try {
      const port = server.server.addresses().find((a) => a.type === 'radsec')!.port;
      const intruder = { port, ca: p.ca, cert: p.otherCert, key: p.otherKey };
      expect(await TlsTestClient.refused(intruder)).toBe(true);
      const file = join(server.dir, 'radiusd.yaml');
      const pin = `  - { name: pinned, address: 127.0.0.1, radsec: { fingerprint: "${p.fingerprint(p.otherCert)}" } }\n`;
      writeFileSync(file, readFileSync(file, 'utf8').replace('  - { name: site1,', `${pin}  - { name: site1,`));
      expect(await server.server.reload()).toEqual({ ok: true });
      const c = await TlsTestClient.connect(intruder);
      const auth = buildRequest({ id: 21, secret: 'radsec', attrs: [A.userName('username01')], password: PASSWORD });
      c.send(auth.buf);
      expect(parseReply(await c.next(), auth.authenticator, 'radsec').code).toBe(2);
      // the CA-issued client still needs its SAN: a CN-only certificate stays refused with pinning on
      expect(await TlsTestClient.refused({ port, ca: p.ca, cert: p.cnOnlyCert, key: p.cnOnlyKey })).toBe(true);
      const site1 = await TlsTestClient.connect({ port, ca: p.ca, cert: p.clientCert, key: p.clientKey });
      // the pin removed again: the pinned connection is closed by the reload, site1's stays
      writeFileSync(file, readFileSync(file, 'utf8').replace(pin, ''));
      expect(await server.server.reload()).toEqual({ ok: true });
      await c.waitClosed();
      const s = buildRequest({ code: 12, id: 22, secret: 'radsec', attrs: [], ma: true });
      site1.send(s.buf);
      expect((await site1.next())[1]).toBe(22);
      site1.close();
    } finally {
      await server.stop();
    }
  });
});
