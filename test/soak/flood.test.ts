/**
 * Soak: a bounded flood while a legitimate NAS keeps authenticating.
 *
 *   - 20,000 garbage datagrams (random bytes, truncated and mangled RADIUS) from 127.0.0.2, a
 *     configured client ("flooder") with its own per-client packets-per-second limit;
 *   - 20,000 well-formed, correctly signed Access-Requests from 127.0.0.9, an unknown address;
 *   - 5,000 wrong-password Access-Requests from the flooder, whose rejects pile up behind
 *     reject_delay in a bounded queue;
 *
 * while the legitimate client on 127.0.0.1 sends one request at a time (retransmitting on
 * timeout, as a NAS does) and checks every reply: right code, authentic Response Authenticator,
 * Message-Authenticator first and valid, the right Vutlan attributes. Asserts zero wrong
 * answers, every legitimate request eventually answered, and bounded memory growth; prints the
 * figures.
 */
import { createSocket, type Socket } from 'node:dgram';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/server/pipeline.js';
import { A, buildRequest, parseReply, vutlan, UdpClient } from '../support/raw-radius.js';
import { prng, prngBytes } from '../support/prng.js';
import { startTestServer, type TestServer } from '../server/test-server.js';

const GOOD_PASSWORD = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const GARBAGE = 20_000;
const UNKNOWN_VALID = 20_000;
const WRONG_PASSWORD = 5_000;
const MAX_DELAYED_REJECTS = 500;
const MB = 1024 * 1024;

// A full collection before each memory reading, so the figures are what the server keeps, not
// garbage a busy machine had not collected yet (the test runs beside other test files).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function retained(): NodeJS.MemoryUsage {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage();
}

let ts: TestServer;
const drops = new Map<string, number>();
const replies = new Map<string, number>();

beforeAll(async () => {
  const observe = (e: PipelineEvent) => {
    if (e.kind === 'drop') drops.set(e.reason, (drops.get(e.reason) ?? 0) + 1);
    else replies.set(e.client.name, (replies.get(e.client.name) ?? 0) + 1);
  };
  ts = await startTestServer(
    `security:
  reject_delay: 1
  max_delayed_rejects: ${MAX_DELAYED_REJECTS}
  max_pps_per_client: 3000
  max_pps: 0
  duplicate_cache_entries: 4096
`,
    {
      observe,
      listen: 'listen:\n  - { type: auth, address: 127.0.0.1, port: 0 }\n',
      clients: `
clients:
  - { name: nas, address: 127.0.0.1, secret: testing123, require_message_authenticator: yes }
  - { name: flooder, address: 127.0.0.2, secret: flood-secret, require_message_authenticator: no }
`,
    },
  );
});

afterAll(async () => {
  await ts?.stop();
});

/** A socket bound to `address` (any 127/8 address works on Linux loopback). */
async function boundSocket(address: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, address, () => resolve()));
  return s;
}

const rnd = prng(4);
const randomBytes = (n: number): Buffer => prngBytes(rnd, n);

/** Garbage in several flavours: random bytes, RADIUS-looking headers, mangled attributes. */
function garbage(i: number): Buffer {
  switch (i % 4) {
    case 0:
      return randomBytes(1 + (i % 300));
    case 1: {
      const b = randomBytes(20 + (i % 200));
      b[0] = 1;
      b.writeUInt16BE(b.length, 2);
      return b;
    }
    case 2: {
      const b = randomBytes(40);
      b[0] = 1;
      b.writeUInt16BE(4000, 2); // length larger than the datagram
      return b;
    }
    default: {
      const { buf } = buildRequest({ secret: 'wrong', attrs: [A.userName('x')], ma: true });
      return buf; // bad Message-Authenticator for the flooder's secret
    }
  }
}

/**
 * Sends `n` datagrams made by `make` in bursts of 25, yielding a timer tick between bursts: the
 * server shares this process's event loop, and unpaced sends would mostly be dropped by the
 * kernel's receive buffer instead of reaching (and testing) the server.
 */
async function flood(socket: Socket, port: number, n: number, make: (i: number) => Buffer): Promise<void> {
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 25);
    for (; i < end; i++) socket.send(make(i), port, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 1));
  }
}

interface LegitResult {
  sent: number;
  answered: number;
  wrong: string[];
  retransmissions: number;
}

/** The legitimate NAS: sequential requests with retransmission, every reply checked. */
async function legitimate(port: number, until: () => boolean, min: number): Promise<LegitResult> {
  const client = await UdpClient.open(4, '127.0.0.1');
  const r: LegitResult = { sent: 0, answered: 0, wrong: [], retransmissions: 0 };
  try {
    let id = 0;
    while (r.sent < min || !until()) {
      if (r.sent >= 20_000) break;
      id = (id + 1) & 0xff;
      const req = buildRequest({ id, secret: 'testing123', ma: true, password: GOOD_PASSWORD, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')] });
      r.sent++;
      let raw: Buffer | undefined;
      for (let attempt = 0; attempt < 10 && !raw; attempt++) {
        if (attempt > 0) r.retransmissions++;
        raw = await client.request(req.buf, port, '127.0.0.1', 300);
      }
      if (!raw) {
        r.wrong.push(`id ${id}: no answer after 10 tries`);
        continue;
      }
      r.answered++;
      const p = parseReply(raw, req.authenticator, 'testing123');
      if (p.code !== 2) r.wrong.push(`id ${id}: code ${p.code}`);
      else if (!p.responseAuthenticatorOk) r.wrong.push(`id ${id}: bad Response Authenticator`);
      else if (!p.maFirstAndValid) r.wrong.push(`id ${id}: Message-Authenticator not first or invalid`);
      else if (vutlan(p).SRead !== 'all,' || vutlan(p).GWrite !== 'all,') r.wrong.push(`id ${id}: attributes ${JSON.stringify(vutlan(p))}`);
    }
  } finally {
    client.close();
  }
  return r;
}

describe('soak: flood with a legitimate client', () => {
  it('answers the legitimate NAS correctly throughout, drops the flood, memory stays bounded', { timeout: 60_000 }, async () => {
    const port = ts.auth;
    // Warm up (JIT, caches) so the memory baseline is not the cold start.
    const warm = await legitimate(port, () => true, 50);
    expect(warm.wrong).toEqual([]);
    const before = retained();

    const flooder = await boundSocket('127.0.0.2');
    const stranger = await boundSocket('127.0.0.9');
    let done = false;
    const t0 = performance.now();
    const legit = legitimate(port, () => done, 100);
    await Promise.all([
      flood(flooder, port, GARBAGE, garbage),
      flood(stranger, port, UNKNOWN_VALID, (i) =>
        buildRequest({ id: i & 0xff, secret: 'testing123', ma: true, password: GOOD_PASSWORD, attrs: [A.userName('username01')] }).buf),
      flood(flooder, port, WRONG_PASSWORD, (i) =>
        buildRequest({ id: i & 0xff, secret: 'flood-secret', password: 'wrong', attrs: [A.userName('username01'), A.nasPort(i)] }).buf),
    ]);
    const floodMs = performance.now() - t0;
    // Let the server drain its socket buffer and the held rejects go out.
    await new Promise((r) => setTimeout(r, 1500));
    done = true;
    const result = await legit;
    const after = retained();
    flooder.close();
    stranger.close();

    const dropped = Object.fromEntries([...drops].sort());
    const figures = {
      flood_ms: Math.round(floodMs),
      legit_sent: result.sent,
      legit_answered: result.answered,
      legit_retransmissions: result.retransmissions,
      rss_before_mb: +(before.rss / MB).toFixed(1),
      rss_after_mb: +(after.rss / MB).toFixed(1),
      heap_before_mb: +(before.heapUsed / MB).toFixed(1),
      heap_after_mb: +(after.heapUsed / MB).toFixed(1),
      drops: dropped,
      replies: Object.fromEntries(replies),
    };
    console.log(`soak figures: ${JSON.stringify(figures)}`);

    expect(result.wrong).toEqual([]);
    expect(result.answered).toBe(result.sent);
    expect(result.sent).toBeGreaterThanOrEqual(100);
    // The flood reached the server and was dropped for the expected reasons.
    expect(drops.get('unknown_client') ?? 0).toBeGreaterThan(UNKNOWN_VALID / 4);
    const malformed = ['too_short', 'bad_length', 'attribute_too_short', 'attribute_overflow', 'attribute_type_zero', 'bad_code', 'wrong_port', 'bad_message_authenticator', 'bad_message_authenticator_length']
      .reduce((n, r) => n + (drops.get(r) ?? 0), 0);
    expect(malformed + (drops.get('rate_limited') ?? 0)).toBeGreaterThan(GARBAGE / 4);
    // Rejects beyond the bounded reject_delay queue were dropped, not queued without limit.
    expect((drops.get('overloaded') ?? 0) + (drops.get('rate_limited') ?? 0)).toBeGreaterThan(0);
    expect(replies.get('flooder') ?? 0).toBeLessThanOrEqual(WRONG_PASSWORD);
    // Memory: the flood leaves no lasting growth beyond caches with fixed bounds.
    // What the server keeps, after a full collection: about 1 MB here (duplicate cache, rate-limit
    // tables); the flood's 45,000 packets kept would be far more.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(10 * MB);
    // Process size, a coarse guard against native growth: about 13 MB here, but V8 gives heap pages
    // back lazily, so a busy machine sees more.
    expect(after.rss - before.rss).toBeLessThan(100 * MB);
  });
});
