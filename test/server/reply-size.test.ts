/**
 * Replies stay within 4096 octets and an Access-Accept never goes out without some of its reply
 * attributes: when they cannot all fit, the request is rejected (fail closed), logged and
 * audited as `reply_too_large`. (test/diff/edge-cases.test.ts compares Proxy-State cases with
 * FreeRADIUS.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest, parseReply, vutlan } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'testing123';
let ts: TestServer;
let c: UdpClient;

beforeAll(async () => {
  ts = await startTestServer();
  const long = (n: number) => `"${String.fromCharCode(97 + n).repeat(240)}"`;
  writeFileSync(join(ts.dir, 'authorize'), [
    `big Cleartext-Password := "pw"`,
    `\t${Array.from({ length: 17 }, (_, i) => `Reply-Message += ${long(i)}`).join(',\n\t')}`,
    '',
    `nearly Cleartext-Password := "pw"`,
    `\t${Array.from({ length: 15 }, (_, i) => `Reply-Message += ${long(i)}`).join(',\n\t')},\n\tSRead = "all,"`,
    '',
  ].join('\n'));
  expect((await ts.server.reload()).ok).toBe(true);
  c = await UdpClient.open(4, '127.0.0.1');
});
afterAll(async () => {
  c?.close();
  await ts?.stop();
});

async function ask(user: string, extra: [number, Buffer][] = []) {
  const req = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName(user), A.nasIp('192.168.1.88'), ...extra], password: 'pw' });
  const raw = await c.request(req.buf, ts.auth);
  expect(raw, `no reply for ${user}`).toBeDefined();
  return { raw: raw!, reply: parseReply(raw!, req.authenticator, SECRET) };
}

describe('reply size', () => {
  it('an Accept whose reply items cannot all fit becomes an Access-Reject, audited as reply_too_large', async () => {
    const { raw, reply } = await ask('big');
    expect(reply.code).toBe(3);
    expect(reply.maFirstAndValid).toBe(true);
    expect(reply.responseAuthenticatorOk).toBe(true);
    expect(raw.length).toBeLessThanOrEqual(4096);
    expect(reply.attrs.filter(([t]) => t === 18)).toHaveLength(0);
    const line = await eventually(() => ts.authFailLines().find((l) => l.user === 'big'));
    expect(line).toMatchObject({ reason: 'reply_too_large', action: 'reject', client: 'lo-auto' });
  });

  it('an Accept that fits is sent whole; Proxy-State that does not fit after it is left out (as FreeRADIUS does)', async () => {
    const ps = Array.from({ length: 3 }, (_, i) => A.proxyState(Buffer.alloc(200, i + 1)));
    const { raw, reply } = await ask('nearly', ps);
    expect(reply.code).toBe(2);
    expect(raw.length).toBeLessThanOrEqual(4096);
    expect(reply.attrs.filter(([t]) => t === 18)).toHaveLength(15);
    expect(vutlan(reply)).toEqual({ SRead: 'all,' });
    // 20 + 18 + 15 * 242 + 12 = 3680: two 202-octet Proxy-States fit (4084), the third does not
    const echoed = reply.attrs.filter(([t]) => t === 33);
    expect(echoed.map(([, v]) => v[0])).toEqual([1, 2]);
  });
});
