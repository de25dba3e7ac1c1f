import type { Avp } from './attribute.js';

/**
 * A decoded RADIUS packet. `attributes` are in wire order; each sub-attribute of a
 * Vendor-Specific attribute is its own Avp; attributes the dictionary does not know carry a
 * synthesized definition named like FreeRADIUS's raw form (`Attr-N`, `Attr-26.V.T`), type octets.
 */
export interface Packet {
  code: number;
  identifier: number;
  /** The 16-octet authenticator from the header (a view into the received datagram). */
  authenticator: Buffer;
  attributes: Avp[];
}

/** RFC 2865 header size: Code, Identifier, Length, Authenticator. */
export const HEADER_LENGTH = 20;
/** RFC 2865 section 3: the largest packet. */
export const MAX_PACKET_LENGTH = 4096;

export { Attr } from './attribute-numbers.js';
