/**
 * A wrong shared secret on a request without Message-Authenticator cannot be detected (nothing
 * is signed), but the revealed password is noise: like FreeRADIUS ("Unprintable characters in
 * the password. Double-check the shared secret on the server and the NAS!") we say so, in the
 * log, the auth-fail line and the -X trace, instead of a bare wrong_password.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
let ts: TestServer;
let c: UdpClient;
const logs: string[] = [];
const trace: string[] = [];

beforeAll(async () => {
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb(); } });
  ts = await startTestServer('', { logger: pino({ level: 'info' }, sink), trace: (l) => trace.push(l) });
  c = await UdpClient.open(4, '127.0.0.3'); // lo-no: Message-Authenticator not required
});
afterAll(async () => {
  c?.close();
  await ts?.stop();
});

async function ask(user: string, secret: string, password: string): Promise<number | undefined> {
  const raw = await c.request(buildRequest({ secret, ma: false, attrs: [A.userName(user), A.nasIp('192.168.1.88')], password }).buf, ts.auth);
  return raw?.[0];
}

describe('wrong shared secret without Message-Authenticator', () => {
  it('is rejected with a hint at the shared secret (auth-fail hint, warning log, trace)', async () => {
    expect(await ask('username01', 'not-the-secret', HASH)).toBe(3);
    const line = await eventually(() => ts.authFailLines().find((l) => l.user === 'username01' && l.client === 'lo-no'));
    expect(line).toMatchObject({ reason: 'wrong_password', hint: expect.stringContaining('Double-check the shared secret on the server and the NAS') });
    expect(logs.join('')).toMatch(/Access-Reject for client lo-no: Unprintable characters in the password\..*Double-check the shared secret/);
    expect(trace.join('\n')).toContain('WARNING: Unprintable characters in the password.');
  });

  it('a plainly wrong password with the right secret gets no such hint', async () => {
    expect(await ask('nobody-here', 'testing123', 'just-wrong')).toBe(3);
    const line = await eventually(() => ts.authFailLines().find((l) => l.user === 'nobody-here'));
    expect(line).toBeDefined();
    expect(line!.hint).toBeUndefined();
  });
});
