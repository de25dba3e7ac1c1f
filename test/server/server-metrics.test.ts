import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest, parseReply } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

let ts: TestServer;
let c: UdpClient;
beforeAll(async () => {
  ts = await startTestServer('metrics:\n  listen: 127.0.0.1:0\n');
  c = await UdpClient.open();
});
afterAll(async () => {
  c.close();
  await ts.stop();
});

describe('server metrics', () => {
  it('counts accepts, rejects, duplicates and drops on /metrics', async () => {
    const ok = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: HASH });
    expect((await c.request(ok.buf, ts.auth))?.[0]).toBe(2);
    expect((await c.request(ok.buf, ts.auth))?.[0]).toBe(2); // duplicate
    const bad = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: 'x' });
    expect((await c.request(bad.buf, ts.auth))?.[0]).toBe(3);
    c.send(Buffer.alloc(10), ts.auth);
    await new Promise((r) => setTimeout(r, 100));
    const text = await (await fetch(`${ts.server.metricsUrl()}/metrics`)).text();
    expect(text).toMatch(/radius_responses_total\{client="lo-auto",code="Access-Accept"\} 2/);
    expect(text).toMatch(/radius_responses_total\{client="lo-auto",code="Access-Reject"\} 1/);
    expect(text).toMatch(/radius_duplicate_requests_total\{client="lo-auto"\} 1/);
    expect(text).toMatch(/radius_dropped_packets_total\{reason="too_short"\} 1/);
    const health = await (await fetch(`${ts.server.metricsUrl()}/healthz`)).json() as { config_generation: number };
    expect(health.config_generation).toBe(1);
  });

  it('Status-Server with FreeRADIUS-Statistics-Type returns the counters', async () => {
    const statsType = Buffer.alloc(4);
    statsType.writeUInt32BE(1, 0); // Authentication
    const s = buildRequest({ code: 12, secret: SECRET, ma: true, attrs: [A.vsa(11344, 127, statsType)] });
    const r = parseReply((await c.request(s.buf, ts.auth))!, s.authenticator, SECRET);
    expect(r.code).toBe(2);
    expect(r.maFirstAndValid).toBe(true);
    const totalRequests = r.vsa.find((v) => v.vendor === 11344 && v.type === 128);
    expect(totalRequests?.value.readUInt32BE(0)).toBeGreaterThanOrEqual(2);
  });
});
