import { describe, expect, it } from 'vitest';
import type { Avp } from '../../../src/protocol/attribute.js';
import { Dictionary, noFlags } from '../../../src/protocol/dictionary.js';
import { convertPasswordWithHeader, normalizeControl, normify, papAuthorize, passwordAttrDef, verifyPap } from '../../../src/policy/passwords/index.js';

const hello = Buffer.from('hello');
const CLEAR = 1100, PWH = 1101, MD5 = 1095, SHA = 1093, SSHA = 1094;
const SHA1_HELLO_HEX = 'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d'; // python hashlib
const SHA1_HELLO_B64 = 'qvTGHdzF6KLavt4PO0gs2a6pQ00=';

function avp(type: number, value: string | Buffer): Avp {
  return { def: passwordAttrDef(type), value: typeof value === 'string' ? Buffer.from(value, 'latin1') : value };
}

function pap(control: Avp[], password: Buffer) {
  const r = papAuthorize(control);
  return r.foundPassword ? verifyPap(r.control, password) : { ok: false, scheme: 'none' };
}

describe('normify', () => {
  const digest = Buffer.from(SHA1_HELLO_HEX, 'hex');
  it('hex-decodes an even-length all-hex value of at least twice the minimum, either case', () => {
    expect(normify(Buffer.from(SHA1_HELLO_HEX), 20)).toEqual(digest);
    expect(normify(Buffer.from(SHA1_HELLO_HEX.toUpperCase()), 20)).toEqual(digest);
  });
  it('base64-decodes otherwise when the result is long enough', () => {
    expect(normify(Buffer.from(SHA1_HELLO_B64), 20)).toEqual(digest);
  });
  it('leaves raw bytes and undecodable text alone', () => {
    expect(normify(digest, 20)).toBe(digest);
    const notEncoded = Buffer.from('not hex, not base64: ' + SHA1_HELLO_HEX);
    expect(normify(notEncoded, 20)).toBe(notEncoded);
    // An odd-length hex string is not hex, but it is valid unpadded base64 (39 chars -> 29 bytes).
    expect(normify(Buffer.from(SHA1_HELLO_HEX.slice(1)), 20).length).toBe(29);
    const short = Buffer.from('abcd');
    expect(normify(short, 16)).toBe(short);
  });
  it('a hex string that is also valid base64 is read as hex first', () => {
    // 32 hex digits = 16 bytes of hex for MD5, although also 24 bytes of base64.
    expect(normify(Buffer.from('5d41402abc4b2a76b9719d911017c592'), 16).toString('hex')).toBe('5d41402abc4b2a76b9719d911017c592');
  });
});

describe('Password-With-Header (3.1 / 3.2 cases)', () => {
  it('converts known headers case-insensitively into the attribute they name', () => {
    for (const [value, type] of [
      ['{clear}hello', CLEAR], ['{CLEARTEXT}hello', CLEAR], ['{SHA}' + SHA1_HELLO_B64, SHA], ['{ssha}x', SSHA],
      ['{md5}x', MD5], ['{BASE64_MD5}x', MD5], ['{smd5}x', 1096], ['{crypt}x', 1006], ['{sha2}x', 1092], ['{sha224}x', 1092],
      ['{sha256}x', 1092], ['{sha384}x', 1092], ['{sha512}x', 1092], ['{ssha224}x', 1177], ['{ssha256}x', 1178],
      ['{ssha384}x', 1179], ['{ssha512}x', 1180], ['{x-pbkdf2}x', 1181], ['{md4}x', 1058], ['{nt}x', 1058],
      ['{nthash}x', 1058], ['{x-nthash}x', 1058], ['{ns-mta-md5}x', 1054], ['{x- orcllmv}x', 1057], ['{X- ORCLNTV}x', 1058],
    ] as const) {
      expect(convertPasswordWithHeader(Buffer.from(value))?.type, value).toBe(type);
    }
  });

  it('an unknown header makes the whole value the clear-text password (measured: {foo}hello)', () => {
    const control = [avp(PWH, '{foo}hello')];
    expect(pap(control, hello).ok).toBe(false);
    expect(pap(control, Buffer.from('{foo}hello')).ok).toBe(true);
  });

  it('no header at all: the value is the clear-text password', () => {
    expect(pap([avp(PWH, 'hello')], hello)).toMatchObject({ ok: true, scheme: 'Cleartext-Password' });
  });

  it('no "}" but base64 of a {header} value: decoded and tried again', () => {
    const wrapped = Buffer.from('{SHA}' + SHA1_HELLO_B64).toString('base64');
    expect(pap([avp(PWH, wrapped)], hello)).toMatchObject({ ok: true, scheme: 'SHA1-Password' });
    expect(pap([avp(PWH, Buffer.from('{clear}hello').toString('base64').replace(/=+$/, ''))], hello).ok).toBe(true);
  });

  it('the hash after the header may be hex or base64', () => {
    expect(pap([avp(PWH, '{SHA}' + SHA1_HELLO_HEX)], hello).ok).toBe(true);
    expect(pap([avp(PWH, '{sha}' + SHA1_HELLO_B64)], hello).ok).toBe(true);
  });

  it('is ignored (left in place, unused) when any Cleartext-Password exists, before or after it', () => {
    const shaOther = '{SHA}' + Buffer.from('d0941e68da8f38151ff86a61fc59f7c5cf9fcaa2', 'hex').toString('base64');
    expect(pap([avp(PWH, shaOther), avp(CLEAR, 'hello')], hello).ok).toBe(true); // measured
    expect(pap([avp(CLEAR, 'hello'), avp(PWH, '{clear}other')], hello).ok).toBe(true);
    const normalized = normalizeControl([avp(PWH, shaOther), avp(CLEAR, 'hello')]);
    expect(normalized.map((a) => a.def.type)).toEqual([PWH, CLEAR]);
  });

  it('the converted attribute goes to the END of the list, so an earlier hash still decides (measured)', () => {
    const md5Other = '795f3202b17cb6bc3d4b771d8c6c9eaf'; // md5("other")
    const control = [avp(PWH, '{SHA}' + SHA1_HELLO_B64), avp(MD5, md5Other)];
    expect(normalizeControl(control).map((a) => a.def.type)).toEqual([MD5, SHA]);
    expect(pap(control, hello)).toMatchObject({ ok: false, scheme: 'MD5-Password' });
  });

  it('a header of 256 bytes or more drops the attribute', () => {
    expect(convertPasswordWithHeader(Buffer.from('{' + 'a'.repeat(300) + '}x'))).toBeUndefined();
    expect(normalizeControl([avp(PWH, '{' + 'a'.repeat(300) + '}x')])).toEqual([]);
  });

  it('uses the dictionary definition when one is given', () => {
    const dict = new Dictionary();
    const def = dict.addAttribute({ name: 'SHA1-Password', vendorId: 0, type: SHA, dataType: 'octets', flags: noFlags(), valuesByName: new Map(), namesByValue: new Map() });
    const [converted] = normalizeControl([avp(PWH, '{SHA}' + SHA1_HELLO_B64)], dict);
    expect(converted?.def).toBe(def);
    expect(converted?.value.toString('hex')).toBe(SHA1_HELLO_HEX);
  });

  it('does not modify the input list', () => {
    const control = [avp(PWH, '{clear}hello'), avp(SHA, SHA1_HELLO_HEX)];
    const before = control.map((a) => [a.def.type, a.value.toString('latin1')]);
    normalizeControl(control);
    expect(control.map((a) => [a.def.type, a.value.toString('latin1')])).toEqual(before);
  });
});
