import { createHash } from 'node:crypto';
import type { Avp } from '../../protocol/attribute.js';
import { PASSWORD_ATTR_NAMES, PasswordAttr, isKnownGoodPasswordAttr } from './attributes.js';
import { crypt, cryptFormat } from './crypt.js';
import { digestEqual } from './digest-equal.js';
import { cString, hexDecodePrefix } from './encoding.js';
import { normify } from './normalize.js';
import { lmHash } from './lm-hash.js';
import { ntHash } from './nt-hash.js';
import { checkPbkdf2 } from './pbkdf2.js';

/**
 * Why a password check failed. Stable codes for logs, metrics and tests:
 * - `no_password`: no usable "known good" password in the control list;
 * - `empty_password`: the request's password is empty;
 * - `mismatch`: the password is wrong;
 * - `invalid_hash`: the stored value cannot be used (wrong length, bad format);
 * - `invalid_password`: the request's password cannot be used by the scheme (NT: not UTF-8);
 * - `unsupported_scheme`: a scheme FreeRADIUS 3.2.1 supports but this server does not compute
 *   (crypt formats other than DES/$1$/$5$/$6$, e.g. bcrypt and yescrypt);
 * - `invalid_chap_password`: CHAP-Password is not 17 octets.
 */
export type PasswordFailure =
  | 'no_password'
  | 'empty_password'
  | 'mismatch'
  | 'invalid_hash'
  | 'invalid_password'
  | 'unsupported_scheme'
  | 'invalid_chap_password';

/**
 * Result of a password check. `scheme` names the method used (`Cleartext-Password`,
 * `SSHA2-512-Password`, `Crypt-Password($6$)`, `SHA2-Password(SHA2-256)`, `CHAP`, or `none`).
 * `detail` is a human-readable line in FreeRADIUS's words; it never contains the password or
 * the stored value.
 */
export interface PasswordCheck {
  ok: boolean;
  scheme: string;
  reason?: PasswordFailure;
  detail?: string;
}

/**
 * The attribute rlm_pap's authenticate step uses: the FIRST known-good password attribute in
 * control-list order (measured on 3.2.1: `SHA-Password` before `Cleartext-Password` decides,
 * even when the Cleartext-Password would match). Vendor attributes never count.
 */
export function knownGoodPassword(control: readonly Avp[]): Avp | undefined {
  return control.find((avp) => isKnownGoodPasswordAttr(avp.def));
}

function fail(scheme: string, reason: PasswordFailure, detail: string): PasswordCheck {
  return { ok: false, scheme, reason, detail };
}

function compared(scheme: string, equal: boolean, what: string): PasswordCheck {
  return equal ? { ok: true, scheme } : fail(scheme, 'mismatch', `${what} does not match "known good" digest`);
}

function hash(algorithm: string, ...parts: Buffer[]): Buffer {
  const h = createHash(algorithm);
  for (const part of parts) h.update(part);
  return h.digest();
}

const SHA2_BY_LENGTH: ReadonlyMap<number, [string, string]> = new Map([
  [28, ['sha224', 'SHA2-224']],
  [32, ['sha256', 'SHA2-256']],
  [48, ['sha384', 'SHA2-384']],
  [64, ['sha512', 'SHA2-512']],
]);

const SSHA2: ReadonlyMap<number, [string, number]> = new Map([
  [PasswordAttr.Ssha2_224Password, ['sha224', 28]],
  [PasswordAttr.Ssha2_256Password, ['sha256', 32]],
  [PasswordAttr.Ssha2_384Password, ['sha384', 48]],
  [PasswordAttr.Ssha2_512Password, ['sha512', 64]],
]);

/** `$6$`-style prefix of a crypt string for the scheme name (`des` for traditional crypt). */
function cryptLabel(stored: string): string {
  if (!stored.startsWith('$')) return cryptFormat(stored) === 'des' ? 'des' : stored.slice(0, 1);
  const end = stored.indexOf('$', 1);
  return end < 0 ? stored : stored.slice(0, end + 1);
}

/** MAX_STRING_LEN (254) minus FreeRADIUS's NS-MTA-MD5 framing. */
const NS_MTA_MD5_MAX_PASSWORD = 254 - 2 - 2 * 32;

function checkNsMtaMd5(stored: Buffer, password: Buffer, scheme: string): PasswordCheck {
  if (stored.length !== 64) return fail(scheme, 'invalid_hash', '"known good" NS-MTA-MD5-Password has incorrect length');
  const digest = hexDecodePrefix(stored, 128);
  if (digest.length !== 16) return fail(scheme, 'invalid_hash', '"known good" NS-MTA-MD5-Password has invalid value');
  if (password.length >= NS_MTA_MD5_MAX_PASSWORD) return fail(scheme, 'invalid_password', '"known good" NS-MTA-MD5-Password is too long');
  const salt = stored.subarray(32, 64);
  const computed = hash('md5', salt, Buffer.from([89]), cString(password), Buffer.from([247]), salt);
  return compared(scheme, digestEqual(computed, digest), 'NS-MTA-MD5 digest');
}

/**
 * Checks one known-good password attribute against the request's decoded User-Password, as
 * rlm_pap 3.2.1's per-scheme functions do (including their second `normify` of hashes).
 */
export function checkKnownGood(avp: Avp, password: Buffer): PasswordCheck {
  const type = avp.def.type;
  const name = PASSWORD_ATTR_NAMES.get(type) ?? avp.def.name;
  const stored = avp.value;
  switch (type) {
    case PasswordAttr.CleartextPassword:
      return digestEqual(stored, password)
        ? { ok: true, scheme: name }
        : fail(name, 'mismatch', 'Cleartext password does not match "known good" password');

    case PasswordAttr.CryptPassword: {
      const setting = cString(stored).toString('latin1');
      const scheme = `${name}(${cryptLabel(setting)})`;
      if (cryptFormat(setting) === 'unsupported') {
        return fail(scheme, 'unsupported_scheme', `crypt format ${cryptLabel(setting)} is not supported (only DES, $1$, $5$, $6$)`);
      }
      const out = crypt(cString(password), setting);
      if (out === undefined) return fail(scheme, 'invalid_hash', 'Crypt-Password has an invalid salt or rounds');
      return compared(scheme, digestEqual(Buffer.from(out, 'latin1'), Buffer.from(setting, 'latin1')), 'Crypt digest');
    }

    case PasswordAttr.Md5Password: {
      const value = normify(stored, 16);
      if (value.length !== 16) return fail(name, 'invalid_hash', '"known-good" MD5 password has incorrect length');
      return compared(name, digestEqual(hash('md5', password), value), 'MD5 digest');
    }

    case PasswordAttr.Smd5Password: {
      const value = normify(stored, 16);
      if (value.length <= 16) return fail(name, 'invalid_hash', '"known-good" SMD5-Password has incorrect length');
      return compared(name, digestEqual(hash('md5', password, value.subarray(16)), value.subarray(0, 16)), 'SMD5 digest');
    }

    case PasswordAttr.ShaPassword: {
      const value = normify(stored, 20);
      if (value.length !== 20) return fail(name, 'invalid_hash', '"known-good" SHA1-password has incorrect length');
      return compared(name, digestEqual(hash('sha1', password), value), 'SHA1 digest');
    }

    case PasswordAttr.SshaPassword: {
      const value = normify(stored, 20);
      if (value.length <= 20) return fail(name, 'invalid_hash', '"known-good" SSHA-Password has incorrect length');
      return compared(name, digestEqual(hash('sha1', password, value.subarray(20)), value.subarray(0, 20)), 'SSHA digest');
    }

    case PasswordAttr.Sha2Password: {
      const value = normify(stored, 28);
      const algorithm = SHA2_BY_LENGTH.get(value.length);
      if (!algorithm) {
        return fail(name, 'invalid_hash', `"known good" digest length (${value.length}) does not match output length of any SHA-2 digests`);
      }
      const scheme = `${name}(${algorithm[1]})`;
      return compared(scheme, digestEqual(hash(algorithm[0], password), value), `${algorithm[1]} digest`);
    }

    case PasswordAttr.Ssha2_224Password:
    case PasswordAttr.Ssha2_256Password:
    case PasswordAttr.Ssha2_384Password:
    case PasswordAttr.Ssha2_512Password: {
      const [algorithm, length] = SSHA2.get(type)!;
      const value = normify(stored, length + 1);
      if (value.length <= length) {
        return fail(name, 'invalid_hash', `"known-good" ${name} has incorrect length, got ${value.length} bytes, need at least ${length + 1} bytes`);
      }
      const computed = hash(algorithm, password, value.subarray(length));
      return compared(name, digestEqual(computed, value.subarray(0, length)), `${name.replace('-Password', '')} digest`);
    }

    case PasswordAttr.Pbkdf2Password: {
      const check = checkPbkdf2(stored, password);
      if (check.result === 'invalid') return fail(name, 'invalid_hash', check.detail);
      return compared(`${name}(${check.digest})`, check.result === 'ok', 'PBKDF2 digest');
    }

    case PasswordAttr.NtPassword: {
      const value = normify(stored, 16);
      if (value.length !== 16) return fail(name, 'invalid_hash', '"known good" NT-Password has incorrect length');
      const computed = ntHash(password);
      if (!computed) return fail(name, 'invalid_password', 'User-Password is not in UCS2 format');
      return compared(name, digestEqual(computed, value), 'NT digest');
    }

    case PasswordAttr.LmPassword: {
      const value = normify(stored, 16);
      if (value.length !== 16) return fail(name, 'invalid_hash', '"known good" LM-Password has incorrect length');
      return compared(name, digestEqual(lmHash(password), value), 'LM digest');
    }

    case PasswordAttr.NsMtaMd5Password:
      return checkNsMtaMd5(stored, password, name);

    default:
      return fail(name, 'no_password', 'No password configured for the user.  Cannot do authentication');
  }
}

/**
 * rlm_pap's authenticate step: `password` is the decoded User-Password (trailing NULs already
 * removed); `control` is the control list after {@link normalizeControl}. An empty password is
 * refused; otherwise the first known-good password attribute decides the method.
 */
export function verifyPap(control: readonly Avp[], password: Buffer): PasswordCheck {
  const known = knownGoodPassword(control);
  const scheme = known ? (PASSWORD_ATTR_NAMES.get(known.def.type) ?? known.def.name) : 'none';
  if (password.length === 0) return fail(scheme, 'empty_password', 'Password must not be empty');
  if (!known) return fail('none', 'no_password', 'No password configured for the user.  Cannot do authentication');
  return checkKnownGood(known, password);
}
