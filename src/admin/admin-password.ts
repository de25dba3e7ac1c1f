import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Admin account passwords: scrypt (RFC 7914) with a 16-byte random salt, stored as
 * `scrypt$N$r$p$salt_b64$hash_b64` so the cost can be raised later without breaking old hashes.
 * N = 2^15, r = 8, p = 1 (about 32 MB and 50-100 ms per check: slow for a guesser, fine for a login).
 */

const N = 32768;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const MAX_MEM = 128 * N * R * 2;

function derive(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, { N: n, r, p, maxmem: Math.max(MAX_MEM, 128 * n * r * 2) }, (err, key) => {
      if (err) reject(err);
      else resolve(key);
    });
  });
}

/** Hashes a password for storage. */
export async function hashAdminPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches `stored`; false for a malformed stored value. Constant-time compare. */
export async function verifyAdminPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length !== KEY_LENGTH) return false;
  const key = await derive(password, salt, n, r, p);
  return timingSafeEqual(key, expected);
}

/** A hash of a random password, checked against when the account does not exist (same timing). */
let dummy: Promise<string> | undefined;
export function dummyAdminHash(): Promise<string> {
  return (dummy ??= hashAdminPassword(randomBytes(16).toString('hex')));
}

/** Shortest admin password accepted. */
export const MIN_ADMIN_PASSWORD_LENGTH = 10;
