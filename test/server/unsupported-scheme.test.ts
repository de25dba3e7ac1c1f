/**
 * Users whose Crypt-Password is bcrypt or yescrypt (formats this server does not compute) are
 * rejected and audited as `unsupported_scheme`, as the README promises, not as a wrong password
 * (which would also give the admin a misleading password fingerprint).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

let ts: TestServer;
let c: UdpClient;
beforeAll(async () => {
  ts = await startTestServer();
  writeFileSync(join(ts.dir, 'authorize'), [
    'bc Crypt-Password := "$2b$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui"',
    'yc Crypt-Password := "$y$j9T$abcdefghijklmnop$0123456789abcdefghijklmnopqrstuvwxyzABCDE"',
    'sc Crypt-Password := "$6$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g."',
    '',
  ].join('\n'));
  expect((await ts.server.reload()).ok).toBe(true);
  c = await UdpClient.open(4, '127.0.0.1');
});
afterAll(async () => {
  c?.close();
  await ts?.stop();
});

async function code(user: string, password: string): Promise<number | undefined> {
  const raw = await c.request(buildRequest({ secret: 'testing123', ma: true, attrs: [A.userName(user), A.nasIp('10.0.0.1')], password }).buf, ts.auth);
  return raw?.[0];
}

describe('unsupported password schemes', () => {
  it('bcrypt and yescrypt: Access-Reject, auth-fail reason unsupported_scheme, no password fingerprint', async () => {
    expect(await code('bc', 'secret')).toBe(3);
    expect(await code('yc', 'secret')).toBe(3);
    for (const user of ['bc', 'yc']) {
      const line = await eventually(() => ts.authFailLines().find((l) => l.user === user));
      expect(line, user).toMatchObject({ reason: 'unsupported_scheme', action: 'reject' });
      expect(line!.password_fp, user).toBeUndefined();
      expect(String(line!.detail)).toMatch(/not supported/);
    }
  });

  it('a supported crypt format with a wrong password is still wrong_password', async () => {
    expect(await code('sc', 'nope')).toBe(3);
    const line = await eventually(() => ts.authFailLines().find((l) => l.user === 'sc'));
    expect(line).toMatchObject({ reason: 'wrong_password' });
    expect(line!.password_fp).toMatch(/^[0-9a-f]{8}$/);
  });
});
