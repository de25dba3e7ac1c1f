import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Dictionary } from '../protocol/dictionary.js';
import { AccessRequestBuilder } from './access-request-builder.js';
import { userScheme } from './bench-users.js';
import { LatencyHistogram } from './latency-histogram.js';
import { ReplyVerifier, type ReplyVerdict } from './reply-verifier.js';

/** What `runLoad` sends, where, and for how long. */
export interface LoadOptions {
  host: string;
  port: number;
  secret: string;
  dict: Dictionary;
  /** Number of generated users (see bench-users.ts), requested round-robin. */
  users: number;
  /** User-Name prefix; default `user`. */
  prefix?: string;
  /** User naming scheme; default `hex`. */
  scheme?: 'hex' | 'device';
  /** NAS-IP-Address; default 10.0.0.5. */
  nasIp?: string;
  /** Measured window in ms. */
  durationMs: number;
  /** Warm-up before the window (sent and verified, not counted); default 500 ms. */
  warmupMs?: number;
  /** Requests in flight (closed loop); default 64. */
  inflight?: number;
  /** UDP sockets the in-flight requests are spread over; default 4. */
  sockets?: number;
  /** A request without a reply after this long is a timeout; default 1000 ms. */
  timeoutMs?: number;
  /** Expected reply code; default 2 (Access-Accept). */
  expectCode?: number;
  /** Count replies without Message-Authenticator as errors; default true. */
  requireMessageAuthenticator?: boolean;
  /** Reply verification path (see ReplyVerifier); default 'fast'. */
  verify?: 'fast' | 'codec';
}

/** Counts and latency of one run. Latencies in ms. */
export interface LoadResult {
  target: string;
  durationSec: number;
  inflight: number;
  sockets: number;
  /** Requests sent inside the measured window. */
  sent: number;
  /** Verified replies with the expected code inside the window. */
  ok: number;
  /** Verified replies with another code. */
  unexpectedCode: number;
  /** Replies that failed verification, by reason. */
  invalid: Partial<Record<Exclude<ReplyVerdict, 'ok'>, number>>;
  /** Replies whose identifier matched nothing outstanding (late or stray). */
  stray: number;
  timeouts: number;
  /** Replies received during warm-up (not in the figures; for CPU-per-request accounting). */
  warmupReplies?: number;
  /** Verified replies with the expected code per second of window. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Total invalid replies of a result. */
export function invalidCount(r: LoadResult): number {
  return Object.values(r.invalid).reduce((a, b) => a + (b ?? 0), 0);
}

interface Lane {
  socket: Socket;
  /** Send buffer per identifier (kept until the reply arrives: dgram sends asynchronously). */
  buffers: Buffer[];
  sentAt: Float64Array;
  busy: Uint8Array;
  nextId: number;
}

/**
 * Closed-loop Access-Request load: keeps `inflight` requests outstanding over `sockets`
 * connected UDP sockets, each request with a fresh Request Authenticator, hidden password and
 * Message-Authenticator; verifies every reply (Response Authenticator, Message-Authenticator,
 * expected code) and records latency from send to reply. Resolves after warm-up + window +
 * draining the requests still in flight (at most `timeoutMs`).
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const inflight = opts.inflight ?? 64;
  const nSockets = Math.max(1, Math.min(opts.sockets ?? 4, inflight));
  const timeoutMs = opts.timeoutMs ?? 1000;
  const expectCode = opts.expectCode ?? 2;
  const warmupMs = opts.warmupMs ?? 500;
  const scheme = userScheme(opts.scheme, opts.prefix);
  if (opts.users < 1) throw new RangeError('users must be >= 1');
  if (inflight > nSockets * 256) throw new RangeError(`inflight ${inflight} needs more than 256 ids per socket`);
  const secret = Buffer.from(opts.secret);
  const builder = new AccessRequestBuilder({ dict: opts.dict, secret, nasIp: opts.nasIp ?? '10.0.0.5', scheme });
  builder.selfCheck(scheme.first + opts.users - 1);
  const verifier = new ReplyVerifier(secret, { requireMessageAuthenticator: opts.requireMessageAuthenticator ?? true, mode: opts.verify });
  const hist = new LatencyHistogram();
  const type = isIP(opts.host) === 6 ? 'udp6' : 'udp4';

  let measuring = false;
  let sending = true;
  let outstanding = 0;
  let seq = 0;
  let sent = 0, ok = 0, unexpectedCode = 0, stray = 0, timeouts = 0, warmupReplies = 0;
  const invalid: LoadResult['invalid'] = {};

  const lanes: Lane[] = [];
  for (let i = 0; i < nSockets; i++) {
    const socket = createSocket({ type, recvBufferSize: 1 << 21, sendBufferSize: 1 << 21 });
    await new Promise<void>((res, rej) => {
      socket.once('error', rej);
      socket.bind(0, type === 'udp6' ? '::' : '0.0.0.0', () => socket.connect(opts.port, opts.host, () => { socket.off('error', rej); res(); }));
    });
    lanes.push({ socket, buffers: Array.from({ length: 256 }, () => Buffer.alloc(4096)), sentAt: new Float64Array(256), busy: new Uint8Array(256), nextId: 0 });
  }

  const sendOn = (lane: Lane): void => {
    if (!sending) return;
    let id = lane.nextId;
    for (let k = 0; k < 256 && lane.busy[id]; k++) id = (id + 1) & 0xff;
    if (lane.busy[id]) return;
    lane.nextId = (id + 1) & 0xff;
    const buf = lane.buffers[id]!;
    const user = scheme.first + (seq++ % opts.users);
    const len = builder.build(buf, user, id);
    lane.busy[id] = 1;
    lane.sentAt[id] = performance.now();
    outstanding++;
    if (measuring) sent++;
    lane.socket.send(buf, 0, len);
  };

  let resolveDrained: (() => void) | undefined;
  const settle = (lane: Lane): void => {
    outstanding--;
    if (sending) sendOn(lane);
    else if (outstanding === 0) resolveDrained?.();
  };

  for (const lane of lanes) {
    lane.socket.on('message', (msg: Buffer) => {
      const id = msg.length >= 2 ? msg[1]! : -1;
      if (id < 0 || !lane.busy[id]) { if (measuring) stray++; return; }
      const now = performance.now();
      // A reply that fails verification still answers this identifier (a wrong secret, say).
      const verdict = verifier.verify(msg, lane.buffers[id]!, 4);
      lane.busy[id] = 0;
      if (!measuring) warmupReplies++;
      else {
        if (verdict !== 'ok') invalid[verdict] = (invalid[verdict] ?? 0) + 1;
        else if (msg[0] !== expectCode) unexpectedCode++;
        else { ok++; hist.record(now - lane.sentAt[id]!); }
      }
      settle(lane);
    });
    lane.socket.on('error', () => { /* ICMP port unreachable etc.: the request times out */ });
  }

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const lane of lanes) {
      for (let id = 0; id < 256; id++) {
        if (lane.busy[id] && now - lane.sentAt[id]! > timeoutMs) {
          lane.busy[id] = 0;
          if (measuring) timeouts++;
          settle(lane);
        }
      }
    }
  }, Math.min(50, timeoutMs / 4));

  for (let i = 0; i < inflight; i++) sendOn(lanes[i % nSockets]!);
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, opts.durationMs));
  const elapsedMs = performance.now() - start;
  const okInWindow = ok;
  sending = false;
  if (outstanding > 0) {
    await Promise.race([
      new Promise<void>((r) => { resolveDrained = r; }),
      new Promise((r) => setTimeout(r, timeoutMs + 100)),
    ]);
  }
  clearInterval(sweep);
  await Promise.all(lanes.map((l) => new Promise<void>((r) => l.socket.close(() => r()))));
  return {
    target: `${opts.host}:${opts.port}`,
    durationSec: elapsedMs / 1000,
    inflight,
    sockets: nSockets,
    sent,
    ok,
    unexpectedCode,
    invalid,
    stray,
    timeouts,
    warmupReplies,
    rps: okInWindow / (elapsedMs / 1000),
    p50: hist.quantile(0.5),
    p90: hist.quantile(0.9),
    p99: hist.quantile(0.99),
    max: hist.max,
  };
}
