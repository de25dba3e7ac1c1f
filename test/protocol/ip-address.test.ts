import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { formatIpv6, ipv6ToBytes } from '../../src/protocol/ip-address.js';
import { formatIp, parseIp } from '../../src/server/ip-prefix.js';
import { prng } from '../support/prng.js';

describe('the one IPv6 parser and formatter', () => {
  it('prints RFC 5952 text (longest zero run compressed, lower case, v4-mapped dotted)', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:2:1', '2001:db8::2:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
      ['fe80::1', 'fe80::1'],
    ];
    for (const [text, canonical] of cases) expect(formatIpv6(ipv6ToBytes(text)!), text).toBe(canonical);
  });

  it('refuses what inet_pton refuses', () => {
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '::1.2.3.256', 'g::1', '']) expect(ipv6ToBytes(bad), bad).toBeUndefined();
  });

  it('round-trips random addresses, and the server prints client addresses with it', () => {
    const rnd = prng(16);
    for (let n = 0; n < 500; n++) {
      const b = Buffer.alloc(16);
      // runs of zero groups are what compression is about
      for (let i = 0; i < 16; i += 2) if (rnd() < 0.5) b.writeUInt16BE(Math.floor(rnd() * 0x10000), i);
      const text = formatIpv6(b);
      expect(isIP(text), text).toBe(6);
      expect(ipv6ToBytes(text)!.equals(b), text).toBe(true);
      const ip = parseIp(text)!;
      if (ip.family === 6) expect(formatIp(6, ip.bytes)).toBe(text);
    }
    expect(parseIp('fe80::1%eth0')).toEqual({ family: 6, bytes: ipv6ToBytes('fe80::1') });
  });
});
