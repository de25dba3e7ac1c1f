import { connect, type TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { StreamFramer } from '../protocol/stream-framing.js';
import { AccessRequestBuilder } from './access-request-builder.js';
import { userScheme } from './bench-users.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { LoadOptions, LoadResult } from './load-generator.js';
import { ReplyVerifier } from './reply-verifier.js';

/** TLS client credentials and connection count of {@link runTlsLoad}. */
export interface TlsLoadOptions extends Omit<LoadOptions, 'sockets' | 'secret'> {
  /** Long-lived TLS connections the in-flight requests are spread over; default 4. */
  connections?: number;
  /** PEM texts: the server's CA, the client certificate and key. */
  ca: string;
  cert: string;
  key: string;
  /** ALPN to offer; default radius/1.0. */
  alpn?: string;
}

interface Conn {
  socket: TLSSocket;
  framer: StreamFramer;
  buffers: Buffer[];
  sentAt: Float64Array;
  busy: Uint8Array;
  nextId: number;
}

/**
 * The TLS counterpart of `runLoad`: a closed loop of Access-Requests over a few long-lived
 * RADIUS/TLS connections (secret "radsec"), each reply verified (Response Authenticator,
 * Message-Authenticator, code) and timed from the write to the framed reply. Same figures as
 * `runLoad`, so UDP and TLS can be compared in one run.
 */
export async function runTlsLoad(opts: TlsLoadOptions): Promise<LoadResult> {
  const inflight = opts.inflight ?? 64;
  const nConns = Math.max(1, Math.min(opts.connections ?? 4, inflight));
  const timeoutMs = opts.timeoutMs ?? 1000;
  const expectCode = opts.expectCode ?? 2;
  const warmupMs = opts.warmupMs ?? 500;
  const scheme = userScheme(opts.scheme, opts.prefix);
  if (inflight > nConns * 256) throw new RangeError(`inflight ${inflight} needs more than 256 ids per connection`);
  const secret = Buffer.from('radsec');
  const builder = new AccessRequestBuilder({ dict: opts.dict, secret, nasIp: opts.nasIp ?? '10.0.0.5', scheme });
  const verifier = new ReplyVerifier(secret, { requireMessageAuthenticator: opts.requireMessageAuthenticator ?? true });
  const hist = new LatencyHistogram();

  let measuring = false;
  let sending = true;
  let outstanding = 0;
  let seq = 0;
  let sent = 0, ok = 0, unexpectedCode = 0, stray = 0, timeouts = 0, warmupReplies = 0;
  const invalid: LoadResult['invalid'] = {};

  const conns: Conn[] = [];
  for (let i = 0; i < nConns; i++) {
    const socket = await new Promise<TLSSocket>((resolve, reject) => {
      const s = connect({ host: opts.host, port: opts.port, ca: opts.ca, cert: opts.cert, key: opts.key, ALPNProtocols: [opts.alpn ?? 'radius/1.0'] });
      s.once('error', reject);
      s.once('secureConnect', () => {
        s.off('error', reject);
        resolve(s);
      });
    });
    socket.setNoDelay(true);
    conns.push({ socket, framer: new StreamFramer(), buffers: Array.from({ length: 256 }, () => Buffer.alloc(4096)), sentAt: new Float64Array(256), busy: new Uint8Array(256), nextId: 0 });
  }

  const sendOn = (c: Conn): void => {
    if (!sending) return;
    let id = c.nextId;
    for (let k = 0; k < 256 && c.busy[id]; k++) id = (id + 1) & 0xff;
    if (c.busy[id]) return;
    c.nextId = (id + 1) & 0xff;
    const buf = c.buffers[id]!;
    const len = builder.build(buf, scheme.first + (seq++ % opts.users), id);
    c.busy[id] = 1;
    c.sentAt[id] = performance.now();
    outstanding++;
    if (measuring) sent++;
    // a copy: the id's buffer is rewritten by the next request on this id, maybe before TLS took it
    c.socket.write(Buffer.from(buf.subarray(0, len)));
  };

  let resolveDrained: (() => void) | undefined;
  const settle = (c: Conn): void => {
    outstanding--;
    if (sending) sendOn(c);
    else if (outstanding === 0) resolveDrained?.();
  };

  for (const c of conns) {
    c.socket.on('data', (chunk: Buffer) => {
      const now = performance.now();
      for (const msg of c.framer.push(chunk).packets) {
        const id = msg[1]!;
        if (!c.busy[id]) { if (measuring) stray++; continue; }
        const verdict = verifier.verify(msg, c.buffers[id]!, 4);
        c.busy[id] = 0;
        if (!measuring) warmupReplies++;
        else if (verdict !== 'ok') invalid[verdict] = (invalid[verdict] ?? 0) + 1;
        else if (msg[0] !== expectCode) unexpectedCode++;
        else { ok++; hist.record(now - c.sentAt[id]!); }
        settle(c);
      }
    });
    c.socket.on('error', () => { /* counted as timeouts */ });
  }

  const sweep = setInterval(() => {
    const now = performance.now();
    for (const c of conns) {
      for (let id = 0; id < 256; id++) {
        if (c.busy[id] && now - c.sentAt[id]! > timeoutMs) {
          c.busy[id] = 0;
          if (measuring) timeouts++;
          settle(c);
        }
      }
    }
  }, Math.min(50, timeoutMs / 4));

  for (let i = 0; i < inflight; i++) sendOn(conns[i % nConns]!);
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  const start = performance.now();
  await new Promise((r) => setTimeout(r, opts.durationMs));
  const elapsedMs = performance.now() - start;
  const okInWindow = ok;
  sending = false;
  if (outstanding > 0) {
    await Promise.race([new Promise<void>((r) => { resolveDrained = r; }), new Promise((r) => setTimeout(r, timeoutMs + 100))]);
  }
  clearInterval(sweep);
  for (const c of conns) c.socket.destroy();
  return {
    target: `tls ${opts.host}:${opts.port}`,
    durationSec: elapsedMs / 1000,
    inflight,
    sockets: nConns,
    sent, ok, unexpectedCode, invalid, stray, timeouts, warmupReplies,
    rps: okInWindow / (elapsedMs / 1000),
    p50: hist.quantile(0.5),
    p90: hist.quantile(0.9),
    p99: hist.quantile(0.99),
    max: hist.max,
  };
}
