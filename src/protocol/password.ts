/**
 * User-Password hiding (RFC 2865 section 5.2) and Tunnel-Password hiding (RFC 2868 section 3.5),
 * with FreeRADIUS 3.2.1's decoding rules.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Md5 } from './md5.js';

// One reusable MD5 for the per-packet hiding and revealing (synchronous, so never shared mid-use).
const md5 = new Md5();
const digest = Buffer.alloc(16);

const BLOCK = 16;
/** RFC 2865 5.2 (and FreeRADIUS MAX_PASS_LEN): the longest password hidden or revealed. */
export const MAX_PASSWORD_LENGTH = 128;

/**
 * Hides a User-Password: pads `plain` with NULs to a multiple of 16 (an empty password becomes
 * 16 NULs), truncates it to 128 octets, and XORs each block with MD5(secret || previous cipher
 * block), the first keyed on the Request Authenticator. Returns a new buffer of 16..128 octets.
 */
export function hideUserPassword(plain: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  const length = Math.min(MAX_PASSWORD_LENGTH, Math.max(BLOCK, Math.ceil(plain.length / BLOCK) * BLOCK));
  const out = Buffer.alloc(length);
  plain.copy(out, 0, 0, Math.min(plain.length, length));
  for (let off = 0; off < length; off += BLOCK) {
    md5.reset().update(secret);
    if (off === 0) md5.update(authenticator);
    else md5.update(out, off - BLOCK, off);
    md5.digestInto(digest);
    for (let i = 0; i < BLOCK; i++) out[off + i]! ^= digest[i]!;
  }
  digest.fill(0);
  return out;
}

/**
 * Reveals a hidden User-Password as FreeRADIUS 3.2.1 does: only the first 128 octets are decoded
 * (anything after stays as received), a last partial block is XORed with the start of its digest,
 * and trailing NULs are stripped (NULs in the middle are kept). Returns a new buffer.
 */
export function revealUserPassword(hidden: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  const total = hidden.length;
  const length = Math.min(total, MAX_PASSWORD_LENGTH);
  // MD5 input secret || 16 octets, built in one scratch so each block is one update
  const seedLength = secret.length + BLOCK;
  if (seed.length < seedLength) seed = new Uint8Array(seedLength);
  for (let i = 0; i < secret.length; i++) seed[i] = secret[i]!;
  const s = secret.length;
  for (let off = 0; off < length; off += BLOCK) {
    if (off === 0) for (let i = 0; i < BLOCK; i++) seed[s + i] = authenticator[i]!;
    else for (let i = 0; i < BLOCK; i++) seed[s + i] = hidden[off - BLOCK + i]!;
    md5.reset().update(seed, 0, seedLength).digestInto(digest);
    const end = Math.min(off + BLOCK, length);
    for (let i = off; i < end; i++) revealed[i] = hidden[i]! ^ digest[i - off]!;
  }
  seed.fill(0, 0, seedLength);
  digest.fill(0);
  // trailing NULs go, over the whole value (octets past 128 are kept as received)
  let end = total;
  while (end > length && hidden[end - 1] === 0) end--;
  if (end === length) while (end > 0 && revealed[end - 1] === 0) end--;
  const out = Buffer.allocUnsafe(end);
  const head = Math.min(end, length);
  for (let i = 0; i < head; i++) out[i] = revealed[i]!;
  for (let i = length; i < end; i++) out[i] = hidden[i]!;
  revealed.fill(0, 0, length);
  return out;
}

// Scratch of revealUserPassword (synchronous; wiped after each use).
let seed = new Uint8Array(64);
const revealed = new Uint8Array(MAX_PASSWORD_LENGTH);

/**
 * Hides a Tunnel-Password value (RFC 2868 3.5): returns salt(2, top bit set) || cipher, where the
 * plaintext is length-octet || password, padded to 16, chained from MD5(secret || RA || salt).
 * The tag octet, if any, is the caller's. `salt` is random unless given (tests).
 */
export function hideTunnelPassword(plain: Buffer, secret: Buffer, authenticator: Buffer, salt?: Buffer): Buffer {
  const password = plain.subarray(0, Math.min(plain.length, 249));
  const saltBytes = salt ?? randomBytes(2);
  const length = Math.ceil((password.length + 1) / BLOCK) * BLOCK;
  const out = Buffer.alloc(2 + length);
  out[0] = saltBytes[0]! | 0x80;
  out[1] = saltBytes[1]!;
  out[2] = password.length;
  password.copy(out, 3);
  let hash = createHash('md5').update(secret).update(authenticator).update(out.subarray(0, 2));
  for (let off = 2; off < out.length; off += BLOCK) {
    const digest = hash.digest();
    for (let i = 0; i < BLOCK; i++) out[off + i]! ^= digest[i]!;
    hash = createHash('md5').update(secret).update(out.subarray(off, off + BLOCK));
  }
  return out;
}

/**
 * Reveals a Tunnel-Password value (salt || cipher, tag already removed). Returns undefined when
 * the value is malformed (shorter than salt + one block, not whole blocks, or a length octet
 * larger than the data), as FreeRADIUS rejects those.
 */
export function revealTunnelPassword(value: Buffer, secret: Buffer, authenticator: Buffer): Buffer | undefined {
  if (value.length < 2 + BLOCK || (value.length - 2) % BLOCK !== 0) return undefined;
  const out = Buffer.from(value.subarray(2));
  let chain: Buffer = Buffer.concat([authenticator, value.subarray(0, 2)]);
  for (let off = 0; off < out.length; off += BLOCK) {
    const digest = createHash('md5').update(secret).update(chain).digest();
    chain = value.subarray(2 + off, 2 + off + BLOCK);
    for (let i = 0; i < BLOCK; i++) out[off + i]! ^= digest[i]!;
  }
  const length = out[0]!;
  if (length > out.length - 1) return undefined;
  return out.subarray(1, 1 + length);
}
