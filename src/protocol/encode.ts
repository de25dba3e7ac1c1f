/**
 * Encoding of RADIUS packets: responses (Response Authenticator, Message-Authenticator first,
 * RFC 3579 3.2 order), requests (hidden User-Password, Accounting/CoA Request Authenticator),
 * and the client-side check of a response.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Avp } from './attribute.js';
import { Code } from './codes.js';
import { EXTENDED_VENDOR_BASE, type AttributeDef, type Dictionary, type VendorDef } from './dictionary.js';
import { findMessageAuthenticator, signMessageAuthenticator, verifyMessageAuthenticator } from './message-authenticator.js';
import { Md5 } from './md5.js';
import { Attr, HEADER_LENGTH, MAX_PACKET_LENGTH } from './packet.js';
import { hideTunnelPassword, hideUserPassword } from './password.js';

const ZERO16 = Buffer.alloc(16);
const MA_LENGTH = 18;

/** Arguments of {@link encodeResponse}. */
export interface EncodeResponseInput {
  code: number;
  identifier: number;
  /** The Request Authenticator of the request being answered. */
  requestAuthenticator: Buffer;
  attributes: readonly Avp[];
  secret: Buffer;
  /** Add Message-Authenticator as the first attribute (default true). */
  messageAuthenticator?: boolean;
  /**
   * Proxy-State values of the request, echoed unchanged after the attributes, in order, as many
   * as fit in 4096 octets (FreeRADIUS 3.2 stops at the first one that does not fit).
   */
  proxyState?: readonly Buffer[];
  /**
   * Throw {@link ReplyTooLargeError} instead of leaving attributes out when they do not all fit
   * (an Access-Accept must not go out without some of its reply attributes).
   */
  allAttributes?: boolean;
  /**
   * Vendor formats for VSAs when a definition lacks `vendor` (the loader always sets it).
   * Otherwise vendors use format 1,1 except the FreeRADIUS defaults (USR 4,0, Lucent 2,1,
   * Starent 2,2). Each vendor attribute gets its own attribute 26.
   */
  dictionary?: Dictionary;
  /**
   * RADIUS/1.1 (RFC 9765): `requestAuthenticator` is the request's Token + 12 zero octets and is
   * copied as it is; no Message-Authenticator, no Response Authenticator, nothing hidden with MD5.
   */
  radius11?: boolean;
}

/** The reply attributes do not all fit in 4096 octets (only with `allAttributes`). */
export class ReplyTooLargeError extends Error {
  constructor(
    /** Name of the first attribute that did not fit. */
    readonly attribute: string,
    /** Octets the reply would need without Proxy-State. */
    readonly needed: number,
  ) {
    super(`reply attributes need ${needed} octets, more than the 4096 of a RADIUS packet (${attribute} and later do not fit)`);
    this.name = 'ReplyTooLargeError';
  }
}

/**
 * Encodes a reply: header, Message-Authenticator FIRST (unless disabled), the attributes in
 * order, then the Proxy-State copies. Internal attributes (vendor 0, type > 255), virtual ones and
 * any Message-Authenticator/Proxy-State in `attributes` are skipped; zero-length values are
 * skipped (except Chargeable-User-Identity); strings and octets are truncated to the room in
 * their attribute. The packet never exceeds 4096 octets: as in FreeRADIUS 3.2 (rad_encode) the
 * attributes come first and encoding stops at the first one that does not fit, then Proxy-State
 * likewise; with `allAttributes` a reply attribute that does not fit throws ReplyTooLargeError.
 * Message-Authenticator is computed with the Request Authenticator in the header and then the
 * Response Authenticator MD5(Code+ID+Length+RequestAuth+Attributes+Secret) over the result.
 */
export function encodeResponse(o: EncodeResponseInput): Buffer {
  const plain = o.radius11 === true;
  const withMa = o.messageAuthenticator !== false && !plain;
  const proxyState = o.proxyState ?? NO_PROXY_STATE;
  const attributes = o.attributes;
  const sizes = planSizes(attributes, o.dictionary, plain);
  let length = HEADER_LENGTH + (withMa ? MA_LENGTH : 0);
  let last = 0;
  for (; last < attributes.length; last++) {
    if (length + sizes[last]! > MAX_PACKET_LENGTH) break;
    length += sizes[last]!;
  }
  if (last < attributes.length && o.allAttributes) {
    let needed = length;
    for (let i = last; i < attributes.length; i++) needed += sizes[i]!;
    throw new ReplyTooLargeError(attributes[last]!.def.name, needed);
  }
  let echoed = 0;
  for (; echoed < proxyState.length; echoed++) {
    const n = 2 + Math.min(proxyState[echoed]!.length, 253);
    if (length + n > MAX_PACKET_LENGTH) break;
    length += n;
  }

  const buf = Buffer.allocUnsafe(length);
  let off = writeHeader(buf, o.code, o.identifier, length, o.requestAuthenticator, withMa);
  off = writeAttributes(buf, off, attributes, sizes, last, o.dictionary, plain ? undefined : o.secret, o.requestAuthenticator);
  for (let i = 0; i < echoed; i++) {
    const ps = proxyState[i]!;
    const n = Math.min(ps.length, 253);
    buf[off] = Attr.ProxyState;
    buf[off + 1] = n + 2;
    ps.copy(buf, off + 2, 0, n);
    off += n + 2;
  }
  if (plain) {
    buf[1] = 0; // Reserved-1
    return buf;
  }

  if (withMa) signMessageAuthenticator(buf, length, HEADER_LENGTH + 2, o.secret);
  // Response Authenticator: MD5 over the packet (Request Authenticator in the header) + secret;
  // the digest is written after the whole input was absorbed, so it may land in the header.
  responseMd5.reset().update(buf, 0, length).update(o.secret).digestInto(buf, 4);
  return buf;
}

const NO_PROXY_STATE: readonly Buffer[] = [];
// One reusable MD5 for Response Authenticators (encoding is synchronous, so never shared mid-use;
// digestInto wipes the block buffer, so the secret does not linger).
const responseMd5 = new Md5();

/** Arguments of {@link encodeRequest}. */
export interface EncodeRequestInput {
  code: number;
  identifier: number;
  attributes: readonly Avp[];
  secret: Buffer;
  /** Request Authenticator for Access-Request/Status-Server (random when omitted). */
  authenticator?: Buffer;
  /**
   * Add Message-Authenticator as the first attribute. Default: true for Access-Request and
   * Status-Server, false otherwise.
   */
  messageAuthenticator?: boolean;
  /** Vendor formats for VSAs (see {@link EncodeResponseInput.dictionary}). */
  dictionary?: Dictionary;
  /**
   * RADIUS/1.1 (RFC 9765): `authenticator` is the Token + 12 zero octets, copied as it is;
   * Reserved-1 (the Identifier) is 0, no Message-Authenticator, nothing hidden, nothing signed.
   */
  radius11?: boolean;
}

/**
 * Encodes a request. Access-Request and Status-Server get the given (or a random) Request
 * Authenticator and User-Password style attributes are hidden with it; Accounting-Request,
 * CoA-Request and Disconnect-Request get the computed authenticator
 * MD5(Code+ID+Length+16 zeros+Attributes+Secret) (Message-Authenticator, if any, computed
 * first with a zero authenticator). Returns the datagram and the authenticator it carries.
 */
export function encodeRequest(o: EncodeRequestInput): { buffer: Buffer; authenticator: Buffer } {
  if (o.radius11) return encodeRequest11(o);
  const computed = o.code === Code.AccountingRequest || o.code === Code.CoARequest || o.code === Code.DisconnectRequest;
  const withMa = o.messageAuthenticator ?? (o.code === Code.AccessRequest || o.code === Code.StatusServer);
  const authenticator = computed ? ZERO16 : (o.authenticator ?? randomBytes(16));
  const attributes = o.attributes;
  const sizes = planSizes(attributes, o.dictionary);
  let length = HEADER_LENGTH + (withMa ? MA_LENGTH : 0);
  for (let i = 0; i < attributes.length; i++) length += sizes[i]!;
  if (length > MAX_PACKET_LENGTH) throw new RangeError(`request would be ${length} octets (more than 4096)`);

  const buf = Buffer.allocUnsafe(length);
  const off = writeHeader(buf, o.code, o.identifier, length, authenticator, withMa);
  writeAttributes(buf, off, attributes, sizes, attributes.length, o.dictionary, o.secret, authenticator);
  if (withMa) signMessageAuthenticator(buf, length, HEADER_LENGTH + 2, o.secret);
  if (computed) {
    const digest = createHash('md5').update(buf).update(o.secret).digest();
    digest.copy(buf, 4);
    return { buffer: buf, authenticator: digest };
  }
  return { buffer: buf, authenticator: Buffer.from(authenticator) };
}

function encodeRequest11(o: EncodeRequestInput): { buffer: Buffer; authenticator: Buffer } {
  if (o.authenticator?.length !== 16) throw new RangeError('a RADIUS/1.1 request needs its Token + 12 zero octets as authenticator');
  const attributes = o.attributes;
  const sizes = planSizes(attributes, o.dictionary, true);
  let length = HEADER_LENGTH;
  for (let i = 0; i < attributes.length; i++) length += sizes[i]!;
  if (length > MAX_PACKET_LENGTH) throw new RangeError(`request would be ${length} octets (more than 4096)`);
  const buf = Buffer.allocUnsafe(length);
  const off = writeHeader(buf, o.code, 0, length, o.authenticator, false);
  writeAttributes(buf, off, attributes, sizes, attributes.length, o.dictionary, undefined, o.authenticator);
  return { buffer: buf, authenticator: Buffer.from(o.authenticator) };
}

/**
 * True when `reply` is a well-formed response to a request with `requestAuthenticator`: its
 * Response Authenticator matches (MD5 over the reply with the Request Authenticator in the
 * header, then the secret) and, if it carries a Message-Authenticator, that verifies too.
 * Constant-time comparisons.
 */
export function isAuthenticResponse(reply: Buffer, requestAuthenticator: Buffer, secret: Buffer): boolean {
  if (reply.length < HEADER_LENGTH) return false;
  const length = reply.readUInt16BE(2);
  if (length < HEADER_LENGTH || length > reply.length || length > MAX_PACKET_LENGTH) return false;
  const expected = createHash('md5')
    .update(reply.subarray(0, 4)).update(requestAuthenticator).update(reply.subarray(HEADER_LENGTH, length))
    .update(secret).digest();
  if (!timingSafeEqual(expected, reply.subarray(4, HEADER_LENGTH))) return false;
  const ma = findMessageAuthenticator(reply, length);
  if (ma === -2) return false;
  if (ma >= 0) {
    if (!verifyMessageAuthenticator(reply, length, ma, secret, requestAuthenticator)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

const DEFAULT_FORMATS: ReadonlyMap<number, VendorDef> = new Map([
  [429, { name: 'USR', id: 429, typeLength: 4, lengthLength: 0, continuation: false }],
  [4846, { name: 'Lucent', id: 4846, typeLength: 2, lengthLength: 1, continuation: false }],
  [8164, { name: 'Starent', id: 8164, typeLength: 2, lengthLength: 2, continuation: false }],
] as [number, VendorDef][]);

function vendorFormat(def: AttributeDef, dict: Dictionary | undefined): VendorDef {
  const vendorId = def.vendorId;
  return def.vendor ?? dict?.vendorById(vendorId) ?? DEFAULT_FORMATS.get(vendorId) ??
    { name: '', id: vendorId, typeLength: 1, lengthLength: 1, continuation: false };
}

/**
 * Writes `attributes[0..count)` that go on the wire (`sizes[i]` > 0) from `off`; returns the end.
 * Without a secret (RADIUS/1.1) hidden attributes are written as their plain values.
 */
function writeAttributes(
  buf: Buffer, off: number, attributes: readonly Avp[], sizes: Uint16Array, count: number,
  dict: Dictionary | undefined, secret: Buffer | undefined, authenticator: Buffer,
): number {
  for (let i = 0; i < count; i++) {
    if (sizes[i] === 0) continue;
    const avp = attributes[i]!;
    off = writeAttribute(buf, off, avp, vendorOf(avp.def, dict), secret, authenticator);
  }
  return off;
}

/** Vendor format of a VSA definition; undefined for standard and extended attributes. */
function vendorOf(def: AttributeDef, dict: Dictionary | undefined): VendorDef | undefined {
  return def.vendorId !== 0 && def.vendorId < EXTENDED_VENDOR_BASE ? vendorFormat(def, dict) : undefined;
}

// Scratch for planSizes (encoding is synchronous; grown when a list is longer).
let sizeScratch = new Uint16Array(64);

/**
 * The encoded size (header included, values truncated) of each attribute, 0 for those that do
 * not go on the wire. The returned array is reused by the next call.
 */
function planSizes(attributes: readonly Avp[], dict: Dictionary | undefined, plain = false): Uint16Array {
  if (attributes.length > sizeScratch.length) sizeScratch = new Uint16Array(attributes.length * 2);
  const sizes = sizeScratch;
  for (let i = 0; i < attributes.length; i++) sizes[i] = encodedSize(attributes[i]!, dict, plain);
  return sizes;
}

function encodedSize(avp: Avp, dict: Dictionary | undefined, plain: boolean): number {
  const def = avp.def;
  const vendorId = def.vendorId;
  if (vendorId === 0) {
    const type = def.type;
    if (type > 255 || type === 0 || def.flags.virtual) return 0;
    if (type === Attr.MessageAuthenticator) return 0; // only ever the one computed here
    if (type === Attr.VendorSpecific && def.dataType === 'vsa') return 0;
    const room = 253 - tagOctets(avp);
    const n = valueSize(avp, def, room, plain);
    if (n === 0 && type !== Attr.ChargeableUserIdentity) return 0;
    return 2 + tagOctets(avp) + n;
  }
  if (vendorId < EXTENDED_VENDOR_BASE) {
    const vendor = vendorFormat(def, dict);
    const maxType = vendor.typeLength === 1 ? 0xff : vendor.typeLength === 2 ? 0xffff : 0xff_ffff;
    if (def.type > maxType || def.type === 0) return 0; // TLV children are not encoded alone
    const head = 2 + 4 + vendor.typeLength + vendor.lengthLength + (vendor.continuation ? 1 : 0);
    const n = valueSize(avp, def, 255 - head - tagOctets(avp), plain);
    return n === 0 ? 0 : head + tagOctets(avp) + n;
  }
  if (def.type > 255) return 0;
  const container = Math.floor(vendorId / EXTENDED_VENDOR_BASE);
  const evs = vendorId % EXTENDED_VENDOR_BASE !== 0;
  const head = 3 + (container >= 245 ? 1 : 0) + (evs ? 5 : 0);
  const n = valueSize(avp, def, 255 - head, plain);
  return n === 0 ? 0 : head + n;
}

function tagOctets(avp: Avp): number {
  // Strings carry the tag as an extra first octet; integers put it in their top octet.
  return avp.def.flags.hasTag && avp.def.dataType !== 'integer' && (avp.tag !== undefined || startsLikeTag(avp)) ? 1 : 0;
}

/** An untagged value starting with 0x00..0x1F would be misread as tagged, so it gets tag 0. */
function startsLikeTag(avp: Avp): boolean {
  return avp.def.flags.encrypt === 2 || (avp.value.length > 0 && avp.value[0]! < 0x20);
}

/** Wire size of the value after hiding (unless `plain`) and truncation to `room`. */
function valueSize(avp: Avp, def: AttributeDef, room: number, plain: boolean): number {
  const n = avp.value.length;
  if (plain) return Math.min(n, def.flags.encrypt === 1 ? 128 : room, room);
  if (def.flags.encrypt === 1) return Math.min(room, Math.min(128, Math.max(16, Math.ceil(n / 16) * 16)));
  if (def.flags.encrypt === 2) return Math.min(room, 2 + Math.ceil((Math.min(n, 249) + 1) / 16) * 16);
  return Math.min(n, room);
}

function writeAttribute(
  buf: Buffer,
  off: number,
  avp: Avp,
  vendor: VendorDef | undefined,
  secret: Buffer | undefined,
  authenticator: Buffer,
): number {
  const def = avp.def;
  const vendorId = def.vendorId;
  const start = off;
  let valueRoom: number;
  if (vendorId === 0) {
    buf[off] = def.type;
    off += 2;
    valueRoom = 253;
  } else if (vendor) {
    buf[off] = Attr.VendorSpecific;
    buf.writeUInt32BE(vendorId, off + 2);
    off += 6;
    const subStart = off;
    writeUInt(buf, off, vendor.typeLength, def.type);
    off += vendor.typeLength + vendor.lengthLength;
    if (vendor.continuation) buf[off++] = 0;
    valueRoom = 255 - (off - start);
    off = writeValue(buf, off, avp, valueRoom, secret, authenticator);
    if (vendor.lengthLength > 0) writeUInt(buf, subStart + vendor.typeLength, vendor.lengthLength, off - subStart);
    buf[start + 1] = off - start;
    return off;
  } else {
    const container = Math.floor(vendorId / EXTENDED_VENDOR_BASE);
    const evsVendor = vendorId % EXTENDED_VENDOR_BASE;
    buf[off] = container;
    off += 2;
    if (evsVendor !== 0) {
      buf[off++] = 26;
      if (container >= 245) buf[off++] = 0;
      buf.writeUInt32BE(evsVendor, off);
      off += 4;
      buf[off++] = def.type;
    } else {
      buf[off++] = def.type;
      if (container >= 245) buf[off++] = 0;
    }
    valueRoom = 255 - (off - start);
  }
  off = writeValue(buf, off, avp, valueRoom, secret, authenticator);
  buf[start + 1] = off - start;
  return off;
}

function writeValue(buf: Buffer, off: number, avp: Avp, room: number, secret: Buffer | undefined, authenticator: Buffer): number {
  const def = avp.def;
  let value = avp.value;
  if (def.flags.hasTag && def.dataType !== 'integer' && (avp.tag !== undefined || startsLikeTag(avp))) {
    buf[off++] = avp.tag ?? 0;
    room--;
  }
  if (secret !== undefined) {
    if (def.flags.encrypt === 1) value = hideUserPassword(value, secret, authenticator);
    else if (def.flags.encrypt === 2) value = hideTunnelPassword(value, secret, authenticator);
  }
  const n = Math.min(value.length, room);
  copyBytes(value, buf, off, n);
  if (def.flags.hasTag && def.dataType === 'integer' && n === 4 && avp.tag !== undefined) buf[off] = avp.tag;
  return off + n;
}

function writeUInt(buf: Buffer, off: number, size: number, value: number): void {
  if (size === 1) buf[off] = value;
  else if (size === 2) buf.writeUInt16BE(value, off);
  else buf.writeUInt32BE(value, off);
}

/**
 * Writes the 20-octet header and, when `withMa`, a zeroed Message-Authenticator right after it
 * (filled in once the packet is complete); returns the offset of the next attribute.
 */
function writeHeader(buf: Buffer, code: number, identifier: number, length: number, authenticator: Buffer, withMa: boolean): number {
  buf[0] = code;
  buf[1] = identifier;
  buf.writeUInt16BE(length, 2);
  copyBytes(authenticator, buf, 4, 16);
  if (!withMa) return HEADER_LENGTH;
  buf[HEADER_LENGTH] = Attr.MessageAuthenticator;
  buf[HEADER_LENGTH + 1] = MA_LENGTH;
  for (let i = HEADER_LENGTH + 2; i < HEADER_LENGTH + MA_LENGTH; i++) buf[i] = 0;
  return HEADER_LENGTH + MA_LENGTH;
}

/**
 * `src[0..n)` to `dst[at..)`. Attribute values are short: a loop is cheaper than Buffer#copy's
 * argument checks and native call; long ones still go through copy.
 */
function copyBytes(src: Buffer, dst: Buffer, at: number, n: number): void {
  if (n > 64) {
    src.copy(dst, at, 0, n);
    return;
  }
  for (let i = 0; i < n; i++) dst[at + i] = src[i]!;
}
