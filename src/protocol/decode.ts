/**
 * Decoding and verification of received RADIUS packets (RFC 2865, 2866, 2869, 3579, 5080, 5997),
 * with the structural checks of FreeRADIUS 3.2 `rad_packet_ok` / `rad_verify`. Every rejection is
 * a {@link PacketError}: the packet must be dropped silently.
 *
 * Three steps, in this order, so nothing expensive happens for a packet that will be dropped:
 * {@link checkPacket} (one structural pass, no allocation but Proxy-State views),
 * {@link verifyRequest} (authenticators, with the secret), {@link decodeAttributes} (attribute
 * values; hidden ones revealed). {@link decodePacket} is the first and last for callers that
 * verify nothing (replies, tests).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Avp } from './attribute.js';
import { Code } from './codes.js';
import { EXTENDED_VENDOR_BASE, noFlags, type AttributeDef, type Dictionary, type VendorDef } from './dictionary.js';
import { PacketError } from './errors.js';
import { verifyMessageAuthenticator } from './message-authenticator.js';
import { Attr, HEADER_LENGTH, MAX_PACKET_LENGTH, type Packet } from './packet.js';
import { revealTunnelPassword, revealUserPassword } from './password.js';

/** FreeRADIUS `max_attributes` default. */
export const DEFAULT_MAX_ATTRIBUTES = 200;
/** No more than this many attributes of one kind (type) in one packet. */
export const MAX_ATTRIBUTES_OF_ONE_KIND = 255;
/** Codes 1..51 are structurally acceptable; 0 and >= 52 are dropped (rad_packet_ok). */
const MAX_CODE = 52;

/**
 * Reads the header of a datagram. Throws PacketError `too_short` when the datagram is shorter
 * than 20 octets or than its Length field, `bad_length` when Length is outside 20..4096.
 * Octets after Length are padding and ignored.
 */
export function peekHeader(buf: Buffer): PacketHeader {
  if (buf.length < HEADER_LENGTH) {
    throw new PacketError('too_short', `packet is too short (${buf.length} octets, at least 20 needed)`);
  }
  const length = buf.readUInt16BE(2);
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) {
    throw new PacketError('bad_length', `packet length ${length} is outside 20..4096`);
  }
  if (buf.length < length) {
    throw new PacketError('too_short', `received ${buf.length} octets, packet length says ${length}`);
  }
  return { code: buf[0]!, identifier: buf[1]!, length };
}

/** The header fields {@link peekHeader} reads. */
export interface PacketHeader {
  code: number;
  identifier: number;
  /** The Length field (octets after it are padding). */
  length: number;
}

/** Options of {@link checkPacket}. */
export interface CheckOptions {
  /** Drop packets with more attributes than this (FreeRADIUS `max_attributes`, default 200). */
  maxAttributes?: number;
}

/** What the structural pass found: enough to verify the packet and to answer it. */
export interface PacketLayout extends PacketHeader {
  /** Offset of the Message-Authenticator value; -1 when absent, -2 when there is more than one. */
  messageAuthenticator: number;
  /** An EAP-Message is present (Message-Authenticator is then required). */
  hasEap: boolean;
  /** Proxy-State values in order (views into the datagram), for the reply; undefined when none. */
  proxyState: Buffer[] | undefined;
}

/** Options of {@link decodePacket}. */
export interface DecodeOptions extends CheckOptions {
  /**
   * When given (with the request's own authenticator in the header), hidden attributes are
   * revealed: User-Password style (`encrypt=1`) values hold the plaintext, Tunnel-Password style
   * (`encrypt=2`) the password. Otherwise values stay as received.
   */
  secret?: Buffer;
}

// Scratch counters per attribute type; decodePacket is synchronous so one array suffices.
const perType = new Uint16Array(256);

/**
 * Decodes a datagram into a Packet after the structural checks of {@link checkPacket} (throws
 * PacketError), without verifying anything: for replies, and where a caller verifies nothing.
 */
export function decodePacket(buf: Buffer, dict: Dictionary, opts: DecodeOptions = {}): Packet {
  return decodeAttributes(buf, checkPacket(buf, opts), dict, opts.secret);
}

/**
 * The structural pass (FreeRADIUS `fr_radius_ok`; throws PacketError): header
 * ({@link peekHeader}, or the `header` already read); code 1..51; every attribute of type != 0,
 * length >= 2, inside the packet, no leftover octet; Message-Authenticator exactly 18 octets;
 * at most `maxAttributes` attributes and 255 of one type; EAP-Message never with
 * User-/CHAP-/ARAP-Password. Records where Message-Authenticator is, whether EAP-Message is
 * there, and the Proxy-State values.
 */
export function checkPacket(buf: Buffer, opts: CheckOptions = {}, header: PacketHeader = peekHeader(buf)): PacketLayout {
  const { code, identifier, length } = header;
  if (code === 0 || code >= MAX_CODE) throw new PacketError('bad_code', `Invalid packet code ${code}`);
  const maxAttributes = opts.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;

  // In FreeRADIUS's order of checks.
  perType.fill(0);
  let count = 0;
  let messageAuthenticator = -1;
  let proxyState: Buffer[] | undefined;
  for (let off = HEADER_LENGTH; off < length; ) {
    if (off + 2 > length) {
      throw new PacketError('attribute_too_short', 'packet contains a trailing octet after the last attribute');
    }
    const type = buf[off]!;
    const len = buf[off + 1]!;
    if (type === 0) throw new PacketError('attribute_type_zero', 'attribute 0 is invalid');
    if (len < 2) throw new PacketError('attribute_too_short', `attribute ${type} too short`);
    if (off + len > length) throw new PacketError('attribute_overflow', `attribute ${type} data overflows the packet`);
    if (type === Attr.MessageAuthenticator) {
      if (len !== 18) throw new PacketError('bad_message_authenticator_length', `Message-Authenticator has invalid length ${len - 2}`);
      messageAuthenticator = messageAuthenticator === -1 ? off + 2 : -2;
    } else if (type === Attr.ProxyState) {
      (proxyState ??= []).push(buf.subarray(off + 2, off + len));
    }
    if (++count > maxAttributes) {
      throw new PacketError('too_many_attributes', `Possible DoS attack: more than ${maxAttributes} attributes`);
    }
    if (++perType[type]! > MAX_ATTRIBUTES_OF_ONE_KIND) {
      throw new PacketError('too_many_attributes', `more than ${MAX_ATTRIBUTES_OF_ONE_KIND} attributes of type ${type}`);
    }
    off += len;
  }
  if (perType[Attr.EapMessage]! > 0 &&
      (perType[Attr.UserPassword]! > 0 || perType[Attr.ChapPassword]! > 0 || perType[Attr.ArapPassword]! > 0)) {
    throw new PacketError('eap_with_password', 'Packet contains EAP-Message and non-EAP authentication attribute');
  }
  return { code, identifier, length, messageAuthenticator, hasEap: perType[Attr.EapMessage]! > 0, proxyState };
}

/**
 * The attributes of a datagram that passed {@link checkPacket} (and, for a request, should
 * first pass {@link verifyRequest}). With `secret` (and the request's own authenticator in the
 * header) hidden attributes are revealed: User-Password style (`encrypt=1`) values hold the
 * plaintext, Tunnel-Password style (`encrypt=2`) the password.
 * Attribute values are views into `buf` (not copies), except revealed or re-tagged ones.
 * Vendor-Specific attributes become one Avp per sub-attribute; a malformed one is kept whole as
 * a raw `Attr-26` octets Avp, as FreeRADIUS does. Unknown attributes get `Attr-...` definitions.
 */
export function decodeAttributes(buf: Buffer, layout: PacketLayout, dict: Dictionary, secret?: Buffer): Packet {
  const { code, identifier, length } = layout;
  const authenticator = buf.subarray(4, HEADER_LENGTH);
  const attributes: Avp[] = [];
  const raw = rawDefs(dict);
  for (let off = HEADER_LENGTH; off < length; ) {
    const type = buf[off]!;
    const end = off + buf[off + 1]!;
    const value = buf.subarray(off + 2, end);
    off = end;
    if (type === Attr.VendorSpecific) {
      decodeVendorSpecific(value, dict, raw, attributes, authenticator, secret);
      continue;
    }
    if (type >= 241 && type <= 246) {
      attributes.push(decodeExtended(type, value, dict, raw));
      continue;
    }
    const def = dict.standardAttribute(type) ?? raw.get(0, type, `Attr-${type}`);
    if (def.flags.hasTag || def.flags.encrypt !== 0) {
      attributes.push(special(def, value, authenticator, secret));
    } else {
      attributes.push({ def, value });
    }
  }
  return { code, identifier, authenticator, attributes };
}

/** Tags and hidden values (rare attributes, kept off the common path). */
function special(def: AttributeDef, value: Buffer, authenticator: Buffer, secret: Buffer | undefined): Avp {
  let tag: number | undefined;
  let v = value;
  if (def.flags.hasTag) {
    if (def.dataType === 'integer') {
      if (v.length === 4) {
        // The first octet is the tag field; only 0x01..0x1F are tags (RFC 2868 section 3.1).
        if (v[0]! > 0 && v[0]! < 0x20) tag = v[0];
        v = Buffer.from(v);
        v[0] = 0;
      }
    } else if (v.length > 0 && v[0]! < 0x20) {
      // RFC 2868: a first octet 0x00..0x1F is a tag (0 means none); the value follows.
      if (v[0] !== 0) tag = v[0];
      v = v.subarray(1);
    }
  }
  if (secret) {
    if (def.flags.encrypt === 1) v = revealUserPassword(v, secret, authenticator);
    else if (def.flags.encrypt === 2) v = revealTunnelPassword(v, secret, authenticator) ?? v;
  }
  return tag === undefined ? { def, value: v } : { def, value: v, tag };
}

/**
 * Splits one attribute 26 into its sub-attributes (all vendor formats), or keeps it whole as a
 * raw `Attr-26` when the vendor data is malformed for the vendor's format.
 */
function decodeVendorSpecific(
  value: Buffer,
  dict: Dictionary,
  raw: RawDefs,
  out: Avp[],
  authenticator: Buffer,
  secret: Buffer | undefined,
): void {
  if (value.length < 5 || value[0] !== 0) {
    out.push({ def: raw.get(0, Attr.VendorSpecific, 'Attr-26'), value });
    return;
  }
  const vendorId = value.readUInt32BE(0);
  const vendor = dict.vendorById(vendorId) ?? DEFAULT_VENDOR;
  const t = vendor.typeLength;
  const l = vendor.lengthLength;
  const cont = vendor.continuation ? 1 : 0;
  const head = t + l + cont;

  // Validate the whole chain first: a malformed VSA is kept raw, never half-decoded.
  let ok = true;
  for (let off = 4; off < value.length; ) {
    if (off + head > value.length) { ok = false; break; }
    if (t === 4 && value[off] !== 0) { ok = false; break; }
    const subType = readUInt(value, off, t);
    if (subType === 0 && t === 1) { ok = false; break; }
    if (l === 0) break; // no length field: the sub-attribute fills the rest
    const subLen = readUInt(value, off + t, l);
    if (subLen < t + l + cont || off + subLen > value.length) { ok = false; break; }
    off += subLen;
  }
  if (!ok) {
    out.push({ def: raw.get(0, Attr.VendorSpecific, 'Attr-26'), value });
    return;
  }
  for (let off = 4; off < value.length; ) {
    const subType = readUInt(value, off, t);
    const end = l === 0 ? value.length : off + readUInt(value, off + t, l);
    const def = dict.attributeByCode(vendorId, subType) ?? raw.get(vendorId, subType, `Attr-26.${vendorId}.${subType}`);
    const v = value.subarray(off + head, end);
    if (def.flags.hasTag || def.flags.encrypt !== 0) out.push(special(def, v, authenticator, secret));
    else out.push({ def, value: v });
    off = end;
  }
}

/**
 * RFC 6929 extended attributes 241..246: the extended type (and, for Extended-Vendor-Specific,
 * vendor and type) select the definition. Fragmented long-extended values are kept raw.
 */
function decodeExtended(type: number, value: Buffer, dict: Dictionary, raw: RawDefs): Avp {
  const long = type >= 245;
  const head = long ? 2 : 1;
  if (value.length < head || (long && (value[1]! & 0x80) !== 0)) {
    return { def: raw.get(0, type, `Attr-${type}`), value };
  }
  const extType = value[0]!;
  const base = type * EXTENDED_VENDOR_BASE;
  if (extType === 26) {
    if (value.length < head + 5 || value[head] !== 0) return { def: raw.get(0, type, `Attr-${type}`), value };
    const vendorId = value.readUInt32BE(head);
    const evsType = value[head + 4]!;
    const def = dict.attributeByCode(base + vendorId, evsType) ??
      raw.get(base + vendorId, evsType, `Attr-${type}.26.${vendorId}.${evsType}`);
    return { def, value: value.subarray(head + 5) };
  }
  const def = dict.attributeByCode(base, extType) ?? raw.get(base, extType, `Attr-${type}.${extType}`);
  return { def, value: value.subarray(head) };
}

function readUInt(buf: Buffer, off: number, size: number): number {
  switch (size) {
    case 1: return buf[off]!;
    case 2: return buf.readUInt16BE(off);
    default: return buf.readUInt32BE(off);
  }
}

/** FreeRADIUS decodes VSAs of vendors it does not know as format 1,1. */
const DEFAULT_VENDOR: VendorDef = { name: '', id: 0, typeLength: 1, lengthLength: 1, continuation: false };

/** Synthesized octets definitions for attributes a dictionary does not know, created once. */
class RawDefs {
  private readonly defs = new Map<string, AttributeDef>();

  get(vendorId: number, type: number, name: string): AttributeDef {
    let def = this.defs.get(name);
    if (!def) {
      def = { name, vendorId, type, dataType: 'octets', flags: noFlags(), valuesByName: new Map(), namesByValue: new Map() };
      this.defs.set(name, def);
    }
    return def;
  }
}

const rawDefsByDictionary = new WeakMap<Dictionary, RawDefs>();

function rawDefs(dict: Dictionary): RawDefs {
  let raw = rawDefsByDictionary.get(dict);
  if (!raw) {
    raw = new RawDefs();
    rawDefsByDictionary.set(dict, raw);
  }
  return raw;
}

/** Options of {@link verifyRequest}. */
export interface VerifyOptions {
  /** Drop Access-Requests without Message-Authenticator (client `require_message_authenticator`). */
  requireMessageAuthenticator?: boolean;
}

/**
 * Verifies a request that passed {@link checkPacket} against the client's secret, over the
 * datagram as received, before any attribute is decoded (throws PacketError):
 * - Message-Authenticator, when present, must be the HMAC-MD5 of the packet with its value
 *   zeroed (`bad_message_authenticator`); for Accounting/CoA/Disconnect requests the header
 *   authenticator counts as zeros. It is required (`missing_message_authenticator`) for
 *   Status-Server, for any packet with EAP-Message, and when `requireMessageAuthenticator`.
 * - Accounting-Request, CoA-Request and Disconnect-Request must carry the Request
 *   Authenticator MD5(Code+ID+Length+16 zeros+Attributes+Secret) (`bad_request_authenticator`).
 * All comparisons are constant-time.
 */
export function verifyRequest(
  buf: Buffer,
  layout: PacketLayout,
  secret: Buffer,
  opts: VerifyOptions = {},
): { hadMessageAuthenticator: boolean } {
  const { code, length, messageAuthenticator: maOffset } = layout;
  const zeroAuthenticator = code === Code.AccountingRequest || code === Code.CoARequest || code === Code.DisconnectRequest;

  if (maOffset === -2) throw new PacketError('bad_message_authenticator', 'more than one Message-Authenticator');
  if (maOffset === -1) {
    if (code === Code.StatusServer || layout.hasEap || opts.requireMessageAuthenticator) {
      throw new PacketError(
        'missing_message_authenticator',
        'Insecure packet: Packet does not contain required Message-Authenticator attribute',
      );
    }
  } else {
    if (!verifyMessageAuthenticator(buf, length, maOffset, secret, zeroAuthenticator ? ZERO_AUTH : undefined)) {
      throw new PacketError('bad_message_authenticator', 'invalid Message-Authenticator!  (Shared secret is incorrect.)');
    }
  }

  if (zeroAuthenticator) {
    const expected = createHash('md5')
      .update(buf.subarray(0, 4)).update(ZERO_AUTH).update(buf.subarray(HEADER_LENGTH, length)).update(secret)
      .digest();
    if (!timingSafeEqual(expected, buf.subarray(4, HEADER_LENGTH))) {
      throw new PacketError('bad_request_authenticator', 'invalid Request Authenticator!  (Shared secret is incorrect.)');
    }
  }
  return { hadMessageAuthenticator: maOffset >= 0 };
}

const ZERO_AUTH = Buffer.alloc(16);
