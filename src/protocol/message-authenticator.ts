/**
 * Message-Authenticator (RFC 2869 section 5.14, RFC 3579 section 3.2): HMAC-MD5 keyed with the
 * shared secret over the whole packet with the attribute's value taken as 16 zero octets.
 * These helpers hash slices of the datagram, so nothing is copied.
 */
import { HmacMd5 } from './md5.js';
import { Attr, HEADER_LENGTH } from './packet.js';

const ZERO16 = Buffer.alloc(16);

/** Offset of the Message-Authenticator VALUE in a well-formed packet, -1 when absent, -2 when repeated. */
export function findMessageAuthenticator(buf: Buffer, length: number): number {
  let found = -1;
  for (let off = HEADER_LENGTH; off + 2 <= length; ) {
    const len = buf[off + 1]!;
    if (len < 2) break;
    if (buf[off] === Attr.MessageAuthenticator && len === 18) {
      if (found !== -1) return -2;
      found = off + 2;
    }
    off += len;
  }
  return found;
}

/**
 * HMAC-MD5(secret, packet) over `buf[0..length)` with the 16 octets at `valueOffset` taken as
 * zeros, and the header authenticator (octets 4..20) replaced by `authenticator` when given
 * (the Request Authenticator for replies, zeros for Accounting/CoA/Disconnect requests),
 * written to `out[0..16)`.
 */
function computeInto(buf: Buffer, length: number, valueOffset: number, secret: Buffer, authenticator: Buffer | undefined, out: Buffer): void {
  const hmac = hmacFor(secret);
  const m = hmac.begin();
  if (authenticator) {
    m.update(buf, 0, 4).update(authenticator).update(buf, HEADER_LENGTH, valueOffset);
  } else {
    m.update(buf, 0, valueOffset);
  }
  m.update(ZERO16).update(buf, valueOffset + 16, length);
  hmac.digestInto(out);
}

/**
 * Fills in the Message-Authenticator of a packet being built, whose value octets at
 * `buf[valueOffset..+16)` are still zeros and whose header already holds the authenticator to
 * sign with: one pass over the packet instead of hashing around the value.
 */
export function signMessageAuthenticator(buf: Buffer, length: number, valueOffset: number, secret: Buffer): void {
  const hmac = hmacFor(secret);
  hmac.begin().update(buf, 0, length);
  hmac.digestInto(buf, valueOffset);
}

/**
 * Whether the Message-Authenticator value at `buf[valueOffset..+16)` is right (see
 * {@link computeInto} for `authenticator`). Constant-time comparison.
 */
export function verifyMessageAuthenticator(
  buf: Buffer,
  length: number,
  valueOffset: number,
  secret: Buffer,
  authenticator?: Buffer,
): boolean {
  computeInto(buf, length, valueOffset, secret, authenticator, scratch);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= scratch[i]! ^ buf[valueOffset + i]!;
  scratch.fill(0);
  return diff === 0;
}

// verifyMessageAuthenticator's MAC (verification is synchronous, so one buffer serves all).
const scratch = Buffer.alloc(16);

// Keyed by the secret Buffer object (a client's secret lives as long as its configuration), so
// the ipad/opad midstates are computed once per client, not once per packet. One copy of the
// secret is kept beside them, only to notice a caller reusing the Buffer for another secret; it
// goes with the entry when the client's configuration is released.
const hmacs = new WeakMap<Buffer, { key: Buffer; hmac: HmacMd5 }>();

function hmacFor(secret: Buffer): HmacMd5 {
  const hit = hmacs.get(secret);
  // The comparison guards against a caller reusing (mutating) one Buffer for another secret.
  if (hit && sameBytes(hit.key, secret)) return hit.hmac;
  const hmac = new HmacMd5(secret);
  hmacs.set(secret, { key: Buffer.from(secret), hmac });
  return hmac;
}

/** Byte equality of two short buffers (a JS loop: cheaper than a native call at secret sizes). */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
