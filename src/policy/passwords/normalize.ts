import type { Avp } from '../../protocol/attribute.js';
import { Attr, AuthTypeValue } from '../../protocol/attribute-numbers.js';
import { noFlags, type AttributeDef, type DataType, type Dictionary } from '../../protocol/dictionary.js';
import { PASSWORD_ATTR_NAMES, PasswordAttr, isInternalAttr } from './attributes.js';
import { base64DecodeFreeRadius, cString, hexDecodePrefix } from './encoding.js';

/** rlm_pap's scratch buffers are 256 bytes; decodes that would not fit are refused. */
const DECODE_BUFFER = 256;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;

/**
 * `{header}` -> attribute, rlm_pap 3.2.1 `header_names` (compared case-insensitively).
 * `{x- orcllmv}` / `{X- orclntv}` are Oracle Internet Directory's spellings, spaces included.
 */
const HEADER_NAMES: ReadonlyMap<string, number> = new Map([
  ['{clear}', PasswordAttr.CleartextPassword],
  ['{cleartext}', PasswordAttr.CleartextPassword],
  ['{md5}', PasswordAttr.Md5Password],
  ['{base64_md5}', PasswordAttr.Md5Password],
  ['{smd5}', PasswordAttr.Smd5Password],
  ['{crypt}', PasswordAttr.CryptPassword],
  ['{sha2}', PasswordAttr.Sha2Password],
  ['{sha224}', PasswordAttr.Sha2Password],
  ['{sha256}', PasswordAttr.Sha2Password],
  ['{sha384}', PasswordAttr.Sha2Password],
  ['{sha512}', PasswordAttr.Sha2Password],
  ['{ssha224}', PasswordAttr.Ssha2_224Password],
  ['{ssha256}', PasswordAttr.Ssha2_256Password],
  ['{ssha384}', PasswordAttr.Ssha2_384Password],
  ['{ssha512}', PasswordAttr.Ssha2_512Password],
  ['{x-pbkdf2}', PasswordAttr.Pbkdf2Password],
  ['{sha}', PasswordAttr.ShaPassword],
  ['{ssha}', PasswordAttr.SshaPassword],
  ['{md4}', PasswordAttr.NtPassword],
  ['{nt}', PasswordAttr.NtPassword],
  ['{nthash}', PasswordAttr.NtPassword],
  ['{x-nthash}', PasswordAttr.NtPassword],
  ['{ns-mta-md5}', PasswordAttr.NsMtaMd5Password],
  ['{x- orcllmv}', PasswordAttr.LmPassword],
  ['{x- orclntv}', PasswordAttr.NtPassword],
]);

const STRING_TYPED: ReadonlySet<number> = new Set([
  PasswordAttr.CleartextPassword,
  PasswordAttr.CryptPassword,
  PasswordAttr.NsMtaMd5Password,
  PasswordAttr.PasswordWithHeader,
]);

/**
 * Minimum decoded length `normify` is called with in rlm_pap's authorize step, per attribute.
 * (The authenticate step uses the digest length + 1 for SSHA2-*, see `pap.ts`.)
 */
const AUTHORIZE_MIN_LENGTH: ReadonlyMap<number, number> = new Map([
  [PasswordAttr.Md5Password, 16],
  [PasswordAttr.Smd5Password, 16],
  [PasswordAttr.NtPassword, 16],
  [PasswordAttr.LmPassword, 16],
  [PasswordAttr.Sha2Password, 28],
  [PasswordAttr.Ssha2_224Password, 28],
  [PasswordAttr.Ssha2_256Password, 32],
  [PasswordAttr.Ssha2_384Password, 48],
  [PasswordAttr.Ssha2_512Password, 64],
  [PasswordAttr.ShaPassword, 20],
  [PasswordAttr.SshaPassword, 20],
]);

/**
 * rlm_pap `normify`: a stored hash is hex-decoded when it has an even length of at least
 * 2 x `minLength` and is hex throughout (either case); otherwise base64-decoded when
 * length x 3 >= `minLength` x 4 and it decodes (strictly) to at least `minLength` bytes;
 * otherwise left as raw bytes. Returns the value to use (the input itself when unchanged).
 */
export function normify(value: Buffer, minLength: number): Buffer {
  if (minLength >= DECODE_BUFFER) return value;
  const len = value.length;
  if ((len & 1) === 0 && len >= 2 * minLength) {
    const decoded = hexDecodePrefix(value, DECODE_BUFFER);
    if (decoded.length === len >> 1) return decoded;
  }
  if (len * 3 >= minLength * 4) {
    const decoded = base64DecodeFreeRadius(value, DECODE_BUFFER);
    if (decoded === undefined) return value;
    if (decoded.length >= minLength) return decoded;
  }
  return value;
}

/** Result of converting one Password-With-Header value. */
export interface HeaderConversion {
  /** Internal attribute number the value becomes (Cleartext-Password for unknown headers). */
  type: number;
  value: Buffer;
}

/**
 * rlm_pap `normify_with_header`: `{header}rest` becomes the attribute the header names with
 * `rest` as its value; an unknown header, or no `}` at all, makes the whole value a
 * Cleartext-Password; a value without `}` that base64-decodes to `{...}...` is decoded and
 * tried again. Returns undefined where FreeRADIUS drops the attribute (header of 256+ bytes).
 */
export function convertPasswordWithHeader(original: Buffer): HeaderConversion | undefined {
  let value = original;
  // Each retry consumes a successful base64 decode, which shrinks the value; the bound is a guard.
  for (let attempt = 0; attempt < 64; attempt++) {
    const text = cString(value);
    const close = text.indexOf(CLOSE_BRACE);
    if (close >= 0) {
      const headerLength = close + 1;
      if (headerLength >= DECODE_BUFFER) return undefined;
      const header = text.subarray(0, headerLength).toString('latin1').toLowerCase();
      const type = HEADER_NAMES.get(header);
      if (type === undefined) return { type: PasswordAttr.CleartextPassword, value: Buffer.from(text) };
      const rest = value.subarray(headerLength);
      return { type, value: Buffer.from(STRING_TYPED.has(type) ? cString(rest) : rest) };
    }
    const decoded = base64DecodeFreeRadius(value, DECODE_BUFFER);
    if (decoded !== undefined && decoded.length > 0 && decoded[0] === OPEN_BRACE && decoded.includes(CLOSE_BRACE)) {
      value = decoded;
      continue;
    }
    return { type: PasswordAttr.CleartextPassword, value: Buffer.from(text) };
  }
  return { type: PasswordAttr.CleartextPassword, value: Buffer.from(cString(value)) };
}

/**
 * The definition of internal attribute `type`: the dictionary's when it has one, otherwise a
 * synthesized one with FreeRADIUS's name and type (the numbers are fixed in FreeRADIUS).
 */
export function passwordAttrDef(type: number, dict?: Dictionary): AttributeDef {
  const known = dict?.attributeByCode(0, type);
  if (known) return known;
  const dataType: DataType = STRING_TYPED.has(type) ? 'string' : 'octets';
  return {
    name: PASSWORD_ATTR_NAMES.get(type) ?? `Attr-${type}`,
    vendorId: 0,
    type,
    dataType,
    flags: noFlags(),
    valuesByName: new Map(),
    namesByValue: new Map(),
  };
}

/** Options of {@link normalizeControl}. */
export interface NormalizeOptions {
  /** rlm_pap `normalise` (default yes): hex/base64-decode stored hashes. */
  normalise?: boolean;
}

/**
 * rlm_pap's authorize step over the control list, in list order, returning a new list (the
 * input is not modified):
 * - Password-With-Header is ignored (kept, unused) when any Cleartext-Password is in the list;
 *   otherwise it is removed and the attribute it converts to is appended at the END of the
 *   list (so an earlier hashed password still decides the method, as in FreeRADIUS);
 * - MD5/SMD5/NT/LM (16), SHA/SSHA (20), SHA2 (28), SSHA2-224/256/384/512 (28/32/48/64) values
 *   are normalised from hex or base64 (see {@link normify}).
 * Other attributes pass through untouched.
 */
export function normalizeControl(control: readonly Avp[], dict?: Dictionary, opts: NormalizeOptions = {}): Avp[] {
  const normalise = opts.normalise ?? true;
  const list: Avp[] = [...control];
  let i = 0;
  while (i < list.length) {
    const avp = list[i]!;
    if (avp.def.vendorId !== 0) {
      i++;
      continue;
    }
    if (avp.def.type === PasswordAttr.PasswordWithHeader) {
      if (list.some((other) => isInternalAttr(other.def, PasswordAttr.CleartextPassword))) {
        i++;
        continue;
      }
      const converted = convertPasswordWithHeader(avp.value);
      if (converted) list.push({ def: passwordAttrDef(converted.type, dict), value: converted.value });
      list.splice(i, 1);
      continue;
    }
    const minLength = AUTHORIZE_MIN_LENGTH.get(avp.def.type);
    if (normalise && minLength !== undefined) {
      const value = normify(avp.value, minLength);
      if (value !== avp.value) list[i] = { ...avp, value };
    }
    i++;
  }
  return list;
}

/**
 * Attributes whose presence makes rlm_pap 3.2.1's authorize step say it found a "known good"
 * password (and so set Auth-Type PAP). PBKDF2-Password is NOT among them in 3.2.1 (measured: a
 * user with only PBKDF2-Password is rejected with "No known good password found"; the same
 * value behind Password-With-Header `{X-PBKDF2}` is accepted).
 */
const AUTHORIZE_FINDS: ReadonlySet<number> = new Set([
  PasswordAttr.PasswordWithHeader,
  PasswordAttr.CleartextPassword,
  PasswordAttr.CryptPassword,
  PasswordAttr.NsMtaMd5Password,
  PasswordAttr.Md5Password,
  PasswordAttr.Smd5Password,
  PasswordAttr.NtPassword,
  PasswordAttr.LmPassword,
  PasswordAttr.Sha2Password,
  PasswordAttr.Ssha2_224Password,
  PasswordAttr.Ssha2_256Password,
  PasswordAttr.Ssha2_384Password,
  PasswordAttr.Ssha2_512Password,
  PasswordAttr.ShaPassword,
  PasswordAttr.SshaPassword,
]);

/** Result of {@link papAuthorize}. */
export interface PapAuthorizeResult {
  /** The control list after Password-With-Header conversion and normalisation. */
  control: Avp[];
  /**
   * rlm_pap's `found_pw`: true when the ORIGINAL control list holds a password attribute pap's
   * authorize step recognises, or `Auth-Type` Accept/Reject. When false pap does not set
   * Auth-Type PAP, so (without another Auth-Type) the request is rejected.
   */
  foundPassword: boolean;
}

/**
 * rlm_pap 3.2.1's whole authorize step over the control list: {@link normalizeControl} plus
 * the "known good password found" decision pap uses to set `Auth-Type = PAP` (the caller adds
 * Auth-Type PAP when `foundPassword` is true, no Auth-Type is set yet and the request has a
 * User-Password).
 */
export function papAuthorize(control: readonly Avp[], dict?: Dictionary, opts: NormalizeOptions = {}): PapAuthorizeResult {
  const foundPassword = control.some((avp) => {
    if (avp.def.vendorId !== 0) return false;
    if (AUTHORIZE_FINDS.has(avp.def.type)) return true;
    if (avp.def.type !== Attr.AuthType || avp.value.length !== 4) return false;
    const authType = avp.value.readUInt32BE(0);
    return authType === AuthTypeValue.Accept || authType === AuthTypeValue.Reject;
  });
  return { control: normalizeControl(control, dict, opts), foundPassword };
}
