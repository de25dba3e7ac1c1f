/**
 * A deliberately independent, minimal RADIUS client for the server tests: builds datagrams by
 * hand (so tests can also build broken ones), hides User-Password, adds Message-Authenticator,
 * checks Response Authenticator and Message-Authenticator of replies and splits reply
 * attributes. It shares no code with src/protocol, so a round trip proves something.
 */
import { createHash, createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { prng, prngBytes } from './prng.js';

/**
 * Identifiers and Request Authenticators left to the builder come from a fixed seed: each test
 * file loads this module afresh, so a failing run sends the same datagrams again.
 */
const rnd = prng(0x5eed);

export type RawAttr = [type: number, value: Buffer];

/** Attribute helpers. */
export const A = {
  userName: (s: string): RawAttr => [1, Buffer.from(s)],
  nasIp: (ip: string): RawAttr => [4, Buffer.from(ip.split('.').map(Number))],
  nasId: (s: string): RawAttr => [32, Buffer.from(s)],
  nasPort: (n: number): RawAttr => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return [5, b]; },
  proxyState: (b: Buffer): RawAttr => [33, b],
  acctStatusType: (n: number): RawAttr => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return [40, b]; },
  acctSessionId: (s: string): RawAttr => [44, Buffer.from(s)],
  /** One Vendor-Specific attribute holding one sub-attribute (RFC 2865 5.26 layout). */
  vsa: (vendor: number, type: number, value: Buffer): RawAttr => {
    const b = Buffer.alloc(6 + value.length);
    b.writeUInt32BE(vendor, 0);
    b[4] = type;
    b[5] = value.length + 2;
    value.copy(b, 6);
    return [26, b];
  },
};

export function hidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  const p = Buffer.from(password);
  const padded = Buffer.alloc(Math.max(16, Math.ceil(p.length / 16) * 16));
  p.copy(padded);
  const out = Buffer.alloc(padded.length);
  let prev = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const b = createHash('md5').update(Buffer.from(secret)).update(prev).digest();
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j]! ^ b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

function attrBytes(attrs: readonly RawAttr[]): Buffer {
  return Buffer.concat(attrs.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v])));
}

export interface BuildOptions {
  code?: number;
  id?: number;
  secret: string;
  attrs: RawAttr[];
  /** User-Password in clear: hidden with the authenticator. */
  password?: string;
  /** Add Message-Authenticator (first attribute), computed with `maSecret ?? secret`. */
  ma?: boolean;
  maSecret?: string;
  authenticator?: Buffer;
}

/** Builds a request datagram; Accounting-Requests get their computed Request Authenticator. */
export function buildRequest(o: BuildOptions): { buf: Buffer; authenticator: Buffer; id: number } {
  const code = o.code ?? 1;
  const id = o.id ?? prngBytes(rnd, 1)[0]!;
  const isAcct = code === 4;
  const authenticator = isAcct ? Buffer.alloc(16) : (o.authenticator ?? prngBytes(rnd, 16));
  const attrs: RawAttr[] = [];
  if (o.ma) attrs.push([80, Buffer.alloc(16)]);
  attrs.push(...o.attrs);
  if (o.password !== undefined) attrs.push([2, hidePassword(o.password, o.secret, authenticator)]);
  const body = attrBytes(attrs);
  const buf = Buffer.concat([Buffer.from([code, id, 0, 0]), authenticator, body]);
  buf.writeUInt16BE(buf.length, 2);
  if (o.ma) {
    const mac = createHmac('md5', o.maSecret ?? o.secret).update(buf).digest();
    mac.copy(buf, 22);
  }
  if (isAcct) {
    const ra = createHash('md5').update(buf).update(Buffer.from(o.secret)).digest();
    ra.copy(buf, 4);
    return { buf, authenticator: ra, id };
  }
  return { buf, authenticator, id };
}

export interface ParsedReply {
  code: number;
  id: number;
  raw: Buffer;
  /** Standard attributes in order: [type, value]. */
  attrs: RawAttr[];
  /** Vendor attributes: vendor -> [type, value][] (one VSA per sub-attribute assumed). */
  vsa: { vendor: number; type: number; value: Buffer }[];
  responseAuthenticatorOk: boolean;
  /** Message-Authenticator present, valid, and the first attribute. */
  maFirstAndValid: boolean;
}

export function parseReply(raw: Buffer, requestAuthenticator: Buffer, secret: string): ParsedReply {
  const length = raw.readUInt16BE(2);
  const check = Buffer.from(raw.subarray(0, length));
  requestAuthenticator.copy(check, 4);
  const expected = createHash('md5').update(check).update(Buffer.from(secret)).digest();
  const responseAuthenticatorOk = expected.equals(raw.subarray(4, 20));
  const attrs: RawAttr[] = [];
  const vsa: ParsedReply['vsa'] = [];
  let off = 20;
  let maFirstAndValid = false;
  while (off < length) {
    const t = raw[off]!;
    const l = raw[off + 1]!;
    const v = raw.subarray(off + 2, off + l);
    if (t === 80 && off === 20 && l === 18) {
      const z = Buffer.from(check);
      z.fill(0, off + 2, off + 18);
      maFirstAndValid = createHmac('md5', secret).update(z).digest().equals(v);
    }
    if (t === 26) vsa.push({ vendor: v.readUInt32BE(0), type: v[4]!, value: v.subarray(6, 6 + v[5]! - 2) });
    else attrs.push([t, Buffer.from(v)]);
    off += l;
  }
  return { code: raw[0]!, id: raw[1]!, raw, attrs, vsa, responseAuthenticatorOk, maFirstAndValid };
}

/** Vutlan attributes of a reply by name. */
export function vutlan(reply: ParsedReply): Record<string, string> {
  const names: Record<number, string> = { 10: 'SRead', 11: 'SWrite', 12: 'CRead', 13: 'CWrite', 14: 'GRead', 15: 'GWrite', 16: 'RFU1', 17: 'RFU2' };
  const out: Record<string, string> = {};
  for (const v of reply.vsa) if (v.vendor === 39052) out[names[v.type] ?? String(v.type)] = v.value.toString();
  return out;
}

/** A UDP client bound to 127.0.0.1 (or ::1) that collects replies. */
export class UdpClient {
  private constructor(private readonly socket: Socket, private readonly replies: Buffer[], private waiters: (() => void)[]) {}

  static async open(family: 4 | 6 = 4, address?: string): Promise<UdpClient> {
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    const replies: Buffer[] = [];
    const c = new UdpClient(socket, replies, []);
    socket.on('message', (m) => {
      replies.push(m);
      const w = c.waiters;
      c.waiters = [];
      for (const f of w) f();
    });
    await new Promise<void>((r) => socket.bind(0, address ?? (family === 6 ? '::1' : '127.0.0.1'), () => r()));
    return c;
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(buf: Buffer, port: number, host = '127.0.0.1'): void {
    this.socket.send(buf, port, host);
  }

  /** Next reply, or undefined after `ms`. */
  async next(ms = 1500): Promise<Buffer | undefined> {
    const deadline = Date.now() + ms;
    while (this.replies.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return this.replies.shift();
  }

  /** Sends and waits for the reply with the same identifier. */
  async request(buf: Buffer, port: number, host = '127.0.0.1', ms = 1500): Promise<Buffer | undefined> {
    this.send(buf, port, host);
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.next(Math.max(0, deadline - Date.now()));
      if (!r) return undefined;
      if (r[1] === buf[1]) return r;
    }
  }

  close(): void {
    this.socket.close();
  }
}
