/**
 * Password checking as FreeRADIUS 3.2.1's rlm_pap and rlm_chap do it, in pure TypeScript.
 *
 * Use: after the users entries have built the control list, call {@link papAuthorize}
 * (rlm_pap's authorize step: Password-With-Header conversion, hex/base64 decoding of hashes,
 * and whether pap would set Auth-Type PAP), then {@link verifyPap} for a User-Password or
 * {@link verifyChap} for a CHAP-Password on the returned control list.
 * {@link knownGoodPassword} is the attribute that decides the method (the first one).
 * {@link hashSsha2_512} and {@link hashPbkdf2} produce values to store.
 */
export { PasswordAttr, isKnownGoodPasswordAttr } from './attributes.js';
export { normalizeControl, papAuthorize, normify, convertPasswordWithHeader, passwordAttrDef } from './normalize.js';
export type { NormalizeOptions, HeaderConversion, PapAuthorizeResult } from './normalize.js';
export { verifyPap, knownGoodPassword, checkKnownGood } from './pap.js';
export type { PasswordCheck, PasswordFailure } from './pap.js';
export { verifyChap, chapChallenge } from './chap.js';
export { hashSsha2_512 } from './store-hash.js';
export { hashPbkdf2, checkPbkdf2 } from './pbkdf2.js';
export type { Pbkdf2HashOptions } from './pbkdf2.js';
export { crypt } from './crypt.js';
export { ntHash } from './nt-hash.js';
export { lmHash } from './lm-hash.js';
