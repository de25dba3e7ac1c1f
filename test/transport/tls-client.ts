/**
 * A RADIUS/TLS test client on Node's tls module: connects with a client certificate or a PSK,
 * offers ALPN names, sends whole packets and collects framed replies. It frames replies itself
 * (not with src/protocol's framer), so the server's framing is checked by an independent reader.
 */
import { connect, type TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';

export interface TlsClientOptions {
  port: number;
  host?: string;
  ca: string;
  cert?: string;
  key?: string;
  psk?: { identity: string; key: Buffer };
  alpn?: string[];
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export class TlsTestClient {
  private buffered = Buffer.alloc(0);
  readonly replies: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      while (this.buffered.length >= 4) {
        const len = this.buffered.readUInt16BE(2);
        if (this.buffered.length < len) break;
        this.replies.push(this.buffered.subarray(0, len));
        this.buffered = this.buffered.subarray(len);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  /** Connects; rejects when the handshake fails. */
  static connect(o: TlsClientOptions): Promise<TlsTestClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({
        host: o.host ?? '127.0.0.1',
        port: o.port,
        ca: readFileSync(o.ca),
        ...(o.cert ? { cert: readFileSync(o.cert), key: readFileSync(o.key!) } : {}),
        ...(o.psk ? {
          pskCallback: () => ({ psk: o.psk!.key, identity: o.psk!.identity }),
          // Node's TLS 1.3 PSK needs a SHA-256 suite; TLS 1.2 a PSK suite
          ciphers: 'TLS_AES_128_GCM_SHA256:PSK-AES128-GCM-SHA256',
          checkServerIdentity: () => undefined,
        } : {}),
        ...(o.alpn ? { ALPNProtocols: o.alpn } : {}),
        ...(o.minVersion ? { minVersion: o.minVersion } : {}),
        ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
      });
      const onError = (err: Error) => reject(err);
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.off('error', onError);
        resolve(new TlsTestClient(socket));
      });
    });
  }

  /**
   * True when the server refuses the connection: the handshake fails, or (TLS 1.3, where the
   * client's handshake ends before the server has checked the client certificate) the server
   * closes it without a word within `ms`.
   */
  static async refused(o: TlsClientOptions, ms = 5000): Promise<boolean> {
    let c: TlsTestClient;
    try {
      c = await TlsTestClient.connect(o);
    } catch {
      return true;
    }
    try {
      await c.waitClosed(ms);
      return c.replies.length === 0;
    } catch {
      c.close();
      return false;
    }
  }

  send(buf: Buffer): void {
    this.socket.write(buf);
  }

  /** The next reply (rejects after `ms` or when the connection closes first). */
  async next(ms = 5000): Promise<Buffer> {
    const deadline = Date.now() + ms;
    while (this.replies.length === 0) {
      if (this.closed) throw new Error('connection closed');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no reply in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.replies.shift()!;
  }

  /** Resolves when the server has closed the connection (rejects after `ms`). */
  async waitClosed(ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('still open');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
