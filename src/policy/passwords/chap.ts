import { createHash } from 'node:crypto';
import type { Avp } from '../../protocol/attribute.js';
import { isCleartextPassword } from './attributes.js';
import { digestEqual } from './digest-equal.js';
import type { PasswordCheck } from './pap.js';

/** CHAP-Password is the CHAP identifier followed by the 16-octet MD5 response. */
const CHAP_PASSWORD_LENGTH = 17;

/**
 * The challenge rlm_chap uses: the request's CHAP-Challenge attribute when present (any
 * length), otherwise the 16-octet Request Authenticator.
 */
export function chapChallenge(chapChallengeAttr: Buffer | undefined, requestAuthenticator: Buffer): Buffer {
  return chapChallengeAttr ?? requestAuthenticator;
}

/**
 * rlm_chap's authenticate step: CHAP-Password must be exactly 17 octets; the FIRST
 * Cleartext-Password in the control list is required (hashed-only users cannot use CHAP, as in
 * FreeRADIUS); the response must equal MD5(ident || Cleartext-Password || challenge), compared
 * in constant time. Call {@link normalizeControl} first so Password-With-Header `{clear}`
 * values count, as they do in FreeRADIUS (pap's authorize step runs before authentication).
 */
export function verifyChap(control: readonly Avp[], chapPassword: Buffer, challenge: Buffer): PasswordCheck {
  const scheme = 'CHAP';
  if (chapPassword.length !== CHAP_PASSWORD_LENGTH) {
    return { ok: false, scheme, reason: 'invalid_chap_password', detail: '&request:CHAP-Password has invalid length' };
  }
  const known = control.find(isCleartextPassword);
  if (!known) {
    return { ok: false, scheme, reason: 'no_password', detail: '&control:Cleartext-Password is required for authentication' };
  }
  const expected = createHash('md5').update(chapPassword.subarray(0, 1)).update(known.value).update(challenge).digest();
  if (!digestEqual(expected, chapPassword.subarray(1))) {
    return { ok: false, scheme, reason: 'mismatch', detail: 'Password comparison failed: password is incorrect' };
  }
  return { ok: true, scheme };
}
