import { md4 } from './md4.js';

/** FreeRADIUS's UCS-2 buffer for NT hashing is 512 bytes (256 UTF-16 units). */
const UCS2_BUFFER = 512;

/**
 * `fr_utf8_to_ucs2` (borrowed by FreeRADIUS from wpa_supplicant): 1-, 2- and 3-byte UTF-8
 * sequences to UTF-16LE, continuation bytes not validated, a 4-byte sequence read as a 3-byte one.
 * Undefined for a truncated sequence at the end or more than 512 output bytes, where
 * FreeRADIUS answers "User-Password is not in UCS2 format".
 */
export function utf8ToUcs2(input: Buffer): Buffer | undefined {
  const out = Buffer.alloc(UCS2_BUFFER);
  let o = 0;
  const inLen = input.length;
  // The C code may read the string's terminating NUL as a third byte.
  const at = (k: number) => (k < inLen ? input[k]! : 0);
  for (let i = 0; i < inLen; i++) {
    const c = input[i]!;
    if (o >= UCS2_BUFFER) return undefined;
    if (c <= 0x7f) {
      out.writeUInt16LE(c, o);
      o += 2;
      continue;
    }
    if (i === inLen - 1 || o >= UCS2_BUFFER - 1) return undefined;
    const c2 = input[++i]!;
    if ((c & 0xe0) === 0xc0) {
      out.writeUInt16LE(((c & 0x1f) << 6) | (c2 & 0x3f), o);
      o += 2;
      continue;
    }
    const c3 = at(++i);
    out.writeUInt16LE((((c & 0x0f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f)) & 0xffff, o);
    o += 2;
  }
  return out.subarray(0, o);
}

/** NT hash: MD4 of the UTF-16LE password; undefined when the password cannot be converted. */
export function ntHash(password: Buffer): Buffer | undefined {
  const ucs2 = utf8ToUcs2(password);
  return ucs2 === undefined ? undefined : md4(ucs2);
}
