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

/**
 * `fr_base64_decode`: standard alphabet only, input length a multiple of 4, `=` padding only in
 * the last group. `outLength` is the caller's buffer size: FreeRADIUS refuses inputs whose
 * worst-case output (`3 * (len / 4) + 2`) would not fit. Returns undefined where FreeRADIUS
 * returns -1.
 */
export function base64DecodeStrict(input: Buffer, outLength = Number.MAX_SAFE_INTEGER): Buffer | undefined {
  let inLen = input.length;
  if (outLength < 3 * Math.floor(inLen / 4) + 2) return undefined;
  const out: number[] = [];
  let i = 0;
  while (inLen >= 2) {
    const a = B64_VALUES[input[i]!]!;
    const b = B64_VALUES[input[i + 1]!]!;
    if (a < 0 || b < 0) break;
    out.push(((a << 2) | (b >> 4)) & 0xff);
    if (inLen === 2) break;
    const c2 = input[i + 2]!;
    if (c2 === EQUALS) {
      if (inLen !== 4 || input[i + 3] !== EQUALS) break;
    } else {
      const c = B64_VALUES[c2]!;
      if (c < 0) break;
      out.push(((b << 4) & 0xf0) | (c >> 2));
      if (inLen === 3) break;
      const c3 = input[i + 3]!;
      if (c3 === EQUALS) {
        if (inLen !== 4) break;
      } else {
        const d = B64_VALUES[c3]!;
        if (d < 0) break;
        out.push(((c << 6) & 0xc0) | d);
      }
    }
    i += 4;
    inLen -= 4;
  }
  if (inLen !== 0) return undefined;
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
