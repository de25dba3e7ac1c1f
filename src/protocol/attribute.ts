import type { AttributeDef } from './dictionary.js';

/**
 * One attribute-value pair in wire form. `value` holds the attribute's value octets exactly as
 * they travel (network byte order for numbers; without the tag octet for tagged attributes),
 * so encoding is a copy and comparing two values of one type is a byte comparison.
 * Hidden values (User-Password) hold the plaintext once decoded by the server.
 */
export interface Avp {
  def: AttributeDef;
  value: Buffer;
  /** RFC 2868 tag (1..31) for attributes flagged `has_tag`; undefined when untagged. */
  tag?: number;
}
