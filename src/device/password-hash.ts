import { createHash } from 'node:crypto';

/**
 * Lower-case hex SHA-1 of `text`: what the device's login page sends as `h`, what its local
 * user table keeps as Pass, and the User-Password its RADIUS client sends.
 */
export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}
