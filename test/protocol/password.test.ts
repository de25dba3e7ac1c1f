import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chapResponse } from '../../src/protocol/chap.js';
import {
  hideTunnelPassword,
  hideUserPassword,
  revealTunnelPassword,
  revealUserPassword,
} from '../../src/protocol/password.js';

const SECRET = Buffer.from('xyzzy5461');
const RA = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
const md5 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('md5')).digest();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]!));

describe('User-Password hiding (RFC 2865 5.2)', () => {
  it('reproduces the RFC 2865 7.1 example ("arctangent", secret xyzzy5461)', () => {
    const hidden = hideUserPassword(Buffer.from('arctangent'), SECRET, RA);
    expect(hidden.toString('hex')).toBe('0dbe708d93d413ce3196e43f782a0aee');
    expect(revealUserPassword(hidden, SECRET, RA).toString()).toBe('arctangent');
  });

  it('chains on the ciphertext across three blocks', () => {
    const plain = Buffer.from('0123456789abcdefGHIJKLMNOPQRSTUVwxyz'); // 36 octets -> 48
    const p = Buffer.alloc(48);
    plain.copy(p);
    const c1 = xor(p.subarray(0, 16), md5(SECRET, RA));
    const c2 = xor(p.subarray(16, 32), md5(SECRET, c1));
    const c3 = xor(p.subarray(32, 48), md5(SECRET, c2));
    const hidden = hideUserPassword(plain, SECRET, RA);
    expect(hidden.toString('hex')).toBe(Buffer.concat([c1, c2, c3]).toString('hex'));
    expect(revealUserPassword(hidden, SECRET, RA).equals(plain)).toBe(true);
  });

  it('hides an empty password as one block of NULs and limits to 128 octets', () => {
    expect(hideUserPassword(Buffer.alloc(0), SECRET, RA).equals(md5(SECRET, RA))).toBe(true);
    const long = Buffer.alloc(200, 0x61);
    const hidden = hideUserPassword(long, SECRET, RA);
    expect(hidden).toHaveLength(128);
    expect(revealUserPassword(hidden, SECRET, RA).equals(long.subarray(0, 128))).toBe(true);
  });

  it('strips trailing NULs but keeps NULs in the middle', () => {
    const hidden = hideUserPassword(Buffer.from('hel\0lo\0\0\0'), SECRET, RA);
    expect(revealUserPassword(hidden, SECRET, RA).toString('latin1')).toBe('hel\0lo');
  });

  it('decodes a partial last block (not a multiple of 16), as FreeRADIUS does', () => {
    const five = Buffer.from('abcde');
    const cipher = xor(five, md5(SECRET, RA).subarray(0, 5));
    expect(revealUserPassword(cipher, SECRET, RA).toString()).toBe('abcde');
    const twenty = Buffer.from('0123456789abcdefWXYZ');
    const hidden = hideUserPassword(twenty, SECRET, RA).subarray(0, 20);
    expect(revealUserPassword(hidden, SECRET, RA).toString()).toBe('0123456789abcdefWXYZ');
  });

  it('3.2.1 semantics: decodes only the first 128 octets of a longer value', () => {
    const plain = Buffer.alloc(144, 0x62);
    const first = hideUserPassword(plain.subarray(0, 128), SECRET, RA);
    const tail = Buffer.alloc(16, 0x99);
    const revealed = revealUserPassword(Buffer.concat([first, tail]), SECRET, RA);
    expect(revealed.subarray(0, 128).equals(plain.subarray(0, 128))).toBe(true);
    expect(revealed.subarray(128).equals(tail)).toBe(true);
  });

  it('a wrong secret yields a different password (no error)', () => {
    const hidden = hideUserPassword(Buffer.from('arctangent'), SECRET, RA);
    expect(revealUserPassword(hidden, Buffer.from('wrong'), RA).toString()).not.toBe('arctangent');
  });

  it('agrees with a node:crypto reference on random values, secrets and lengths 0..200', () => {
    // reference: the RFC 2865 chain with FreeRADIUS 3.2.1's rules (128-octet limit, NULs stripped)
    const reference = (hidden: Buffer, secret: Buffer, ra: Buffer): Buffer => {
      const out = Buffer.from(hidden);
      const n = Math.min(hidden.length, 128);
      for (let off = 0; off < n; off += 16) {
        const d = md5(secret, off === 0 ? ra : hidden.subarray(off - 16, off));
        for (let i = off; i < Math.min(off + 16, n); i++) out[i]! ^= d[i - off]!;
      }
      let end = out.length;
      while (end > 0 && out[end - 1] === 0) end--;
      return out.subarray(0, end);
    };
    let seed = 7;
    const rnd = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    for (let k = 0; k < 600; k++) {
      const secret = Buffer.from(Array.from({ length: 1 + rnd(80) }, () => rnd(256)));
      const ra = Buffer.from(Array.from({ length: 16 }, () => rnd(256)));
      const length = rnd(201);
      let hidden: Buffer;
      if (k % 3 === 0) {
        // a real hidden password with NULs inside and at the end, sometimes with a tail past 128
        const plain = Buffer.from(Array.from({ length: Math.min(length, 128) }, () => (rnd(4) === 0 ? 0 : rnd(256))));
        hidden = Buffer.concat([hideUserPassword(plain, secret, ra), Buffer.alloc(rnd(3) === 0 ? rnd(40) : 0, rnd(2) ? 0 : 0x41)]);
      } else {
        hidden = Buffer.from(Array.from({ length }, () => rnd(256)));
      }
      const want = reference(hidden, secret, ra);
      const got = revealUserPassword(hidden, secret, ra);
      expect(got.toString('hex'), `case ${k}`).toBe(want.toString('hex'));
    }
  });
});

describe('Tunnel-Password hiding (RFC 2868 3.5)', () => {
  it('matches an independent computation and round-trips', () => {
    const salt = Buffer.from([0x81, 0x23]);
    const hidden = hideTunnelPassword(Buffer.from('tunnelpw'), SECRET, RA, salt);
    const p = Buffer.alloc(16);
    p[0] = 8;
    Buffer.from('tunnelpw').copy(p, 1);
    const expected = Buffer.concat([salt, xor(p, md5(SECRET, RA, salt))]);
    expect(hidden.toString('hex')).toBe(expected.toString('hex'));
    expect(revealTunnelPassword(hidden, SECRET, RA)!.toString()).toBe('tunnelpw');
    expect(hideTunnelPassword(Buffer.from('x'), SECRET, RA)[0]! & 0x80).toBe(0x80);
  });
  it('rejects malformed values', () => {
    expect(revealTunnelPassword(Buffer.alloc(10), SECRET, RA)).toBeUndefined();
  });
});

describe('chapResponse', () => {
  it('is MD5(ident || password || challenge)', () => {
    const challenge = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const expected = md5(Buffer.of(0x2a), Buffer.from('hello'), challenge);
    expect(chapResponse(0x2a, Buffer.from('hello'), challenge).equals(expected)).toBe(true);
    expect(chapResponse(0x2b, Buffer.from('hello'), challenge).equals(expected)).toBe(false);
  });
});
