import { createSocket } from 'node:dgram';
import type { Dictionary } from '../protocol/dictionary.js';
import { AccessRequestBuilder } from './access-request-builder.js';
import { userScheme } from './bench-users.js';
import { ReplyVerifier } from './reply-verifier.js';

/** Where to probe and as whom (a generated bench user). */
export interface ProbeOptions {
  host: string;
  port: number;
  secret: string;
  dict: Dictionary;
  prefix?: string;
  scheme?: 'hex' | 'device';
  /** Which user (default: the scheme's first). */
  user?: number;
  nasIp?: string;
  /** Give up after this long; default 30 s. */
  timeoutMs?: number;
}

/**
 * Sends one Access-Request every 200 ms until an authentic reply arrives; resolves with its
 * code. Used to wait until a freshly started server (ours or FreeRADIUS) answers. Rejects after
 * `timeoutMs`.
 */
export async function waitForReply(opts: ProbeOptions): Promise<number> {
  const secret = Buffer.from(opts.secret);
  const scheme = userScheme(opts.scheme, opts.prefix);
  const builder = new AccessRequestBuilder({ dict: opts.dict, secret, nasIp: opts.nasIp ?? '10.0.0.5', scheme });
  const verifier = new ReplyVerifier(secret, { requireMessageAuthenticator: false });
  const socket = createSocket(opts.host.includes(':') ? 'udp6' : 'udp4');
  const buf = Buffer.alloc(4096);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  try {
    return await new Promise<number>((resolve, reject) => {
      let id = 0;
      socket.on('error', () => { /* port not open yet: keep probing */ });
      socket.on('message', (msg) => {
        if (msg[1] === id && verifier.verify(msg, buf, 4) === 'ok') resolve(msg[0]!);
      });
      const tick = () => {
        if (Date.now() > deadline) {
          reject(new Error(`no reply from ${opts.host}:${opts.port} within ${opts.timeoutMs ?? 30_000} ms`));
          return;
        }
        id = (id + 1) & 0xff;
        const n = builder.build(buf, opts.user ?? scheme.first, id);
        socket.send(buf, 0, n, opts.port, opts.host);
        timer = setTimeout(tick, 200);
      };
      let timer = setTimeout(tick, 0);
      socket.once('close', () => clearTimeout(timer));
    });
  } finally {
    socket.close();
  }
}
