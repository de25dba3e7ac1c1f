import { createHash, getHashes } from 'node:crypto';

/**
 * MD4 (RFC 1320), needed for NT-Password. OpenSSL 3 moved MD4 to the legacy provider, so Node
 * usually cannot compute it; this pure implementation is used whenever `crypto` lacks it.
 */
export function md4(data: Buffer): Buffer {
  return NATIVE_MD4 ? createHash('md4').update(data).digest() : md4Pure(data);
}

const NATIVE_MD4 = (() => {
  if (!getHashes().includes('md4')) return false;
  try {
    createHash('md4').update('').digest();
    return true;
  } catch {
    return false;
  }
})();

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** The pure-TypeScript MD4, exported so tests can check it even where OpenSSL has MD4. */
export function md4Pure(data: Buffer): Buffer {
  const bitLength = data.length * 8;
  const paddedLength = (((data.length + 8) >> 6) + 1) << 6;
  const message = Buffer.alloc(paddedLength);
  data.copy(message);
  message[data.length] = 0x80;
  message.writeUInt32LE(bitLength >>> 0, paddedLength - 8);
  message.writeUInt32LE(Math.floor(bitLength / 0x1_0000_0000), paddedLength - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);

  for (let offset = 0; offset < paddedLength; offset += 64) {
    for (let i = 0; i < 16; i++) x[i] = message.readInt32LE(offset + i * 4);
    const aa = a, bb = b, cc = c, dd = d;

    const f = (p: number, q: number, r: number) => (p & q) | (~p & r);
    const g = (p: number, q: number, r: number) => (p & q) | (p & r) | (q & r);
    const h = (p: number, q: number, r: number) => p ^ q ^ r;

    for (const k of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + x[k]!) | 0, 3);
      d = rotl((d + f(a, b, c) + x[k + 1]!) | 0, 7);
      c = rotl((c + f(d, a, b) + x[k + 2]!) | 0, 11);
      b = rotl((b + f(c, d, a) + x[k + 3]!) | 0, 19);
    }
    for (const k of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + x[k]! + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + x[k + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + x[k + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + x[k + 12]! + 0x5a827999) | 0, 13);
    }
    for (const k of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + x[k]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + x[k + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + x[k + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + x[k + 12]! + 0x6ed9eba1) | 0, 15);
    }

    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}
