import { createHash } from 'node:crypto';
import { desCrypt } from './des-crypt.js';

/**
 * crypt(3) for the formats FreeRADIUS users store in Crypt-Password, computed in TypeScript:
 * traditional DES (2-character salt, see des-crypt.ts), `$1$` (MD5-crypt, Poul-Henning Kamp's
 * algorithm) and `$5$` / `$6$` (SHA-crypt, Ulrich Drepper's published specification,
 * `rounds=` supported). bcrypt, yescrypt and the other libxcrypt formats are not computed. Setting-string rules follow
 * libxcrypt (Debian 12's libcrypt.so.1, which FreeRADIUS 3.2.1 calls): salts stop at `$`, are cut
 * to 8 / 16 characters, must be printable ASCII without `! * : ; \`; `rounds=` must be
 * 1000..999999999 without leading zeros. Anything else yields undefined ("*0" in libxcrypt).
 */

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Crypt formats this module computes, by prefix. */
export type CryptFormat = 'des' | '$1$' | '$5$' | '$6$' | 'unsupported';

/** The format of a crypt string, from its prefix. */
export function cryptFormat(setting: string): CryptFormat {
  if (setting.startsWith('$1$')) return '$1$';
  if (setting.startsWith('$5$')) return '$5$';
  if (setting.startsWith('$6$')) return '$6$';
  if (/^[./0-9A-Za-z]{2}/.test(setting)) return 'des';
  return 'unsupported';
}

/**
 * crypt(password, setting): the full crypt string for `password` with the salt (and rounds)
 * taken from `setting`, which may be a complete stored hash. Undefined when the setting is
 * invalid or the format unsupported (bcrypt, yescrypt, BSDi `_`, ...).
 */
export function crypt(password: Buffer, setting: string): string | undefined {
  switch (cryptFormat(setting)) {
    case '$1$':
      return md5Crypt(password, setting);
    case '$5$':
      return shaCrypt('sha256', password, setting);
    case '$6$':
      return shaCrypt('sha512', password, setting);
    case 'des':
      return desCrypt(password, setting);
    default:
      return undefined;
  }
}

function to64(value: number, count: number): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    out += ITOA64[value & 0x3f];
    value >>>= 6;
  }
  return out;
}

function isSaltChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x7f && !'!*:;\\$'.includes(c);
}

/** Salt of a `$N$` setting: up to `max` characters before the next `$`; undefined if invalid. */
function readSalt(rest: string, max: number): string | undefined {
  const end = rest.indexOf('$');
  const salt = (end < 0 ? rest : rest.slice(0, end)).slice(0, max);
  for (const c of salt) if (!isSaltChar(c)) return undefined;
  return salt;
}

/** MD5-crypt (`$1$`), as in FreeBSD / glibc / libxcrypt. */
export function md5Crypt(password: Buffer, setting: string): string | undefined {
  const magic = '$1$';
  const salt = readSalt(setting.slice(magic.length), 8);
  if (salt === undefined) return undefined;
  const saltBytes = Buffer.from(salt, 'latin1');

  const alternate = createHash('md5').update(password).update(saltBytes).update(password).digest();
  const ctx = createHash('md5').update(password).update(magic).update(saltBytes);
  for (let left = password.length; left > 0; left -= 16) ctx.update(alternate.subarray(0, Math.min(left, 16)));
  for (let i = password.length; i > 0; i >>= 1) {
    ctx.update((i & 1) !== 0 ? Buffer.from([0]) : password.subarray(0, 1));
  }
  let final = ctx.digest();

  for (let i = 0; i < 1000; i++) {
    const round = createHash('md5');
    round.update((i & 1) !== 0 ? password : final);
    if (i % 3 !== 0) round.update(saltBytes);
    if (i % 7 !== 0) round.update(password);
    round.update((i & 1) !== 0 ? final : password);
    final = round.digest();
  }

  const f = final;
  const encoded =
    to64((f[0]! << 16) | (f[6]! << 8) | f[12]!, 4) +
    to64((f[1]! << 16) | (f[7]! << 8) | f[13]!, 4) +
    to64((f[2]! << 16) | (f[8]! << 8) | f[14]!, 4) +
    to64((f[3]! << 16) | (f[9]! << 8) | f[15]!, 4) +
    to64((f[4]! << 16) | (f[10]! << 8) | f[5]!, 4) +
    to64(f[11]!, 2);
  return `${magic}${salt}$${encoded}`;
}

const ROUNDS_DEFAULT = 5000;
const ROUNDS_MIN = 1000;
const ROUNDS_MAX = 999_999_999;

/** Byte order of the final encoding (Drepper's spec): triples, then the tail. */
const SHA256_ORDER: readonly (readonly number[])[] = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26],
  [27, 7, 17], [18, 28, 8], [9, 19, 29],
];
const SHA512_ORDER: readonly (readonly number[])[] = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];

function repeatTo(block: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += block.length) block.copy(out, i, 0, Math.min(block.length, length - i));
  return out;
}

/** The rounds a SHA-crypt (`$5$`, `$6$`) setting asks for (5000 when not given); undefined for other formats. */
export function shaCryptRounds(setting: string): number | undefined {
  if (!setting.startsWith('$5$') && !setting.startsWith('$6$')) return undefined;
  const m = /^rounds=([0-9]+)\$/.exec(setting.slice(3));
  return m ? Number(m[1]) : ROUNDS_DEFAULT;
}

/** SHA-crypt (`$5$` sha256, `$6$` sha512) per Drepper's "Unix crypt using SHA-256 and SHA-512". */
export function shaCrypt(algorithm: 'sha256' | 'sha512', password: Buffer, setting: string): string | undefined {
  const magic = algorithm === 'sha256' ? '$5$' : '$6$';
  let rest = setting.slice(magic.length);
  let rounds = ROUNDS_DEFAULT;
  let customRounds = false;
  if (rest.startsWith('rounds=')) {
    const match = /^rounds=([1-9][0-9]*)\$/.exec(rest);
    if (!match) return undefined;
    const value = Number(match[1]);
    if (value < ROUNDS_MIN || value > ROUNDS_MAX) return undefined;
    rounds = value;
    customRounds = true;
    rest = rest.slice(match[0].length);
  }
  const salt = readSalt(rest, 16);
  if (salt === undefined) return undefined;
  const saltBytes = Buffer.from(salt, 'latin1');
  const hash = () => createHash(algorithm);
  const size = algorithm === 'sha256' ? 32 : 64;

  const b = hash().update(password).update(saltBytes).update(password).digest();
  const a = hash().update(password).update(saltBytes).update(repeatTo(b, password.length));
  for (let n = password.length; n > 0; n >>= 1) a.update((n & 1) !== 0 ? b : password);
  let c = a.digest();

  const dp = hash();
  for (let i = 0; i < password.length; i++) dp.update(password);
  const p = repeatTo(dp.digest(), password.length);

  const ds = hash();
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(saltBytes);
  const s = repeatTo(ds.digest(), saltBytes.length);

  for (let i = 0; i < rounds; i++) {
    const round = hash();
    round.update((i & 1) !== 0 ? p : c);
    if (i % 3 !== 0) round.update(s);
    if (i % 7 !== 0) round.update(p);
    round.update((i & 1) !== 0 ? c : p);
    c = round.digest();
  }

  let encoded = '';
  for (const [x, y, z] of size === 32 ? SHA256_ORDER : SHA512_ORDER) {
    encoded += to64((c[x!]! << 16) | (c[y!]! << 8) | c[z!]!, 4);
  }
  encoded += size === 32 ? to64((c[31]! << 8) | c[30]!, 3) : to64(c[63]!, 2);
  const roundsPart = customRounds ? `rounds=${rounds}$` : '';
  return `${magic}${roundsPart}${salt}$${encoded}`;
}
