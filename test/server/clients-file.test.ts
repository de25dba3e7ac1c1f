import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest, parseReply, vutlan } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';

const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const clientsConf = fileURLToPath(new URL('../fixtures/server/clients.conf', import.meta.url));

let ts: TestServer;
let c: UdpClient;
beforeAll(async () => {
  ts = await startTestServer('', { clients: `clients_file: ${JSON.stringify(clientsConf)}` });
  c = await UdpClient.open();
});
afterAll(async () => {
  c.close();
  await ts.stop();
});

describe('clients from a FreeRADIUS clients.conf', () => {
  it('uses the secret and policy of the clients.conf entry for the source address', async () => {
    const secret = 'testing123-long';
    const req = buildRequest({ secret, ma: false, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: HASH });
    const r = parseReply((await c.request(req.buf, ts.auth))!, req.authenticator, secret);
    expect(r.code).toBe(2);
    expect(r.responseAuthenticatorOk).toBe(true);
    expect(vutlan(r).SRead).toBe('all,');
  });

  it('names the client by its shortname in the auth-fail log', async () => {
    const secret = 'testing123-long';
    const req = buildRequest({ secret, ma: true, attrs: [A.userName('username01')], password: 'nope' });
    expect((await c.request(req.buf, ts.auth))?.[0]).toBe(3);
    await new Promise((r) => setTimeout(r, 100));
    expect(ts.authFailLines().some((l) => l.client === 'local' && l.reason === 'wrong_password')).toBe(true);
  });
});
