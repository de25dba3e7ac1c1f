/**
 * Metrics of a running server, read over HTTP exactly as Prometheus would: each counter moves
 * by the expected amount when real RADIUS traffic (accepts, rejects, unknown users, unknown
 * clients, malformed datagrams, Status-Server) and reloads happen; the allowlist answers 403.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet as get } from './http-get.js';
import { A, UdpClient, buildRequest, parseReply } from './raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

/** One sample's value, or 0 when the series is absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

let ts: TestServer;
let nas: UdpClient;
let stranger: UdpClient;
let scrape: () => Promise<string>;

beforeAll(async () => {
  ts = await startTestServer('metrics:\n  listen: 127.0.0.1:0\n  allow: [127.0.0.1/32]\n');
  nas = await UdpClient.open(4, '127.0.0.1');
  stranger = await UdpClient.open(4, '127.0.0.9');
  scrape = async () => {
    const r = await get(`${ts.server.metricsUrl()}/metrics`);
    expect(r.status).toBe(200);
    return r.body;
  };
});

afterAll(async () => {
  nas?.close();
  stranger?.close();
  await ts?.stop();
});

function access(user: string, password: string): ReturnType<typeof buildRequest> {
  return buildRequest({ secret: SECRET, ma: true, attrs: [A.userName(user), A.nasIp('192.168.1.88')], password });
}

describe('metrics of a running server, scraped over HTTP', () => {
  it('requests, responses, latency and store lookups move with real traffic', async () => {
    const before = await scrape();
    expect((await nas.request(access('username01', HASH).buf, ts.auth))?.[0]).toBe(2);
    expect((await nas.request(access('username01', HASH).buf, ts.auth))?.[0]).toBe(2);
    expect((await nas.request(access('username01', 'wrong').buf, ts.auth))?.[0]).toBe(3);
    expect((await nas.request(access('nobody', 'x').buf, ts.auth))?.[0]).toBe(3);
    const after = await scrape();
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('radius_requests_total{client="lo-auto",type="Access-Request"}')).toBe(4);
    expect(delta('radius_responses_total{client="lo-auto",code="Access-Accept"}')).toBe(2);
    expect(delta('radius_responses_total{client="lo-auto",code="Access-Reject"}')).toBe(2);
    expect(delta('radius_request_duration_seconds_count')).toBe(4);
    expect(delta('radius_store_lookups_total{source="files",result="found"}')).toBe(3);
    expect(delta('radius_store_lookups_total{source="files",result="not_found"}')).toBe(1);
    expect(value(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('drops are counted by reason: unknown client, malformed, bad Message-Authenticator', async () => {
    const before = await scrape();
    stranger.send(access('username01', HASH).buf, ts.auth);
    nas.send(Buffer.from([1, 2, 0, 10]), ts.auth);
    nas.send(buildRequest({ secret: SECRET, ma: true, maSecret: 'not-the-secret', attrs: [A.userName('x')] }).buf, ts.auth);
    let after = before;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = await scrape();
      if (value(after, 'radius_dropped_packets_total{reason="bad_message_authenticator"}') > value(before, 'radius_dropped_packets_total{reason="bad_message_authenticator"}')) break;
    }
    const delta = (s: string) => value(after, s) - value(before, s);
    expect(delta('radius_dropped_packets_total{reason="unknown_client"}')).toBe(1);
    expect(delta('radius_dropped_packets_total{reason="too_short"}')).toBe(1);
    expect(delta('radius_dropped_packets_total{reason="bad_message_authenticator"}')).toBe(1);
  });

  it('reloads: ok and failed counted, config generation follows, /healthz agrees', async () => {
    const before = await scrape();
    const users = join(ts.dir, 'authorize');
    const original = readFileSync(users, 'utf8');
    writeFileSync(users, `${original}\ncarol Cleartext-Password := "${HASH}"\n\tSRead = "view,"\n`);
    expect(await ts.server.reload()).toEqual({ ok: true });
    writeFileSync(users, `${original}\ncarol Cleartext-Password := "${HASH}" broken ==\n`);
    expect((await ts.server.reload()).ok).toBe(false);
    writeFileSync(users, original);
    const after = await scrape();
    expect(value(after, 'radius_reloads_total{result="ok"}') - value(before, 'radius_reloads_total{result="ok"}')).toBe(1);
    expect(value(after, 'radius_reloads_total{result="error"}') - value(before, 'radius_reloads_total{result="error"}')).toBe(1);
    expect(value(after, 'radius_config_generation')).toBe(value(before, 'radius_config_generation') + 1);
    const health = JSON.parse((await get(`${ts.server.metricsUrl()}/healthz`)).body) as Record<string, unknown>;
    // the refused reload stays visible until a good one: degraded, with the reason
    expect(health).toMatchObject({ status: 'degraded', config_generation: value(after, 'radius_config_generation') });
    expect(String((health.problems as string[])[0])).toMatch(/reload refused.*authorize:\d+/);
    expect(value(after, 'radius_config_reload_refused')).toBe(1);
    // Lookups still counted after the reload swapped in new sources.
    expect((await nas.request(access('carol', HASH).buf, ts.auth))?.[0]).toBe(2);
    const last = await scrape();
    expect(value(last, 'radius_store_lookups_total{source="files",result="found"}')).toBeGreaterThan(value(after, 'radius_store_lookups_total{source="files",result="found"}'));
  });

  it('403 for a peer outside metrics.allow (127.0.0.2 vs 127.0.0.1/32)', async () => {
    const denied = await get(`${ts.server.metricsUrl()}/metrics`, '127.0.0.2');
    expect(denied.status).toBe(403);
    expect((await get(`${ts.server.metricsUrl()}/healthz`, '127.0.0.2')).status).toBe(403);
  });

  it('Status-Server with FreeRADIUS-Statistics-Type = All returns the same totals as /metrics', async () => {
    const all = Buffer.alloc(4);
    all.writeUInt32BE(0x1f);
    const text = await scrape();
    const s = buildRequest({ code: 12, secret: SECRET, ma: true, attrs: [A.vsa(11344, 127, all)] });
    const r = parseReply((await nas.request(s.buf, ts.auth))!, s.authenticator, SECRET);
    expect(r.code).toBe(2);
    expect(r.responseAuthenticatorOk && r.maFirstAndValid).toBe(true);
    const fr = new Map(r.vsa.filter((v) => v.vendor === 11344).map((v) => [v.type, v.value.readUInt32BE(0)]));
    const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    const accepts = text.split('\n').filter((l) => l.startsWith('radius_responses_total{') && l.includes('code="Access-Accept"')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(fr.get(129)).toBe(accepts); // FreeRADIUS-Total-Access-Accepts
    expect(fr.get(128)).toBe(sum('radius_requests_total') - text.split('\n').filter((l) => l.startsWith('radius_requests_total{') && !l.includes('type="Access-Request"')).reduce((n, l) => n + Number(l.split(' ').pop()), 0));
    expect(fr.get(176)).toBe(value(text, 'radius_start_time_seconds')); // Stats-Start-Time
    expect(fr.get(177)).toBe(value(text, 'radius_last_reload_time_seconds')); // Stats-HUP-Time
  });
});
