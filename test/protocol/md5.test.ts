import { createHash, createHmac } from 'node:crypto';
import { prng, prngBytes } from '../support/prng.js';
import { describe, expect, it } from 'vitest';
import { HmacMd5, Md5 } from '../../src/protocol/md5.js';

describe('md5.ts: MD5 / HMAC-MD5 without node:crypto', () => {
  it('agrees with node:crypto for every length 0..300 and split updates', () => {
    const m = new Md5();
    const out = Buffer.alloc(16);
    const rnd = prng(5);
    for (let n = 0; n <= 300; n++) {
      const data = prngBytes(rnd, n);
      m.reset().update(data, 0, n >> 1).update(data, n >> 1).digestInto(out);
      expect(out.toString('hex')).toBe(createHash('md5').update(data).digest('hex'));
      const key = prngBytes(rnd, (n % 90) + 1);
      new HmacMd5(key).macInto(data, 0, n, out);
      expect(out.toString('hex')).toBe(createHmac('md5', key).update(data).digest('hex'));
    }
  });
});

describe('md5.ts midstate and reuse', () => {
  it('gives the same digest when one instance is reused many times', () => {
    const m = new Md5();
    const out = Buffer.alloc(16);
    const rnd = prng(130);
    for (let i = 0; i < 1000; i++) {
      const d = prngBytes(rnd, i % 130);
      m.reset().update(d).digestInto(out);
      expect(out.equals(createHash('md5').update(d).digest())).toBe(true);
    }
  });
});
