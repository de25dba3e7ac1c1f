import { createHash } from 'node:crypto';
import { hashSsha2_512 } from '../../policy/passwords/index.js';
import { ProfileError } from './profile.js';

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

/** The password item for a credential: salted hash by default, clear text when asked. */
export function passwordItemFor(credential: string, cleartext: boolean): PasswordItem {
  return cleartext
    ? { attribute: 'Cleartext-Password', value: credential }
    : { attribute: 'SSHA2-512-Password', value: hashSsha2_512(Buffer.from(credential, 'utf8')) };
}

/**
 * The credential a Vutlan device sends, from the SHA-1 hex of its password: lower-cased (PAP
 * compares bytes exactly). Throws ProfileError when it is not 40 hex digits.
 */
export function credentialFromSha1Hex(hex: string): string {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) {
    throw new ProfileError('invalid_argument', '--sha1-hex: expected 40 hexadecimal digits (the SHA-1 of the password)');
  }
  return hex.toLowerCase();
}

/** The credential for a clear password: its SHA-1 hex for a device login, else the password. Throws on an empty one. */
export function credentialFromPassword(password: string, device: boolean): string {
  if (password === '') throw new ProfileError('invalid_argument', 'empty password');
  return device ? deviceSha1Hex(password) : password;
}
