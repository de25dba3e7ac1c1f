/** CHAP (RFC 1994 / RFC 2865 section 2.2) response computation. */
import { createHash } from 'node:crypto';

/**
 * The 16-octet CHAP response MD5(ident || password || challenge). A CHAP-Password attribute is
 * the ident octet followed by this response; the challenge is CHAP-Challenge if present, else
 * the Request Authenticator.
 */
export function chapResponse(ident: number, password: Buffer, challenge: Buffer): Buffer {
  return createHash('md5').update(Buffer.of(ident & 0xff)).update(password).update(challenge).digest();
}
