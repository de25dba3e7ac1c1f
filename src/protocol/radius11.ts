/**
 * RADIUS/1.1 (RFC 9765): the transport profile negotiated by ALPN `radius/1.1` over TLS. The
 * header keeps its size but Identifier becomes Reserved-1 (sent as 0, ignored on receipt) and
 * the Authenticator becomes a 32-bit Token followed by 12 reserved octets; no shared secret and
 * no MD5: User-Password, Tunnel-Password and the like travel as their plain values (TLS hides
 * them), Message-Authenticator is never sent and ignored when received.
 */
import type { Avp } from './attribute.js';
import { decodePacket } from './decode.js';
import type { Dictionary } from './dictionary.js';
import { encodeRequest, encodeResponse } from './encode.js';
import { PacketError } from './errors.js';
import { Attr, type Packet } from './packet.js';
import { MAX_PASSWORD_LENGTH } from './password.js';

/** ALPN protocol names (RFC 9765 section 3.1). */
export const ALPN_RADIUS_10 = 'radius/1.0';
export const ALPN_RADIUS_11 = 'radius/1.1';

/** The Token of a RADIUS/1.1 packet (octets 4..8 of the header). */
export function readToken(buf: Buffer): number {
  return buf.readUInt32BE(4);
}

/** Token + 12 zero octets: the header's former Authenticator field. */
export function tokenField(token: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(token >>> 0, 0);
  return b;
}

/**
 * Decodes a received RADIUS/1.1 packet (throws PacketError): the structural checks of
 * {@link decodePacket}, values taken as they are (nothing to reveal), Message-Authenticator
 * removed from the attribute list (RFC 9765 section 5.2: silently discarded). A User-Password
 * must be 1..128 octets (`bad_user_password`); CHAP-Password needs a CHAP-Challenge, since there
 * is no Request Authenticator to stand in for it (`chap_without_challenge`).
 * `identifier` of the result is 0 whatever Reserved-1 held.
 */
export function decodePacket11(buf: Buffer, dict: Dictionary, opts: { maxAttributes?: number } = {}): Packet {
  const packet = decodePacket(buf, dict, opts.maxAttributes !== undefined ? { maxAttributes: opts.maxAttributes } : {});
  let hasMa = false;
  let chap = false;
  let challenge = false;
  for (const a of packet.attributes) {
    if (a.def.vendorId !== 0) continue;
    switch (a.def.type) {
      case Attr.MessageAuthenticator: hasMa = true; break;
      case Attr.UserPassword:
        if (a.value.length < 1 || a.value.length > MAX_PASSWORD_LENGTH) {
          throw new PacketError('bad_user_password', `User-Password of ${a.value.length} octets (RADIUS/1.1 allows 1..128)`);
        }
        break;
      case Attr.ChapPassword: chap = true; break;
      case Attr.ChapChallenge: challenge = true; break;
    }
  }
  if (chap && !challenge) {
    throw new PacketError('chap_without_challenge', 'CHAP-Password without CHAP-Challenge (RADIUS/1.1 has no Request Authenticator to use instead)');
  }
  const attributes = hasMa ? packet.attributes.filter((a) => !(a.def.vendorId === 0 && a.def.type === Attr.MessageAuthenticator)) : packet.attributes;
  return { code: packet.code, identifier: 0, authenticator: packet.authenticator, attributes };
}

/** Arguments of {@link encodeResponse11}. */
export interface EncodeResponse11Input {
  code: number;
  /** The request's Token (echoed). */
  token: number;
  attributes: readonly Avp[];
  proxyState?: readonly Buffer[];
  dictionary?: Dictionary;
  /** Throw ReplyTooLargeError rather than leave out attributes that do not fit (see encodeResponse). */
  allAttributes?: boolean;
}

const NO_SECRET = Buffer.alloc(0);

/** Encodes a RADIUS/1.1 reply: the request's Token, zero reserved fields, plain attributes. */
export function encodeResponse11(o: EncodeResponse11Input): Buffer {
  return encodeResponse({
    code: o.code,
    identifier: 0,
    requestAuthenticator: tokenField(o.token),
    attributes: o.attributes,
    secret: NO_SECRET,
    radius11: true,
    ...(o.allAttributes ? { allAttributes: true } : {}),
    ...(o.proxyState ? { proxyState: o.proxyState } : {}),
    ...(o.dictionary ? { dictionary: o.dictionary } : {}),
  });
}

/** Encodes a RADIUS/1.1 request with the given Token (the client's per-connection counter). */
export function encodeRequest11(o: { code: number; token: number; attributes: readonly Avp[]; dictionary?: Dictionary }): Buffer {
  return encodeRequest({
    code: o.code,
    identifier: 0,
    attributes: o.attributes,
    secret: NO_SECRET,
    authenticator: tokenField(o.token),
    radius11: true,
    ...(o.dictionary ? { dictionary: o.dictionary } : {}),
  }).buffer;
}
