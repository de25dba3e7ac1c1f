import type { Avp } from '../protocol/attribute.js';
import type { AttributeDef } from '../protocol/dictionary.js';
import { formatValue } from '../protocol/values.js';

/**
 * Value comparison of FreeRADIUS 3.2.1 `radius_compare_vps` (src/main/pair.c): the sign of
 * "request value minus check value", with its quirks kept on purpose:
 * - integers, dates and IPv4 addresses subtract as unsigned 32-bit numbers and take the sign of
 *   the wrapped result (so 10.0.0.1 compares greater than 200.0.0.1);
 * - strings compare like strcmp (up to the first NUL), octets by length and then bytes;
 * - tagged attributes compare tags first (an item without a tag matches any tag);
 * - types the C code does not list (ether, ipv4prefix, combo-ip, ...) always compare equal.
 */

/** Same attribute (definitions may be distinct objects for unknown attributes). */
export function sameAttr(a: AttributeDef, b: AttributeDef): boolean {
  return a === b || (a.vendorId === b.vendorId && a.type === b.type);
}

function sign(n: number): number {
  return n > 0 ? 1 : n < 0 ? -1 : 0;
}

function cstrLength(b: Buffer): number {
  const z = b.indexOf(0);
  return z < 0 ? b.length : z;
}

function u32(b: Buffer): number {
  if (b.length === 4) return b.readUInt32BE(0);
  if (b.length === 2) return b.readUInt16BE(0);
  if (b.length === 1) return b[0]!;
  return 0;
}

/**
 * Compares a request (or existing reply) value with a check value of the same attribute:
 * negative, zero or positive. `checkTag` undefined means "any tag".
 */
export function compareValues(def: AttributeDef, value: Buffer, valueTag: number | undefined, check: Buffer, checkTag: number | undefined): number {
  if (def.flags.hasTag && checkTag !== undefined && checkTag !== (valueTag ?? 0)) {
    return sign((valueTag ?? 0) - checkTag);
  }
  switch (def.dataType) {
    case 'octets':
    case 'abinary':
      if (value.length !== check.length) return 1;
      return Buffer.compare(value, check);
    case 'string': {
      const a = value.subarray(0, cstrLength(value));
      const b = check.subarray(0, cstrLength(check));
      return Buffer.compare(a, b);
    }
    case 'byte':
    case 'short':
    case 'integer':
    case 'date':
    case 'ipaddr':
      return sign((u32(value) - u32(check)) | 0);
    case 'integer64': {
      if (value.length !== 8 || check.length !== 8) return 0;
      const a = value.readBigUInt64BE(0);
      const b = check.readBigUInt64BE(0);
      return a < b ? -1 : a > b ? 1 : 0;
    }
    case 'signed':
      if (value.length !== 4 || check.length !== 4) return 0;
      return sign(value.readInt32BE(0) - check.readInt32BE(0));
    case 'ipv6addr':
    case 'ipv6prefix':
    case 'ifid':
      return Buffer.compare(value, check);
    default:
      return 0;
  }
}

/** The text a regular expression is matched against: the value as FreeRADIUS prints it. */
export function regexSubject(avp: Avp): string {
  if (avp.def.dataType === 'string') {
    const v = avp.value;
    return v.subarray(0, Math.min(cstrLength(v), 1023)).toString('utf8');
  }
  return formatValue(avp.def, avp.value);
}
