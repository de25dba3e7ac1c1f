import { createHash, randomBytes } from 'node:crypto';

/** Salt length for new salted SHA-2 hashes, in bytes. */
export const SSHA2_SALT_LENGTH = 16;

/**
 * A new SSHA2-512-Password value for `plain`: base64 of SHA-512(plain || salt) || salt, with a
 * random 16-byte (or `saltLength`, at least 16) salt. FreeRADIUS 3.2.1 and this server both
 * base64-decode it in the authorize step (`normify`) and accept it.
 */
export function hashSsha2_512(plain: Buffer, saltLength = SSHA2_SALT_LENGTH): string {
  if (!Number.isInteger(saltLength) || saltLength < 16 || saltLength > 64) {
    throw new RangeError(`SSHA2-512 salt length must be 16..64 bytes, got ${saltLength}`);
  }
  const salt = randomBytes(saltLength);
  const digest = createHash('sha512').update(plain).update(salt).digest();
  return Buffer.concat([digest, salt]).toString('base64');
}
