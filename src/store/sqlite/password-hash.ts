import { createHash, randomBytes } from 'node:crypto';

/**
 * How the `users` CLI turns a secret into the stored password item.
 *
 * Default: `SSHA2-512-Password` = base64(SHA-512(credential ‖ salt) ‖ salt) with a 16-byte random
 * salt, the form FreeRADIUS pap verifies (base64 is recognised by its `normify`). A stolen
 * database then holds no credential a NAS would accept.
 *
 * Vutlan devices send the lower-case hex SHA-1 of the login password as the PAP password, so for
 * device users the credential is that hex string: the store keeps a salted hash OF THE HEX. The hex
 * itself is never stored because it is as good as the password (the device's own HTTP login takes
 * it as `h=`).
 */

/** Stored password item: attribute name and the value text to write. */
export interface PasswordItem {
  attribute: 'SSHA2-512-Password' | 'Cleartext-Password';
  value: string;
}

/** Lower-case hex SHA-1 of the UTF-8 password: what a Vutlan device sends as User-Password. */
export function deviceSha1Hex(password: string): string {
  return createHash('sha1').update(password, 'utf8').digest('hex');
}

/** Salted SHA-512 in FreeRADIUS SSHA2-512-Password form (base64 of digest ‖ salt). */
export function hashSsha2_512(credential: string | Buffer, salt: Buffer = randomBytes(16)): string {
  const secret = typeof credential === 'string' ? Buffer.from(credential, 'utf8') : credential;
  const digest = createHash('sha512').update(secret).update(salt).digest();
  return Buffer.concat([digest, salt]).toString('base64');
}

/** True when `credential` matches an SSHA2-512 value made by `hashSsha2_512` (tests, `show`). */
export function verifySsha2_512(credential: string, stored: string): boolean {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length <= 64) return false;
  return hashSsha2_512(credential, raw.subarray(64)) === stored;
}

/** The password item for a credential: salted hash by default, clear text when asked. */
export function passwordItemFor(credential: string, cleartext: boolean): PasswordItem {
  return cleartext
    ? { attribute: 'Cleartext-Password', value: credential }
    : { attribute: 'SSHA2-512-Password', value: hashSsha2_512(credential) };
}
