import { describe, expect, it } from 'vitest';
import type { Avp } from '../../../src/protocol/attribute.js';
import { chapChallenge, papAuthorize, passwordAttrDef, verifyChap } from '../../../src/policy/passwords/index.js';

// Expected responses computed with python3: hashlib.md5(bytes([ident]) + password + challenge).
const AUTHENTICATOR = Buffer.from([...Array(16).keys()]); // 00 01 .. 0f
const CHAP_CHALLENGE = Buffer.from('0123456789abcdef0123'); // 20 octets: any length is used as is

function avp(type: number, value: string): Avp {
  return { def: passwordAttrDef(type), value: Buffer.from(value) };
}

function chapPassword(ident: number, responseHex: string): Buffer {
  return Buffer.concat([Buffer.from([ident]), Buffer.from(responseHex, 'hex')]);
}

describe('verifyChap', () => {
  const control = [avp(1100, 'hello')];

  it('uses the Request Authenticator when there is no CHAP-Challenge', () => {
    const response = chapPassword(7, '5694f06ba6105ba5775fe81fab295965');
    const challenge = chapChallenge(undefined, AUTHENTICATOR);
    expect(challenge).toBe(AUTHENTICATOR);
    expect(verifyChap(control, response, challenge)).toEqual({ ok: true, scheme: 'CHAP' });
  });

  it('uses the CHAP-Challenge attribute when present', () => {
    const response = chapPassword(7, '147bfceb8b154abc650de3a5e007befa');
    expect(verifyChap(control, response, chapChallenge(CHAP_CHALLENGE, AUTHENTICATOR)).ok).toBe(true);
    expect(verifyChap(control, response, AUTHENTICATOR)).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('rejects a wrong password and a wrong identifier', () => {
    expect(verifyChap([avp(1100, 'hellx')], chapPassword(7, '5694f06ba6105ba5775fe81fab295965'), AUTHENTICATOR)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyChap(control, chapPassword(8, '5694f06ba6105ba5775fe81fab295965'), AUTHENTICATOR).ok).toBe(false);
  });

  it('requires exactly 17 octets', () => {
    expect(verifyChap(control, Buffer.from('hello'), AUTHENTICATOR)).toMatchObject({ ok: false, reason: 'invalid_chap_password' });
    expect(verifyChap(control, Buffer.alloc(18), AUTHENTICATOR)).toMatchObject({ reason: 'invalid_chap_password' });
  });

  it('requires a Cleartext-Password: hashed-only users cannot use CHAP (measured)', () => {
    const shaOnly = [avp(1093, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')];
    expect(verifyChap(shaOnly, chapPassword(7, '5694f06ba6105ba5775fe81fab295965'), AUTHENTICATOR)).toMatchObject({ ok: false, reason: 'no_password' });
  });

  it('uses the first Cleartext-Password even when a hashed password comes first', () => {
    const mixed = [avp(1093, 'd0941e68da8f38151ff86a61fc59f7c5cf9fcaa2'), avp(1100, 'hello'), avp(1100, 'other')];
    expect(verifyChap(mixed, chapPassword(7, '5694f06ba6105ba5775fe81fab295965'), AUTHENTICATOR).ok).toBe(true);
  });

  it('works with Password-With-Header {clear} after the pap authorize step', () => {
    const { control: normalized } = papAuthorize([avp(1101, '{clear}hello')]);
    expect(verifyChap(normalized, chapPassword(7, '5694f06ba6105ba5775fe81fab295965'), AUTHENTICATOR).ok).toBe(true);
  });

  it('device case: the 40-character SHA-1 hex stored as Cleartext-Password is the CHAP secret', () => {
    const device = [avp(1100, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')];
    const challenge = Buffer.from([...Array(16).keys()].map((i) => 100 + i));
    expect(verifyChap(device, chapPassword(42, '7e83633185b68ebb7fbdf72a6570f385'), challenge).ok).toBe(true);
  });
});
