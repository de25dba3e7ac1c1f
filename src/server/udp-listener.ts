import cluster from 'node:cluster';
import { createSocket, type Socket } from 'node:dgram';
import { createServer as createTcpServer, isIP } from 'node:net';
import type { ListenConfig, ListenerType } from './config.js';
import type { ReplyChannel } from './transport.js';

/** Kernel receive buffer asked for, so a burst of requests is queued rather than lost. */
const RECV_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * One bound UDP socket (IPv4 or IPv6; an IPv6 socket is IPv6-only, so `::` and `0.0.0.0` can
 * both be listed for dual stack). Datagrams go to `onMessage` until `stopReceiving()`.
 */
export class UdpListener implements ReplyChannel {
  private receiving = true;
  /** Sends handed to the socket and not yet completed (close waits for them). */
  private pending = 0;
  private drained: (() => void) | undefined;

  private constructor(
    readonly index: number,
    readonly type: ListenerType,
    readonly config: ListenConfig,
    private readonly socket: Socket,
    readonly local: { address: string; port: number },
  ) {}

  /** Binds a socket; rejects with a message naming the address when binding fails. */
  static open(
    index: number,
    config: ListenConfig,
    onMessage: (msg: Buffer, address: string, port: number, listener: UdpListener) => void,
  ): Promise<UdpListener> {
    const family = isIP(config.address) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type: family, ipv6Only: family === 'udp6', recvBufferSize: RECV_BUFFER_BYTES });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(new Error(bindErrorText(config, err)));
      };
      socket.once('error', onError);
      // In a worker process (workers > 1) the primary owns the socket and shares it with every
      // worker (Node 20 has no SO_REUSEPORT for dgram); the kernel hands each datagram to one.
      socket.bind({ address: config.address, port: config.port, exclusive: !cluster.isWorker }, () => {
        socket.off('error', onError);
        const a = socket.address();
        const listener = new UdpListener(index, config.type, config, socket, { address: a.address, port: a.port });
        socket.on('message', (msg, rinfo) => {
          if (listener.receiving) onMessage(msg, rinfo.address, rinfo.port, listener);
        });
        // a send error (e.g. ICMP unreachable on some systems) must not kill the server
        socket.on('error', () => {});
        resolve(listener);
      });
    });
  }

  send(buf: Buffer, port: number, address: string): void {
    this.pending++;
    this.socket.send(buf, port, address, () => {
      this.pending--;
      if (this.pending === 0 && this.drained) this.drained();
    });
  }

  /** Ignores further datagrams (replies can still be sent). */
  stopReceiving(): void {
    this.receiving = false;
  }

  /** Closes the socket once the replies already handed to it are sent (at most 2 s). */
  async close(): Promise<void> {
    this.receiving = false;
    if (this.pending > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        this.drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** One line saying which listener could not be bound, why, and what to do. */
export function bindErrorText(config: ListenConfig, err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'EADDRINUSE'
    ? 'the port is already in use (another RADIUS server such as FreeRADIUS, or another vutlan-radius, is listening there): stop it or change listen'
    : code === 'EADDRNOTAVAIL'
      ? 'this machine has no such address: use one of its addresses, 0.0.0.0 or ::'
      : code === 'EACCES'
        ? 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)'
        : err.message;
  return `cannot listen on ${config.address} port ${config.port} (${config.type}): ${why}`;
}

/**
 * Binds each listener's address and port once, exclusively, and closes it again: the primary of
 * worker processes checks this before forking, so a busy port is one clear error instead of one
 * per worker (and a second server cannot silently share the port through node:cluster). Port 0
 * is skipped. Rejects with {@link bindErrorText}.
 */
export async function probeListenPorts(configs: readonly ListenConfig[]): Promise<void> {
  for (const config of configs) {
    if (config.port === 0) continue;
    if (config.type === 'radsec' || config.type === 'tcp') {
      // a stream listener's port is a TCP port (radsecproxy's DTLS may hold the same UDP number)
      const server = createTcpServer();
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: config.address, port: config.port, exclusive: true }, () => resolve());
        });
      } catch (err) {
        throw new Error(bindErrorText(config, err as Error));
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      continue;
    }
    const family = isIP(config.address) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type: family, ipv6Only: family === 'udp6' });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind({ address: config.address, port: config.port, exclusive: true }, () => resolve());
      });
    } catch (err) {
      throw new Error(bindErrorText(config, err as Error));
    } finally {
      await new Promise<void>((resolve) => { try { socket.close(() => resolve()); } catch { resolve(); } });
    }
  }
}
