import { describe, expect, it } from 'vitest';
import type { Avp } from '../../../src/protocol/attribute.js';
import { knownGoodPassword, papAuthorize, passwordAttrDef, verifyPap } from '../../../src/policy/passwords/index.js';
import { readFixtureUsers } from './fixture-users.js';

const hello = Buffer.from('hello');
const hellx = Buffer.from('hellx');

function avp(type: number, value: string | Buffer): Avp {
  return { def: passwordAttrDef(type), value: typeof value === 'string' ? Buffer.from(value, 'utf8') : value };
}

/** pap authorize + authenticate the way FreeRADIUS's default site runs them. */
function pap(control: Avp[], password: Buffer) {
  const authorized = papAuthorize(control);
  if (!authorized.foundPassword) return { ok: false, reason: 'pap_not_selected' };
  return verifyPap(authorized.control, password);
}

const CLEAR = 1100, PWH = 1101, CRYPT = 1006, MD5 = 1095, SHA = 1093, NT = 1058, LM = 1057, PBKDF2 = 1181, SSHA2_256 = 1178;

// Every scheme and encoding, vectors from openssl / python3 hashlib+crypt / smbencrypt (generate.sh),
// with the outcome FreeRADIUS 3.2.1 gives (checked live by freeradius-fixture.test.ts).
describe('fixture users (test/fixtures/passwords/authorize)', () => {
  const users = readFixtureUsers();
  it('covers every scheme', () => {
    const types = new Set(users.flatMap((u) => u.control.map((a) => a.def.type)));
    for (const type of [CLEAR, PWH, CRYPT, MD5, 1096, SHA, 1094, 1092, 1177, 1178, 1179, 1180, PBKDF2, NT, 1054]) {
      expect(types, `attribute ${type}`).toContain(type);
    }
    expect(users.length).toBeGreaterThan(80);
  });
  for (const user of users) {
    it(`${user.name}: hello ${user.expectHello}ed, hellx rejected`, () => {
      const good = pap(user.control, hello);
      expect(good.ok).toBe(user.expectHello === 'accept');
      const bad = pap(user.control, hellx);
      expect(bad.ok).toBe(false);
      if (user.expectHello === 'accept') expect(bad.reason).toBe('mismatch');
    });
  }
});

describe('verifyPap', () => {
  it('Cleartext-Password is an exact, case-sensitive byte comparison of equal lengths', () => {
    const control = [avp(CLEAR, 'Hello')];
    expect(verifyPap(control, Buffer.from('Hello'))).toEqual({ ok: true, scheme: 'Cleartext-Password' });
    expect(verifyPap(control, hello)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyPap(control, Buffer.from('Hello!'))).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(verifyPap(control, Buffer.from('Hell'))).toMatchObject({ ok: false, reason: 'mismatch' });
  });

  it('the FIRST password attribute decides the method (measured on 3.2.1)', () => {
    const shaOther = avp(SHA, 'd0941e68da8f38151ff86a61fc59f7c5cf9fcaa2'); // sha1("other"), python hashlib
    expect(pap([shaOther, avp(CLEAR, 'hello')], hello)).toMatchObject({ ok: false, scheme: 'SHA1-Password', reason: 'mismatch' });
    expect(pap([avp(CLEAR, 'hello'), shaOther], hello)).toMatchObject({ ok: true, scheme: 'Cleartext-Password' });
    expect(knownGoodPassword(papAuthorize([avp(1, 'bob'), shaOther, avp(CLEAR, 'x')]).control)?.def.type).toBe(SHA);
  });

  it('an empty password is refused before any comparison', () => {
    expect(verifyPap([avp(CLEAR, '')], Buffer.alloc(0))).toMatchObject({ ok: false, reason: 'empty_password' });
  });

  it('no known good password gives no_password', () => {
    expect(verifyPap([], hello)).toMatchObject({ ok: false, scheme: 'none', reason: 'no_password' });
    expect(verifyPap([avp(PWH, '{clear}hello')], hello)).toMatchObject({ ok: false, reason: 'no_password' });
  });

  it('vendor attributes never count as passwords', () => {
    const vendorClear: Avp = { def: { ...passwordAttrDef(CLEAR), vendorId: 39052 }, value: hello };
    expect(verifyPap([vendorClear], hello)).toMatchObject({ ok: false, reason: 'no_password' });
  });

  it('device case (3.7): SHA-1 hex stored as Cleartext-Password is compared as text', () => {
    const control = [avp(CLEAR, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')]; // sha1("hello")
    expect(pap(control, Buffer.from('aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')).ok).toBe(true);
    expect(pap(control, Buffer.from('AAF4C61DDCC5E8A2DABEDE0F3B482CD9AEA9434D')).ok).toBe(false);
    expect(pap(control, hello).ok).toBe(false);
  });

  it('device case (3.7): the same hex stored as SHA1-Password is a double hash and fails', () => {
    const control = [avp(SHA, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')];
    expect(pap(control, Buffer.from('aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'))).toMatchObject({ ok: false, reason: 'mismatch' });
    // ...while the SHA-1 of the hex text would match (python: sha1(b"aaf4...434d")).
    expect(pap([avp(SHA, '9cf5caf6c36f5cccde8c73fad8894c958f4983da')], Buffer.from('aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d')).ok).toBe(true);
  });

  it('hash lengths that do not fit the scheme are invalid_hash', () => {
    expect(pap([avp(MD5, '5d41402abc4b2a76b9719d911017c5')], hello)).toMatchObject({ ok: false, reason: 'invalid_hash' });
    expect(pap([avp(SHA, 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea943')], hello)).toMatchObject({ ok: false, reason: 'invalid_hash' });
    expect(pap([avp(1092, Buffer.alloc(20))], hello)).toMatchObject({ ok: false, reason: 'invalid_hash' });
    // SSHA2-256 needs digest + at least one salt byte: an unsalted SHA-256 hex is refused (measured: Reject).
    expect(pap([avp(SSHA2_256, '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')], hello).ok).toBe(false);
  });

  it('SHA2-Password picks the digest by length', () => {
    const sha384 = 'WeF0h3dEjGnea4ANejO7+5/xtGPkQ1TDVTvNucZm+pASWjx5+QOXvfX2oT3oKGhP'; // openssl dgst -sha384 | base64
    expect(pap([avp(1092, sha384)], hello)).toEqual({ ok: true, scheme: 'SHA2-Password(SHA2-384)' });
  });

  it('base64 without padding, or with extra padding, is decoded (measured on 3.2.1)', () => {
    const sha256 = 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ';
    expect(pap([avp(1092, sha256)], hello).ok).toBe(true);
    expect(pap([avp(1092, sha256 + '===')], hello).ok).toBe(true);
    expect(pap([avp(1092, sha256 + '=A')], hello).ok).toBe(false);
  });

  it('NT-Password hashes the UTF-8 password as UTF-16LE (smbencrypt vectors)', () => {
    expect(pap([avp(NT, '0E2710ADC0A29EE8E4F1A9AD694570CA')], Buffer.from('héllo')).ok).toBe(true);
    expect(pap([avp(NT, '7F20BF6E69D97371914A8807579CAB5C')], Buffer.from('pässwörd€')).ok).toBe(true);
    expect(pap([avp(NT, '7F20BF6E69D97371914A8807579CAB5C')], Buffer.from('passwörd€')).ok).toBe(false);
    // A truncated UTF-8 sequence cannot be converted: FreeRADIUS answers INVALID.
    expect(verifyPap([avp(NT, '066DDFD4EF0E9CD7C256FE77191EF43C')], Buffer.from([0x68, 0xc3]))).toMatchObject({ reason: 'invalid_password' });
  });

  it('LM-Password: DES-based LAN Manager hash, case-insensitive, 14 characters (smbencrypt vectors)', () => {
    expect(pap([avp(LM, 'FDA95FBECA288D44AAD3B435B51404EE')], hello)).toEqual({ ok: true, scheme: 'LM-Password' });
    expect(pap([avp(LM, 'FDA95FBECA288D44AAD3B435B51404EE')], Buffer.from('HeLLo')).ok).toBe(true);
    expect(pap([avp(LM, 'FDA95FBECA288D44AAD3B435B51404EE')], hellx)).toMatchObject({ ok: false, reason: 'mismatch' });
    expect(pap([avp(LM, 'E52CAC67419A9A22C17EC4FE2A5374CB')], Buffer.from('Password123!')).ok).toBe(true);
    expect(pap([avp(LM, '479AC31CC7C4525AB6026FA2CB1BA7FA')], Buffer.from('averyverylongpassword')).ok).toBe(true);
  });

  it('NS-MTA-MD5-Password requires 64 characters of which the first 32 are the hex digest', () => {
    const good = 'e0853a3612cc3b8a499eb2b4543d15b7nsmtasaltnsmtasaltnsmtasaltnsmta';
    expect(pap([avp(1054, good)], hello).ok).toBe(true);
    expect(pap([avp(1054, good.slice(0, 63))], hello)).toMatchObject({ reason: 'invalid_hash' });
    expect(pap([avp(1054, 'e0853a3612cc3b8a499eb2b4543d15b7' + 'a'.repeat(32))], hello)).toMatchObject({ reason: 'invalid_hash' });
  });
});

describe('papAuthorize: when pap sets Auth-Type PAP', () => {
  it('finds Cleartext, hashed passwords and Password-With-Header', () => {
    expect(papAuthorize([avp(CLEAR, 'x')]).foundPassword).toBe(true);
    expect(papAuthorize([avp(SHA, 'x')]).foundPassword).toBe(true);
    expect(papAuthorize([avp(PWH, '{x-pbkdf2}...')]).foundPassword).toBe(true);
    expect(papAuthorize([]).foundPassword).toBe(false);
  });

  it('does NOT count a bare PBKDF2-Password (measured 3.2.1 quirk)', () => {
    expect(papAuthorize([avp(PBKDF2, '$PBKDF2$HMACSHA2+256:1000:EBESExQVFhcYGRobHB0eHw==$Lq7AFwJatpeAnd8DPhp0jecfgNcnxcmSE1kruqCY3Pk=')]).foundPassword).toBe(false);
  });

  it('counts Auth-Type Accept (254) and Reject (4) but not other Auth-Types', () => {
    const authType = (n: number): Avp => {
      const value = Buffer.alloc(4);
      value.writeUInt32BE(n, 0);
      return { def: { ...passwordAttrDef(1000), name: 'Auth-Type', dataType: 'integer' }, value };
    };
    expect(papAuthorize([authType(254)]).foundPassword).toBe(true);
    expect(papAuthorize([authType(4)]).foundPassword).toBe(true);
    expect(papAuthorize([authType(1)]).foundPassword).toBe(false);
  });
});
