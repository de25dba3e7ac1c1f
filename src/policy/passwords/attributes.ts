import type { Avp } from '../../protocol/attribute.js';
import type { AttributeDef } from '../../protocol/dictionary.js';

/**
 * Numbers of the FreeRADIUS internal ("control") attributes that carry passwords, from
 * `share/dictionary.freeradius.internal` (vendor 0, never on the wire). Matching on the number
 * rather than the name keeps aliases (SHA-Password / SHA1-Password) and renamed dictionaries
 * working, exactly as rlm_pap switches on `vp->da->attr`.
 */
export const PasswordAttr = {
  CryptPassword: 1006,
  NsMtaMd5Password: 1054,
  LmPassword: 1057,
  NtPassword: 1058,
  Sha2Password: 1092,
  ShaPassword: 1093,
  SshaPassword: 1094,
  Md5Password: 1095,
  Smd5Password: 1096,
  CleartextPassword: 1100,
  PasswordWithHeader: 1101,
  Ssha2_224Password: 1177,
  Ssha2_256Password: 1178,
  Ssha2_384Password: 1179,
  Ssha2_512Password: 1180,
  Pbkdf2Password: 1181,
} as const;

/** Canonical printed names (the last alias FreeRADIUS 3.2.1 defines), used for schemes and new defs. */
export const PASSWORD_ATTR_NAMES: ReadonlyMap<number, string> = new Map([
  [PasswordAttr.CryptPassword, 'Crypt-Password'],
  [PasswordAttr.NsMtaMd5Password, 'NS-MTA-MD5-Password'],
  [PasswordAttr.LmPassword, 'LM-Password'],
  [PasswordAttr.NtPassword, 'NT-Password'],
  [PasswordAttr.Sha2Password, 'SHA2-Password'],
  [PasswordAttr.ShaPassword, 'SHA1-Password'],
  [PasswordAttr.SshaPassword, 'SSHA1-Password'],
  [PasswordAttr.Md5Password, 'MD5-Password'],
  [PasswordAttr.Smd5Password, 'SMD5-Password'],
  [PasswordAttr.CleartextPassword, 'Cleartext-Password'],
  [PasswordAttr.PasswordWithHeader, 'Password-With-Header'],
  [PasswordAttr.Ssha2_224Password, 'SSHA2-224-Password'],
  [PasswordAttr.Ssha2_256Password, 'SSHA2-256-Password'],
  [PasswordAttr.Ssha2_384Password, 'SSHA2-384-Password'],
  [PasswordAttr.Ssha2_512Password, 'SSHA2-512-Password'],
  [PasswordAttr.Pbkdf2Password, 'PBKDF2-Password'],
]);

/** Attributes that rlm_pap's authenticate step treats as a "known good" password (3.2.1). */
const KNOWN_GOOD: ReadonlySet<number> = new Set([
  PasswordAttr.CleartextPassword,
  PasswordAttr.CryptPassword,
  PasswordAttr.Md5Password,
  PasswordAttr.Smd5Password,
  PasswordAttr.Sha2Password,
  PasswordAttr.Ssha2_224Password,
  PasswordAttr.Ssha2_256Password,
  PasswordAttr.Ssha2_384Password,
  PasswordAttr.Ssha2_512Password,
  PasswordAttr.Pbkdf2Password,
  PasswordAttr.ShaPassword,
  PasswordAttr.SshaPassword,
  PasswordAttr.NtPassword,
  PasswordAttr.LmPassword,
  PasswordAttr.NsMtaMd5Password,
]);

/** True when `def` is the internal attribute number `type` (vendor 0). */
export function isInternalAttr(def: AttributeDef, type: number): boolean {
  return def.vendorId === 0 && def.type === type;
}

/** True when the attribute is one rlm_pap can authenticate against. */
export function isKnownGoodPasswordAttr(def: AttributeDef): boolean {
  return def.vendorId === 0 && KNOWN_GOOD.has(def.type);
}

/** True when the AVP is a Cleartext-Password. */
export function isCleartextPassword(avp: Avp): boolean {
  return isInternalAttr(avp.def, PasswordAttr.CleartextPassword);
}
