/**
 * Verify, then decode: a request whose Message-Authenticator does not verify is dropped before
 * its attributes are decoded, so its User-Password is never revealed (no MD5 work, no plaintext
 * in memory for a forged packet). The reveal function is observed through a module spy.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { A, UdpClient, buildRequest, parseReply } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const reveals = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/protocol/password.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/protocol/password.js')>();
  return {
    ...original,
    revealUserPassword: (...args: Parameters<typeof original.revealUserPassword>) => {
      reveals.count++;
      return original.revealUserPassword(...args);
    },
  };
});

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

describe('verify before decode', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => ts?.stop());

  it('a forged Message-Authenticator is dropped without revealing User-Password; a good one is answered', async () => {
    const c = await UdpClient.open(4, '127.0.0.2');
    try {
      const attrs = () => [A.userName('username01'), A.nasIp('192.168.1.88')];
      const forged = buildRequest({ secret: SECRET, maSecret: 'not-the-secret', ma: true, attrs: attrs(), password: HASH });
      const before = reveals.count;
      c.send(forged.buf, ts.auth);
      expect(await c.next(300)).toBeUndefined();
      expect(await eventually(() => ts.authFailLines().some((l) => l.reason === 'bad_message_authenticator' && l.user === 'username01'))).toBe(true);
      expect(reveals.count).toBe(before);

      const good = buildRequest({ secret: SECRET, ma: true, attrs: attrs(), password: HASH });
      const reply = await c.request(good.buf, ts.auth);
      expect(parseReply(reply!, good.authenticator, SECRET).code).toBe(2);
      expect(reveals.count).toBe(before + 1);
    } finally {
      c.close();
    }
  });
});
