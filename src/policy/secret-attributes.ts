import { Attr } from '../protocol/attribute-numbers.js';
import type { AttributeDef } from '../protocol/dictionary.js';
import { isKnownGoodPasswordAttr } from './passwords/attributes.js';

/**
 * The one rule for values that never reach a trace, a log line or a record on disk: hidden
 * attributes (`encrypt=` in the dictionary: User-Password, Tunnel-Password, ...), those marked
 * `secret`, CHAP- and ARAP-Password, and every password control attribute (Cleartext-Password,
 * the hashes, Password-With-Header). Printed as `<hidden>` or left out.
 */
export function isSecretAttribute(def: AttributeDef): boolean {
  if (def.flags.encrypt !== 0 || def.flags.secret) return true;
  if (def.vendorId !== 0) return false;
  switch (def.type) {
    case Attr.UserPassword:
    case Attr.ChapPassword:
    case Attr.ArapPassword:
    case Attr.PasswordWithHeader:
      return true;
    default:
      return isKnownGoodPasswordAttr(def);
  }
}
