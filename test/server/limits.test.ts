/**
 * Every flood limit of the `security` section, on a running server over loopback UDP:
 * max_attributes, max_pps_per_client, max_pps, reject_delay (held without blocking others),
 * max_delayed_rejects, and the bounded duplicate cache.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest, type RawAttr } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const LIMIT_CLIENTS = `
clients:
  - { name: one, address: 127.0.0.1, secret: testing123, require_message_authenticator: no }
  - { name: two, address: 127.0.0.2, secret: testing123, require_message_authenticator: no }
`;
const AUTH_ONLY = 'listen:\n  - { type: auth, address: 127.0.0.1, port: 0 }\n';

let ts: TestServer | undefined;
const sockets: UdpClient[] = [];
afterEach(async () => {
  while (sockets.length) sockets.pop()!.close();
  await ts?.stop();
  ts = undefined;
});

async function client(address = '127.0.0.1'): Promise<UdpClient> {
  const c = await UdpClient.open(4, address);
  sockets.push(c);
  return c;
}

function accept(id: number, extra: RawAttr[] = []) {
  return buildRequest({ id, secret: SECRET, attrs: [A.userName('username01'), A.nasIp('192.168.1.88'), ...extra], password: HASH });
}

function reject(id: number) {
  return buildRequest({ id, secret: SECRET, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: 'wrong' });
}

/** The first `n` replies (fewer only if none comes for 10 s: a deadline for a broken server, not a timing assumption). */
async function collect(c: UdpClient, n: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  while (got.length < n) {
    const r = await c.next(10_000);
    if (!r) break;
    got.push(r);
  }
  return got;
}

/** Collects every reply arriving within `ms`. */
async function drain(c: UdpClient, ms: number): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const r = await c.next(Math.max(0, deadline - Date.now()));
    if (!r) return got;
    got.push(r);
  }
}

describe('security limits on a running server', () => {
  it('max_attributes: 10 attributes are answered, 11 are dropped as too_many_attributes', async () => {
    ts = await startTestServer('security:\n  reject_delay: 0\n  max_attributes: 10\n', { clients: LIMIT_CLIENTS, listen: AUTH_ONLY });
    const c = await client();
    const pad = (n: number): RawAttr[] => Array.from({ length: n }, (_, i) => A.nasPort(i));
    // User-Name, NAS-IP-Address, User-Password + padding
    expect((await c.request(accept(1, pad(7)).buf, ts.auth, '127.0.0.1', 5000))?.[0]).toBe(2);
    c.send(accept(2, pad(8)).buf, ts.auth);
    expect(await eventually(() => ts!.server.metrics.dropped('too_many_attributes') === 1, 20_000)).toBe(true);
    expect(await c.next(200)).toBeUndefined();
  });

  it('max_pps_per_client: a flooding client is cut to its limit, another client is not affected', async () => {
    // the windows read an injected clock: all 200 packets fall into one second however slow the machine
    let clock = 5_000_000;
    ts = await startTestServer('security:\n  reject_delay: 0\n  max_pps_per_client: 20\n', { clients: LIMIT_CLIENTS, listen: AUTH_ONLY, now: () => clock });
    const flooder = await client('127.0.0.2');
    const good = await client('127.0.0.1');
    for (let i = 0; i < 200; i++) flooder.send(accept(i & 0xff).buf, ts.auth);
    const answered = await collect(flooder, 20);
    expect(await eventually(() => ts!.server.metrics.dropped('rate_limited') === 180, 20_000)).toBe(true);
    expect(answered).toHaveLength(20);
    for (let i = 0; i < 10; i++) expect((await good.request(accept(i).buf, ts.auth, '127.0.0.1', 5000))?.[0]).toBe(2);
    // the refused excess is not counted: two seconds later the flooder has its whole budget again
    clock += 2000;
    for (let i = 0; i < 30; i++) flooder.send(accept(i).buf, ts.auth);
    expect(await collect(flooder, 20)).toHaveLength(20);
    expect(await eventually(() => ts!.server.metrics.dropped('rate_limited') === 190, 20_000)).toBe(true);
  });

  it('max_pps: all clients together are cut to the global limit', async () => {
    const clock = 5_000_000;
    ts = await startTestServer('security:\n  reject_delay: 0\n  max_pps: 30\n', { clients: LIMIT_CLIENTS, listen: AUTH_ONLY, now: () => clock });
    const a = await client('127.0.0.1');
    const b = await client('127.0.0.2');
    for (let i = 0; i < 100; i++) {
      a.send(accept(i).buf, ts.auth);
      b.send(accept(i).buf, ts.auth);
    }
    expect(await eventually(() => ts!.server.metrics.dropped('rate_limited') === 170, 20_000)).toBe(true);
    const [ra, rb] = await Promise.all([drain(a, 1000), drain(b, 1000)]);
    expect(ra.length + rb.length).toBe(30);
    expect(ra.length).toBeGreaterThan(0);
  });

  it('reject_delay holds an Access-Reject about 1 s without delaying an Accept sent after it', async () => {
    ts = await startTestServer('security:\n  reject_delay: 1\n', { clients: LIMIT_CLIENTS, listen: AUTH_ONLY });
    const c = await client();
    const t0 = Date.now();
    c.send(reject(1).buf, ts.auth);
    c.send(accept(2).buf, ts.auth);
    const first = await c.next(10_000);
    const second = await c.next(10_000);
    const tReject = Date.now() - t0;
    // the Accept overtakes the held Reject (order, not time: a loaded machine may be slow at both)
    expect(first?.[0]).toBe(2);
    expect(first?.[1]).toBe(2);
    expect(second?.[0]).toBe(3);
    // held at least the delay (timers never fire early by more than a tick)
    expect(tReject).toBeGreaterThanOrEqual(950);
  });

  it('max_delayed_rejects: rejects beyond the queue are dropped as overloaded, the queue drains', async () => {
    // a delay long enough that all 12 are in before the first is due, even on a loaded machine
    ts = await startTestServer('security:\n  reject_delay: 2\n  max_delayed_rejects: 5\n', { clients: LIMIT_CLIENTS, listen: AUTH_ONLY });
    const c = await client();
    for (let i = 0; i < 12; i++) c.send(reject(i).buf, ts.auth);
    expect(await eventually(() => ts!.server.metrics.dropped('overloaded') === 7, 20_000)).toBe(true);
    const got = await collect(c, 5);
    expect(got.map((r) => r[0])).toEqual([3, 3, 3, 3, 3]);
    expect(await c.next(300)).toBeUndefined();
    expect(ts.server.metrics.dropped('overloaded')).toBe(7);
    // Once drained, rejects are held again.
    expect((await c.request(reject(50).buf, ts.auth, '127.0.0.1', 10_000))?.[0]).toBe(3);
  });

  it('the duplicate cache stays within duplicate_cache_entries under many distinct requests', async () => {
    ts = await startTestServer('security:\n  reject_delay: 0\n  duplicate_cache_entries: 50\n  duplicate_cache_seconds: 30\n', { clients: LIMIT_CLIENTS, listen: AUTH_ONLY });
    const cs = await Promise.all(Array.from({ length: 4 }, () => client()));
    let answered = 0;
    for (let i = 0; i < 400; i++) {
      const r = await cs[i % 4]!.request(accept(i & 0xff).buf, ts.auth, '127.0.0.1', 5000);
      if (r?.[0] === 2) answered++;
    }
    expect(answered).toBe(400);
    const text = await ts.server.metrics.text();
    const entries = Number(/^radius_duplicate_cache_entries (\d+)$/m.exec(text)?.[1]);
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThanOrEqual(50);
  });
});
