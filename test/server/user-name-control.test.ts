/**
 * User-Names with NUL or other control characters: refused with their own reason (FreeRADIUS
 * 3.2.1 cuts the name at NUL, so "username01\0x" would be username01), and never printed raw in
 * the -X trace, where a newline or an ANSI escape could forge trace lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest, parseReply } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
let ts: TestServer;
let c: UdpClient;
const lines: string[] = [];

beforeAll(async () => {
  ts = await startTestServer('', { trace: (l) => lines.push(l) });
  c = await UdpClient.open(4, '127.0.0.1');
});
afterAll(async () => {
  c?.close();
  await ts?.stop();
});

async function ask(name: Buffer) {
  const req = buildRequest({ secret: SECRET, ma: true, attrs: [[1, name], A.nasIp('192.168.1.88')], password: HASH });
  const raw = await c.request(req.buf, ts.auth);
  expect(raw).toBeDefined();
  return parseReply(raw!, req.authenticator, SECRET);
}

describe('User-Name with control characters', () => {
  it('NUL: Access-Reject and an auth-fail line with reason user_name_control_character', async () => {
    expect((await ask(Buffer.from('username01\0'))).code).toBe(3);
    expect((await ask(Buffer.from('username01\0x'))).code).toBe(3);
    const line = await eventually(() => ts.authFailLines().find((l) => l.user === 'username01\0x'));
    expect(line).toMatchObject({ reason: 'user_name_control_character', action: 'reject' });
    expect(String(line!.detail)).toContain('0x00 at octet 10');
    // the same name without the NUL still works
    expect((await ask(Buffer.from('username01'))).code).toBe(2);
  });

  it('newline, ESC, DEL and C1 CSI are refused too; the trace shows them escaped, never raw', async () => {
    lines.length = 0;
    const forged = ['username01\n(99) Sent Access-Accept Id 1', 'username01\u001b[2K\u001b[1A', 'username01\u007f', 'username01\u009b2K'];
    for (const name of forged) expect((await ask(Buffer.from(name, 'utf8'))).code, JSON.stringify(name)).toBe(3);
    const text = lines.join('\n');
    expect(lines.some((l) => l.startsWith('(99)'))).toBe(false);
    expect(lines.every((l) => !/[\u0000-\u001f\u007f-\u009f]/.test(l))).toBe(true);
    expect(text).toContain('User-Name = "username01\\n(99) Sent Access-Accept Id 1"');
    expect(text).toContain('\\u001b[2K');
    expect(text).toContain('\\u007f');
    expect(text).toContain('\\u009b2K');
    expect(text).toContain('reject reason: user_name_control_character');
  });

  it('a printable name is quoted in the "files: looking up" line', async () => {
    lines.length = 0;
    await ask(Buffer.from('say"hi"\\'));
    expect(lines.join('\n')).toContain('files: looking up "say\\"hi\\"\\\\"');
  });
});
