import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest, parseReply, vutlan } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const FULL = { SRead: 'all,', SWrite: 'all,', CRead: 'all,', CWrite: 'all,', GRead: 'all,', GWrite: 'all,' };
const RESTRICTED = {
  SRead: 'all,',
  SWrite: 'devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,',
  CRead: 'all,',
  CWrite: 'all,',
  GRead: 'all,',
  GWrite: '3001,3002,',
};

let ts: TestServer;
const clients = new Map<string, UdpClient>();

async function client(address = '127.0.0.1'): Promise<UdpClient> {
  let c = clients.get(address);
  if (!c) {
    c = await UdpClient.open(address.includes(':') ? 6 : 4, address);
    clients.set(address, c);
  }
  return c;
}

async function access(o: { from?: string; nas?: string; password?: string; user?: string; ma?: boolean; secret?: string; maSecret?: string; to?: number; host?: string }) {
  const req = buildRequest({
    secret: o.secret ?? SECRET,
    ...(o.maSecret ? { maSecret: o.maSecret } : {}),
    ma: o.ma ?? true,
    attrs: [A.userName(o.user ?? 'username01'), A.nasIp(o.nas ?? '192.168.1.88')],
    password: o.password ?? HASH,
  });
  const c = await client(o.from);
  const raw = await c.request(req.buf, o.to ?? ts.auth, o.host ?? '127.0.0.1', 800);
  return { req, reply: raw ? parseReply(raw, req.authenticator, SECRET) : undefined, raw };
}

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  for (const c of clients.values()) c.close();
  await ts.stop();
});

describe('the seed scenario (device manual)', () => {
  it('NAS 192.168.1.88 gets "all," everywhere, Message-Authenticator first, valid authenticators', async () => {
    const { reply } = await access({ nas: '192.168.1.88' });
    expect(reply?.code).toBe(2);
    expect(reply!.responseAuthenticatorOk).toBe(true);
    expect(reply!.maFirstAndValid).toBe(true);
    expect(vutlan(reply!)).toEqual(FULL);
  });

  it('another NAS gets the restricted lists', async () => {
    const { reply } = await access({ nas: '10.9.8.7' });
    expect(reply?.code).toBe(2);
    expect(reply!.maFirstAndValid).toBe(true);
    expect(vutlan(reply!)).toEqual(RESTRICTED);
  });

  it('a wrong password is rejected (signed, no vendor attributes) and audited with a fingerprint', async () => {
    const { reply } = await access({ password: 'not-the-hash' });
    expect(reply?.code).toBe(3);
    expect(reply!.responseAuthenticatorOk).toBe(true);
    expect(reply!.maFirstAndValid).toBe(true);
    expect(reply!.vsa).toEqual([]);
    await access({ password: 'not-the-hash' });
    const lines = await eventually(() => {
      const l = ts.authFailLines().filter((r) => r.reason === 'wrong_password');
      return l.length >= 2 ? l : undefined;
    });
    expect(lines![0]).toMatchObject({ client: 'lo-auto', user: 'username01', nas_ip: '192.168.1.88', src: '127.0.0.1', action: 'reject' });
    expect(lines![0]!.password_fp).toMatch(/^[0-9a-f]{8}$/);
    expect(lines![1]!.password_fp).toBe(lines![0]!.password_fp);
    expect(JSON.stringify(lines)).not.toContain('not-the-hash');
  });

  it('an unknown user is rejected with no_matching_entry', async () => {
    const { reply } = await access({ user: 'nobody' });
    expect(reply?.code).toBe(3);
    expect(await eventually(() => ts.authFailLines().some((r) => r.reason === 'no_matching_entry' && r.user === 'nobody'))).toBe(true);
  });

  it('answers over IPv6 too', async () => {
    const { reply } = await access({ from: '::1', host: '::1', to: ts.server.addresses().find((a) => a.address === '::1')!.port });
    expect(reply?.code).toBe(2);
    expect(vutlan(reply!)).toEqual(FULL);
  });
});

describe('clients and secrets', () => {
  it('drops packets from unknown clients and writes an auth-fail line', async () => {
    const { raw } = await access({ from: '127.0.0.9' });
    expect(raw).toBeUndefined();
    expect(await eventually(() => ts.authFailLines().some((r) => r.reason === 'unknown_client' && r.src === '127.0.0.9' && r.action === 'drop'))).toBe(true);
  });

  it('bad secret with Message-Authenticator: dropped as bad_message_authenticator', async () => {
    const { raw } = await access({ from: '127.0.0.3', maSecret: 'wrong-secret' });
    expect(raw).toBeUndefined();
    expect(await eventually(() => ts.authFailLines().some((r) => r.reason === 'bad_message_authenticator' && r.client === 'lo-no'))).toBe(true);
  });

  it('bad secret without Message-Authenticator: the password decodes to garbage -> Reject', async () => {
    const { req, raw } = await access({ from: '127.0.0.3', ma: false, secret: 'wrong-secret' });
    expect(raw).toBeDefined();
    const reply = parseReply(raw!, req.authenticator, SECRET);
    expect(reply.code).toBe(3);
    expect(reply.responseAuthenticatorOk).toBe(true);
  });
});

describe('require_message_authenticator', () => {
  it('yes: a request without MA is dropped, with MA answered', async () => {
    expect((await access({ from: '127.0.0.2', ma: false })).raw).toBeUndefined();
    expect((await access({ from: '127.0.0.2', ma: true })).reply?.code).toBe(2);
    expect(await eventually(() => ts.authFailLines().some((r) => r.reason === 'missing_message_authenticator' && r.client === 'lo-yes'))).toBe(true);
  });

  it('no: requests without MA are answered (and the reply still carries MA first)', async () => {
    const { reply } = await access({ from: '127.0.0.3', ma: false });
    expect(reply?.code).toBe(2);
    expect(reply!.maFirstAndValid).toBe(true);
  });

  it('auto: a host client that sent MA first must send it from then on', async () => {
    expect((await access({ from: '127.0.0.4', ma: true })).reply?.code).toBe(2);
    expect((await access({ from: '127.0.0.4', ma: false })).raw).toBeUndefined();
    expect((await access({ from: '127.0.0.4', ma: true })).reply?.code).toBe(2);
  });

  it('auto: an unsigned first request decides nothing; the first valid signed one makes MA required', async () => {
    expect((await access({ from: '127.0.0.5', ma: false })).reply?.code).toBe(2);
    expect((await access({ from: '127.0.0.5', ma: false })).reply?.code).toBe(2);
    expect((await access({ from: '127.0.0.5', ma: true })).reply?.code).toBe(2);
    expect((await access({ from: '127.0.0.5', ma: false })).raw).toBeUndefined();
  });

  it('auto: network clients never switch', async () => {
    expect((await access({ from: '127.0.1.7', ma: true })).reply?.code).toBe(2);
    expect((await access({ from: '127.0.1.7', ma: false })).reply?.code).toBe(2);
  });
});

describe('duplicates (RFC 5080)', () => {
  it('a retransmission gets the cached reply byte for byte; a new authenticator is a new request', async () => {
    const c = await client('127.0.0.1');
    const req = buildRequest({ secret: SECRET, ma: true, id: 77, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: HASH });
    const first = await c.request(req.buf, ts.auth);
    const again = await c.request(req.buf, ts.auth);
    expect(first).toBeDefined();
    expect(again!.equals(first!)).toBe(true);
    // same id, new authenticator and another NAS: processed afresh, correctly signed
    const req2 = buildRequest({ secret: SECRET, ma: true, id: 77, attrs: [A.userName('username01'), A.nasIp('10.0.0.1')], password: HASH });
    const second = await c.request(req2.buf, ts.auth);
    const r2 = parseReply(second!, req2.authenticator, SECRET);
    expect(r2.responseAuthenticatorOk).toBe(true);
    expect(vutlan(r2)).toEqual(RESTRICTED);
  });
});

describe('Status-Server (RFC 5997)', () => {
  it('auth port: Access-Accept with MA; acct port: Accounting-Response; without MA: dropped', async () => {
    const c = await client('127.0.0.1');
    const s = buildRequest({ code: 12, secret: SECRET, ma: true, attrs: [] });
    const r = parseReply((await c.request(s.buf, ts.auth))!, s.authenticator, SECRET);
    expect(r.code).toBe(2);
    expect(r.maFirstAndValid).toBe(true);
    expect(r.responseAuthenticatorOk).toBe(true);
    const s2 = buildRequest({ code: 12, secret: SECRET, ma: true, attrs: [] });
    const r2 = parseReply((await c.request(s2.buf, ts.acct))!, s2.authenticator, SECRET);
    expect(r2.code).toBe(5);
    expect(r2.maFirstAndValid).toBe(true);
    const s3 = buildRequest({ code: 12, secret: SECRET, ma: false, attrs: [] });
    expect(await c.request(s3.buf, ts.auth, '127.0.0.1', 500)).toBeUndefined();
  });
});

describe('accounting', () => {
  it('answers Accounting-Response and appends a JSON line with attributes by name', async () => {
    const c = await client('127.0.0.1');
    const req = buildRequest({ code: 4, secret: SECRET, attrs: [A.userName('username01'), A.acctStatusType(1), A.acctSessionId('s-42'), A.nasIp('192.168.1.88')] });
    const raw = await c.request(req.buf, ts.acct);
    const r = parseReply(raw!, req.authenticator, SECRET);
    expect(r.code).toBe(5);
    expect(r.responseAuthenticatorOk).toBe(true);
    // no Message-Authenticator: FreeRADIUS versions disagree on how to verify one here
    expect(r.attrs.some(([t]) => t === 80)).toBe(false);
    const line = await eventually(() => ts.accountingLines().find((l) => (l.attributes as Record<string, string>)['Acct-Session-Id'] === 's-42'));
    expect(line).toMatchObject({ client: 'lo-auto', src: '127.0.0.1', attributes: { 'User-Name': 'username01', 'Acct-Status-Type': 'Start', 'NAS-IP-Address': '192.168.1.88' } });
  });

  it('drops an Accounting-Request with a bad Request Authenticator, and one sent to the auth port', async () => {
    const c = await client('127.0.0.1');
    const req = buildRequest({ code: 4, secret: 'other-secret', attrs: [A.acctStatusType(1)] });
    expect(await c.request(req.buf, ts.acct, '127.0.0.1', 500)).toBeUndefined();
    const good = buildRequest({ code: 4, secret: SECRET, attrs: [A.acctStatusType(1)] });
    expect(await c.request(good.buf, ts.auth, '127.0.0.1', 500)).toBeUndefined();
    expect(await eventually(() => ts.authFailLines().some((l) => l.reason === 'bad_request_authenticator'))).toBe(true);
  });
});

describe('malformed packets never crash the server', () => {
  it('drops truncated, bad-length, zero-length and overflowing attributes, then still answers', async () => {
    const c = await client('127.0.0.1');
    const good = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: HASH });
    const bad: Buffer[] = [];
    bad.push(good.buf.subarray(0, 19)); // shorter than a header
    bad.push(good.buf.subarray(0, good.buf.length - 5)); // shorter than its Length
    const longLen = Buffer.from(good.buf);
    longLen.writeUInt16BE(5000, 2);
    bad.push(longLen); // Length > 4096
    const zeroLen = Buffer.concat([good.buf, Buffer.from([18, 0])]);
    zeroLen.writeUInt16BE(zeroLen.length, 2);
    bad.push(zeroLen); // attribute length 0
    const overflow = Buffer.concat([good.buf, Buffer.from([18, 40, 65, 65])]);
    overflow.writeUInt16BE(overflow.length, 2);
    bad.push(overflow); // attribute runs past the end
    const typeZero = Buffer.concat([good.buf, Buffer.from([0, 3, 65])]);
    typeZero.writeUInt16BE(typeZero.length, 2);
    bad.push(typeZero);
    bad.push(Buffer.alloc(0));
    for (const b of bad) c.send(b, ts.auth);
    expect(await c.next(400)).toBeUndefined();
    const reply = await c.request(good.buf, ts.auth);
    expect(parseReply(reply!, good.authenticator, SECRET).code).toBe(2);
    expect(await eventually(() => ts.authFailLines().filter((l) => l.reason === 'malformed').length >= 3)).toBe(true);
  });

  it('treats octets after Length as padding', async () => {
    const c = await client('127.0.0.1');
    const good = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: HASH });
    const padded = Buffer.concat([good.buf, Buffer.from('0123456789')]);
    const reply = await c.request(padded, ts.auth);
    expect(parseReply(reply!, good.authenticator, SECRET).code).toBe(2);
  });

  it('echoes Proxy-State at the end of the reply', async () => {
    const c = await client('127.0.0.1');
    const req = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName('username01'), A.nasIp('192.168.1.88'), A.proxyState(Buffer.from('ps-1'))], password: HASH });
    const r = parseReply((await c.request(req.buf, ts.auth))!, req.authenticator, SECRET);
    expect(r.attrs.at(-1)).toEqual([33, Buffer.from('ps-1')]);
  });
});
