import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { base64DecodeFreeRadius } from './encoding.js';
import { digestEqual } from './digest-equal.js';

/**
 * PBKDF2-Password as FreeRADIUS 3.2.1's rlm_pap reads it (`pap_auth_pbkdf2`), three formats:
 * - Crypt::PBKDF2 LDAP: `{X-PBKDF2}HMACSHA2+256:<b64 BE uint32 rounds>:<b64 salt>:<b64 hash>`
 *   (the `{...}` header optional);
 * - Crypt::PBKDF2 crypt: `$PBKDF2$HMACSHA2+256:<rounds>:<b64 salt>$<b64 hash>`;
 * - passlib: `$pbkdf2-sha256$<rounds>$<b64 salt>$<b64 hash>`.
 * Digest names are compared case-insensitively; base64 is FreeRADIUS's (standard alphabet,
 * padding optional), so passlib's own "ab64" (`.` for `+`) values are refused, as 3.2.1 refuses
 * them (measured). The 389-ds `{PBKDF2-SHA256}` headers arrived after 3.2.1 and are not read.
 *
 * Measured quirk of 3.2.1: pap's authorize step does not count PBKDF2-Password as a known good
 * password, so a user with only `PBKDF2-Password` is rejected unless Auth-Type is set otherwise;
 * `Password-With-Header := "{X-PBKDF2}..."` works (see `papAuthorize`).
 */

/** Outcome of checking a password against a stored PBKDF2 value. */
export type Pbkdf2Check =
  | { result: 'ok' | 'reject'; digest: string }
  | { result: 'invalid'; detail: string };

interface DigestSpec {
  /** Node's hash name. */
  node: string;
  length: number;
  /** FreeRADIUS's Crypt::PBKDF2 name, for messages. */
  label: string;
}

const SHA1: DigestSpec = { node: 'sha1', length: 20, label: 'HMACSHA1' };
const SHA224: DigestSpec = { node: 'sha224', length: 28, label: 'HMACSHA2+224' };
const SHA256: DigestSpec = { node: 'sha256', length: 32, label: 'HMACSHA2+256' };
const SHA384: DigestSpec = { node: 'sha384', length: 48, label: 'HMACSHA2+384' };
const SHA512: DigestSpec = { node: 'sha512', length: 64, label: 'HMACSHA2+512' };

const CRYPT_NAMES: ReadonlyMap<string, DigestSpec> = new Map([
  ['hmacsha1', SHA1],
  ['hmacsha2+224', SHA224],
  ['hmacsha2+256', SHA256],
  ['hmacsha2+384', SHA384],
  ['hmacsha2+512', SHA512],
  ['hmacsha3+224', { node: 'sha3-224', length: 28, label: 'HMACSHA3+224' }],
  ['hmacsha3+256', { node: 'sha3-256', length: 32, label: 'HMACSHA3+256' }],
  ['hmacsha3+384', { node: 'sha3-384', length: 48, label: 'HMACSHA3+384' }],
  ['hmacsha3+512', { node: 'sha3-512', length: 64, label: 'HMACSHA3+512' }],
]);

const PASSLIB_NAMES: ReadonlyMap<string, DigestSpec> = new Map([
  ['sha1', SHA1],
  ['sha256', SHA256],
  ['sha512', SHA512],
]);

interface FormatRules {
  names: ReadonlyMap<string, DigestSpec>;
  schemeSep: string;
  iterSep: string;
  saltSep: string;
  iterationsBase64: boolean;
}

const LDAP: FormatRules = { names: CRYPT_NAMES, schemeSep: ':', iterSep: ':', saltSep: ':', iterationsBase64: true };
const CRYPT: FormatRules = { names: CRYPT_NAMES, schemeSep: ':', iterSep: ':', saltSep: '$', iterationsBase64: false };
const PASSLIB: FormatRules = { names: PASSLIB_NAMES, schemeSep: '$', iterSep: '$', saltSep: '$', iterationsBase64: false };

const MAX_DIGEST = 64;

function invalid(detail: string): Pbkdf2Check {
  return { result: 'invalid', detail };
}

/** strtoul over FreeRADIUS's 12-byte buffer: at most 11 digits are read; stored as uint32. */
function parseDecimalIterations(token: string): number | undefined {
  const text = token.slice(0, 11);
  if (!/^[0-9]+$/.test(text)) return undefined;
  return Number(BigInt(text) & 0xffff_ffffn);
}

/** What to do with a parsed value: compute and compare (a check), or only read the parameters. */
type Use = (spec: DigestSpec, salt: Buffer, iterations: number, hash: Buffer) => Pbkdf2Check;

function parse(body: string, rules: FormatRules, use: Use): Pbkdf2Check {
  if (body.length <= 1) return invalid('PBKDF2-Password is too short');
  const schemeEnd = body.indexOf(rules.schemeSep);
  if (schemeEnd < 0) return invalid('PBKDF2-Password has no component separators');
  if (schemeEnd >= 128) return invalid('PBKDF2-Password has invalid hash token');
  const spec = rules.names.get(body.slice(0, schemeEnd).toLowerCase());
  if (!spec) return invalid(`Unknown PBKDF2 hash method "${body.slice(0, schemeEnd)}"`);

  let p = schemeEnd + 1;
  const iterEnd = body.indexOf(rules.iterSep, p);
  if (p >= body.length || iterEnd < 0) return invalid('PBKDF2-Password missing iterations component');
  if (iterEnd === p) return invalid('PBKDF2-Password iterations component too short');
  const iterToken = body.slice(p, iterEnd);
  let iterations: number | undefined;
  if (rules.iterationsBase64) {
    const decoded = base64DecodeFreeRadius(Buffer.from(iterToken, 'latin1'), 4);
    if (!decoded) return invalid('Failed decoding PBKDF2-Password iterations component');
    // FreeRADIUS only logs a wrong size and reads the 4-byte buffer anyway; short values are
    // left-aligned in it (the rest is whatever was on the stack, here zero).
    const word = Buffer.alloc(4);
    decoded.copy(word, 0, 0, 4);
    iterations = word.readUInt32BE(0);
  } else {
    iterations = parseDecimalIterations(iterToken);
    if (iterations === undefined) return invalid('PBKDF2-Password iterations field contains an invalid character');
  }
  if (iterations === 0) iterations = 1;
  p = iterEnd + 1;

  const saltEnd = body.indexOf(rules.saltSep, p);
  if (p >= body.length || saltEnd < 0) return invalid('PBKDF2-Password missing salt component');
  if (saltEnd === p) return invalid('PBKDF2-Password salt component too short');
  const saltText = Buffer.from(body.slice(p, saltEnd), 'latin1');
  const salt = base64DecodeFreeRadius(saltText, 3 * Math.floor(saltText.length / 4) + 2);
  if (!salt) return invalid('Failed decoding PBKDF2-Password salt component');

  const hash = base64DecodeFreeRadius(Buffer.from(body.slice(saltEnd + 1), 'latin1'), MAX_DIGEST);
  if (!hash) return invalid('Failed decoding PBKDF2-Password hash component');
  if (hash.length !== spec.length) {
    return invalid(`PBKDF2-Password hash component length is incorrect for hash type, expected ${spec.length}, got ${hash.length}`);
  }
  return use(spec, salt, iterations, hash);
}

/** Checks `password` against a stored PBKDF2-Password value (any of the 3.2.1 formats). */
export function checkPbkdf2(stored: Buffer, password: Buffer): Pbkdf2Check {
  return parseStored(stored, (spec, salt, iterations, hash) => {
    const computed = pbkdf2Sync(password, salt, iterations, spec.length, spec.node);
    return { result: digestEqual(computed, hash) ? 'ok' : 'reject', digest: spec.label };
  });
}

/** The iteration count of a stored PBKDF2-Password value, or undefined when it cannot be read. */
export function pbkdf2Iterations(stored: Buffer): number | undefined {
  let found: number | undefined;
  parseStored(stored, (spec, _salt, iterations) => {
    found = iterations;
    return { result: 'reject', digest: spec.label };
  });
  return found;
}

function parseStored(stored: Buffer, use: Use): Pbkdf2Check {
  if (stored.length < 2) return invalid('PBKDF2-Password too short');
  const text = stored.toString('latin1');
  if (!text.startsWith('$')) {
    let body = text;
    if (body.startsWith('{')) {
      const close = body.indexOf('}');
      if (close < 0) return invalid('PBKDF2-Password header has no closing brace');
      body = body.slice(close + 1);
    }
    return parse(body, LDAP, use);
  }
  if (text.length >= 9 && text.startsWith('$PBKDF2$')) return parse(text.slice(8), CRYPT, use);
  if (text.length >= 9 && text.startsWith('$pbkdf2-')) return parse(text.slice(8), PASSLIB, use);
  return invalid("Can't determine format of PBKDF2-Password");
}

/** Options of {@link hashPbkdf2}. */
export interface Pbkdf2HashOptions {
  /** HMAC digest; default sha256. */
  digest?: 'sha1' | 'sha256' | 'sha512';
  /** Iteration count; default 600000 (OWASP 2023 for PBKDF2-HMAC-SHA256). */
  iterations?: number;
  /** Salt length in bytes, at least 16; default 16. */
  saltLength?: number;
}

const CRYPT_LABEL: Readonly<Record<NonNullable<Pbkdf2HashOptions['digest']>, string>> = {
  sha1: 'HMACSHA1',
  sha256: 'HMACSHA2+256',
  sha512: 'HMACSHA2+512',
};

/**
 * A new value for `plain` in Crypt::PBKDF2's LDAP format with its header,
 * `{X-PBKDF2}HMACSHA2+256:<b64 BE uint32 rounds>:<b64 salt>:<b64 hash>`, random salt. Store it
 * as `Password-With-Header`: FreeRADIUS 3.2.1 then converts it to PBKDF2-Password AND sets
 * Auth-Type PAP (a bare PBKDF2-Password does not, see the module comment); this server does the
 * same. It is also a valid PBKDF2-Password value (the header is skipped).
 */
export function hashPbkdf2(plain: Buffer, opts: Pbkdf2HashOptions = {}): string {
  const digest = opts.digest ?? 'sha256';
  const iterations = opts.iterations ?? 600_000;
  const saltLength = opts.saltLength ?? 16;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0xffff_ffff) {
    throw new RangeError(`PBKDF2 iterations must be 1..4294967295, got ${iterations}`);
  }
  if (!Number.isInteger(saltLength) || saltLength < 16 || saltLength > 64) {
    throw new RangeError(`PBKDF2 salt length must be 16..64 bytes, got ${saltLength}`);
  }
  const length = digest === 'sha1' ? 20 : digest === 'sha256' ? 32 : 64;
  const salt = randomBytes(saltLength);
  const hash = pbkdf2Sync(plain, salt, iterations, length, digest);
  const rounds = Buffer.alloc(4);
  rounds.writeUInt32BE(iterations, 0);
  return `{X-PBKDF2}${CRYPT_LABEL[digest]}:${rounds.toString('base64')}:${salt.toString('base64')}:${hash.toString('base64')}`;
}
