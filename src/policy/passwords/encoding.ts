/**
 * Decoders with FreeRADIUS 3.2's exact acceptance rules (src/lib/base64.c `fr_base64_decode`,
 * src/lib/misc.c `fr_hex2bin`). They are stricter or looser than Node's in ways that decide
 * whether a stored hash is read as hex, base64 or raw bytes, so Node's decoders are not used.
 */

const B64_VALUES: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

const EQUALS = 0x3d;

function isBase64(c: number | undefined): boolean {
  return c !== undefined && B64_VALUES[c]! >= 0;
}

/**
 * `fr_base64_decode` as in FreeRADIUS 3.2.1 (measured): standard alphabet; padding optional
 * and any number of trailing `=` accepted; a final group of 2 or 3 characters decodes to 1 or 2
 * bytes, a lone character is an error; anything but `=` after the data is an error.
 * `outLength` is the caller's buffer size; a full 3-byte group needs MORE than 3 bytes of room
 * (FreeRADIUS's off-by-one), a partial group exactly its size. Returns undefined where
 * FreeRADIUS returns an error.
 */
export function base64DecodeFreeRadius(input: Buffer, outLength = Number.MAX_SAFE_INTEGER): Buffer | undefined {
  const out: number[] = [];
  const end = input.length;
  let p = 0;
  while (end - p >= 4) {
    if (!isBase64(input[p]) || !isBase64(input[p + 1]) || !isBase64(input[p + 2]) || !isBase64(input[p + 3])) break;
    if (outLength - out.length <= 3) return undefined;
    const a = B64_VALUES[input[p]!]!, b = B64_VALUES[input[p + 1]!]!;
    const c = B64_VALUES[input[p + 2]!]!, d = B64_VALUES[input[p + 3]!]!;
    out.push(((a << 2) | (b >> 4)) & 0xff, ((b << 4) & 0xf0) | (c >> 2), ((c << 6) & 0xc0) | d);
    p += 4;
  }
  let q = p;
  while (q < end && isBase64(input[q])) q++;
  const tail = q - p;
  if (tail === 2 || tail === 3) {
    if (outLength - out.length < tail - 1) return undefined;
    const a = B64_VALUES[input[p]!]!, b = B64_VALUES[input[p + 1]!]!;
    out.push(((a << 2) | (b >> 4)) & 0xff);
    if (tail === 3) out.push(((b << 4) & 0xf0) | (B64_VALUES[input[p + 2]!]! >> 2));
    p += tail;
  } else if (tail !== 0) {
    return undefined;
  }
  for (; p < end; p++) if (input[p] !== EQUALS) return undefined;
  return Buffer.from(out);
}

function hexNibble(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/**
 * `fr_hex2bin`: decodes hex pairs (either case) from the start of `input` until the first
 * non-hex pair or `outLength` bytes. The caller checks the length it got, as FreeRADIUS does.
 */
export function hexDecodePrefix(input: Buffer, outLength = Number.MAX_SAFE_INTEGER): Buffer {
  const len = Math.min(input.length >> 1, outLength);
  const out = Buffer.alloc(len);
  let i = 0;
  for (; i < len; i++) {
    const hi = hexNibble(input[i << 1]!);
    const lo = hexNibble(input[(i << 1) + 1]!);
    if (hi < 0 || lo < 0) break;
    out[i] = (hi << 4) | lo;
  }
  return out.subarray(0, i);
}

/** The bytes a C string function would see: everything before the first NUL. */
export function cString(value: Buffer): Buffer {
  const nul = value.indexOf(0);
  return nul < 0 ? value : value.subarray(0, nul);
}
