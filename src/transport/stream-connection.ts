import type { Socket } from 'node:net';
import { StreamFramer } from '../protocol/stream-framing.js';
import type { Client } from '../server/clients.js';
import type { ListenerType } from '../server/config.js';
import { DuplicateCache } from '../server/duplicate-cache.js';
import type { ReplyChannel, StreamChannel } from '../server/transport.js';
import type { StreamCloseReason } from '../server/reasons.js';

/** How long a closing connection may take to flush before it is destroyed. */
const CLOSE_GRACE_MS = 2000;

/** What a connection needs from its listener. */
export interface StreamConnectionOptions {
  index: number;
  type: ListenerType;
  local: { address: string; port: number };
  client: Client;
  radius11: boolean;
  /** RFC 5080 cache lifetime after a reply (0 disables) and its size. */
  duplicateTtlMs: number;
  duplicateEntries: number;
  /** Close after this long without traffic; 0 = never. */
  idleTimeoutMs: number;
  /** Close when the peer's certificate expires (Unix ms), if any. */
  notAfterMs?: number;
  /** Each framed packet, in order. */
  onPacket(packet: Buffer, conn: StreamConnection): void;
  /** Called once, when the socket is gone; `reason` says who or what ended it. */
  onClose(conn: StreamConnection, reason: StreamCloseReason, message: string | undefined): void;
}

/**
 * One RADIUS/TLS or RADIUS/TCP connection, seen by the request pipeline as a reply channel
 * whose replies go back on this connection. Bytes are cut into packets by their Length field;
 * a packet that cannot be framed, and any packet the pipeline finds malformed or forged, closes
 * the connection (RFC 6614 section 2.6.1), and with it its duplicate cache and pending replies.
 * A peer that does not read its replies stops being read from (backpressure), so a connection
 * holds a bounded amount of memory.
 */
export class StreamConnection implements ReplyChannel, StreamChannel {
  readonly index: number;
  readonly type: ListenerType;
  readonly local: { address: string; port: number };
  readonly remote: { address: string; port: number };
  readonly duplicates: DuplicateCache;
  readonly radius11: boolean;
  /** The client; replaced by a reload that keeps the connection (same name, new settings). */
  client: Client;
  /** The TLS-PSK identity the connection was authenticated with, if it used one. */
  pskIdentity: string | undefined;
  /** Called after the connection is gone (the listener's shutdown waits for it). */
  onGone: (() => void) | undefined;
  private readonly framer = new StreamFramer();
  private closing: { reason: StreamCloseReason; message: string | undefined } | undefined;
  private ended = false;
  private expiry: NodeJS.Timeout | undefined;

  constructor(private readonly socket: Socket, private readonly opts: StreamConnectionOptions) {
    this.index = opts.index;
    this.type = opts.type;
    this.local = opts.local;
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    this.client = opts.client;
    this.radius11 = opts.radius11;
    this.duplicates = new DuplicateCache(opts.duplicateTtlMs, opts.duplicateEntries);
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle_timeout', `no packet for ${opts.idleTimeoutMs / 1000} s`));
    }
    if (opts.notAfterMs !== undefined) {
      const ms = opts.notAfterMs - Date.now();
      // (a setTimeout longer than ~24.8 days would fire at once; such connections are re-checked at reload)
      if (ms <= 0) queueMicrotask(() => this.close('certificate_expired', 'the client certificate has expired'));
      else if (ms < 2 ** 31 - 1) {
        this.expiry = setTimeout(() => this.close('certificate_expired', 'the client certificate has expired'), ms);
        this.expiry.unref();
      }
    }
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('drain', () => {
      if (!this.closing) socket.resume();
    });
    socket.on('error', () => {
      // reported by 'close'; a reset by the peer is an ordinary end of a connection
    });
    socket.on('end', () => {
      if (!this.closing) this.closing = { reason: 'peer_closed', message: undefined };
      socket.end();
    });
    socket.on('close', () => this.finished());
  }

  /** This connection is its own stream channel. */
  get stream(): StreamChannel {
    return this;
  }

  /** True once the connection is closing or closed (late replies are dropped). */
  get isClosing(): boolean {
    return this.closing !== undefined;
  }

  /** Sends one whole reply (one write, so packets never interleave). Ignored once closing. */
  send(buf: Buffer): void {
    if (this.closing || this.socket.destroyed) return;
    if (!this.socket.write(buf)) this.socket.pause();
  }

  /** StreamChannel: a malformed or forged packet closes the connection. */
  fail(reason: StreamCloseReason, message: string): void {
    this.close(reason, message);
  }

  /** Ends the connection: no more packets are read, written replies are flushed, then it closes. */
  close(reason: StreamCloseReason, message?: string): void {
    if (this.closing) return;
    this.closing = { reason, message };
    this.socket.pause();
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    t.unref();
  }

  /** Destroys the socket at once (server shutdown after the grace period). */
  destroy(reason: StreamCloseReason): void {
    if (!this.closing) this.closing = { reason, message: undefined };
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    if (this.closing) return;
    const { packets, error } = this.framer.push(chunk);
    for (const p of packets) {
      if (this.closing) return;
      this.opts.onPacket(p, this);
    }
    if (error && !this.closing) this.close(error.reason, error.message);
  }

  private finished(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.expiry) clearTimeout(this.expiry);
    const c = this.closing ?? { reason: 'peer_closed', message: undefined };
    this.opts.onClose(this, c.reason, c.message);
  }
}
