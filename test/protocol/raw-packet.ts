/**
 * Builds RADIUS datagrams by hand (independently of src/protocol/encode.ts), so decoder tests
 * can produce exactly the malformed bytes they need.
 */
import { createHash, createHmac } from 'node:crypto';

export type RawAttr = [type: number, value: Buffer | string];

/** Concatenates attributes as type, length (2 + value), value. */
export function attrs(list: readonly RawAttr[]): Buffer {
  return Buffer.concat(list.map(([t, v]) => {
    const value = typeof v === 'string' ? Buffer.from(v) : v;
    return Buffer.concat([Buffer.of(t, value.length + 2), value]);
  }));
}

/** A datagram with the given header fields; `length` defaults to the real length. */
export function datagram(code: number, id: number, authenticator: Buffer, body: Buffer, length?: number): Buffer {
  const header = Buffer.alloc(20);
  header[0] = code;
  header[1] = id;
  header.writeUInt16BE(length ?? 20 + body.length, 2);
  authenticator.copy(header, 4);
  return Buffer.concat([header, body]);
}

/** One Vendor-Specific attribute: vendor id then raw vendor data. */
export function vsa(vendorId: number, data: Buffer): RawAttr {
  const v = Buffer.alloc(4 + data.length);
  v.writeUInt32BE(vendorId, 0);
  data.copy(v, 4);
  return [26, v];
}

/** HMAC-MD5 over a copy of `packet` with the 16 octets at `offset` zeroed (and header auth replaced). */
export function hmacWithZeroedValue(packet: Buffer, offset: number, secret: string, headerAuth?: Buffer): Buffer {
  const copy = Buffer.from(packet);
  copy.fill(0, offset, offset + 16);
  if (headerAuth) headerAuth.copy(copy, 4);
  return createHmac('md5', secret).update(copy).digest();
}

/** Writes a correct Message-Authenticator into the (already present) MA value at `offset`. */
export function signMessageAuthenticator(packet: Buffer, offset: number, secret: string, headerAuth?: Buffer): Buffer {
  hmacWithZeroedValue(packet, offset, secret, headerAuth).copy(packet, offset);
  return packet;
}

export function md5(...parts: (Buffer | string)[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

/** Offset of the first attribute of `type` VALUE in a packet. */
export function valueOffset(packet: Buffer, type: number): number {
  for (let off = 20; off < packet.length; off += packet[off + 1]!) {
    if (packet[off] === type) return off + 2;
  }
  throw new Error(`attribute ${type} not found`);
}
