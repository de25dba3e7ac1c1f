import type { AttributeDef, Dictionary } from './dictionary.js';
import { noFlags } from './dictionary.js';
import { formatIpv6, ipv6ToBytes } from './ip-address.js';

/**
 * Attribute values between their text form (users files, radclient input, traces) and their wire
 * form (`Avp.value`), following FreeRADIUS 3.2.1 `value_data_from_str` / `vp_prints_value`.
 *
 * Differences from FreeRADIUS, on purpose:
 * - Host names are never resolved (FreeRADIUS resolves them once when the file loads). A name
 *   where an address is expected is an error that says so: a users file should not depend on DNS.
 * - `abinary` (Ascend filters) is not supported and says so.
 * - Dates are parsed and printed in UTC (FreeRADIUS uses the server's local time zone).
 */

/** The quote a value was written with. In 3.2.1 the conversion does not depend on it (see parseValue). */
export type ValueQuote = '"' | "'" | '`' | '';

/** A value that cannot be converted; the message is FreeRADIUS's wording where it has one. */
export class ValueError extends Error {}

/**
 * Converts the text of a value (quotes already removed by the lexer, `\<quote>` already turned
 * into the quote) to its wire form for `def`. FreeRADIUS 3.2.1 applies the double-quote escape
 * rules here whatever the original quoting was (`fr_pair_value_from_str` passes `'"'`), so
 * `quote` only documents the origin. Throws ValueError with FreeRADIUS's message, e.g.
 * `Unknown or invalid value "abc" for attribute Session-Timeout`.
 */
export function parseValue(def: AttributeDef, text: string, _quote: ValueQuote = '"'): Buffer {
  switch (def.dataType) {
    case 'string':
      return unescapeString(Buffer.from(text, 'utf8'));
    case 'octets':
      return parseOctets(text);
    case 'ipaddr':
      return parseIpv4Address(text);
    case 'ipv4prefix':
      return parseIpv4Prefix(text);
    case 'ipv6addr':
      return parseIpv6Address(text);
    case 'ipv6prefix':
      return parseIpv6Prefix(text);
    case 'integer':
    case 'byte':
    case 'short':
      return parseUnsigned(def, text);
    case 'integer64':
      return parseInteger64(text);
    case 'signed':
      return parseSigned(text);
    case 'date':
      return parseDate(text);
    case 'ifid':
      return parseIfid(text);
    case 'ether':
      return parseEther(text);
    case 'combo-ip':
      return parseComboIp(text);
    case 'abinary':
      throw new ValueError(`Ascend binary filters (type abinary) are not supported by vutlan-radius, attribute ${def.name}`);
    case 'vsa':
      throw new ValueError("Must use 'Attr-26 = ...' instead of 'Vendor-Specific = ...'");
    default:
      throw new ValueError(`Attributes of type ${def.dataType} cannot be given a value (attribute ${def.name})`);
  }
}

/**
 * The FreeRADIUS print form of a wire value: VALUE names for integers that have one, dotted
 * quads, `0x..` for octets, the plain text of strings (quoting and escaping are the caller's
 * choice). Malformed wire values (wrong length) print as `0x..`.
 */
export function formatValue(def: AttributeDef, value: Buffer): string {
  switch (def.dataType) {
    case 'string':
      return value.toString('utf8');
    case 'ipaddr':
      if (value.length !== 4) break;
      return `${value[0]}.${value[1]}.${value[2]}.${value[3]}`;
    case 'combo-ip':
      if (value.length === 4) return `${value[0]}.${value[1]}.${value[2]}.${value[3]}`;
      if (value.length === 16) return formatIpv6(value);
      break;
    case 'ipv6addr':
      if (value.length !== 16) break;
      return formatIpv6(value);
    case 'ipv4prefix':
      if (value.length !== 6) break;
      return `${value[2]}.${value[3]}.${value[4]}.${value[5]}/${value[1]}`;
    case 'ipv6prefix': {
      if (value.length < 2 || value.length > 18) break;
      const addr = Buffer.alloc(16);
      value.copy(addr, 0, 2);
      return `${formatIpv6(addr)}/${value[1]}`;
    }
    case 'integer':
    case 'byte':
    case 'short': {
      const n = readUnsigned(def, value);
      if (n === undefined) break;
      return def.namesByValue.get(n) ?? String(n);
    }
    case 'integer64':
      if (value.length !== 8) break;
      return value.readBigUInt64BE(0).toString();
    case 'signed':
      if (value.length !== 4) break;
      return String(value.readInt32BE(0));
    case 'date':
      if (value.length !== 4) break;
      return formatDate(value.readUInt32BE(0));
    case 'ether':
      if (value.length !== 6) break;
      return [...value].map((b) => b.toString(16).padStart(2, '0')).join(':');
    case 'ifid':
      if (value.length !== 8) break;
      return [0, 2, 4, 6].map((i) => value.readUInt16BE(i).toString(16).padStart(4, '0')).join(':');
    default:
      break;
  }
  return `0x${value.toString('hex')}`;
}

/** The number held by an integer/byte/short wire value, or undefined when the length is wrong. */
export function readUnsigned(def: AttributeDef, value: Buffer): number | undefined {
  if (def.dataType === 'byte') return value.length === 1 ? value[0] : undefined;
  if (def.dataType === 'short') return value.length === 2 ? value.readUInt16BE(0) : undefined;
  return value.length === 4 ? value.readUInt32BE(0) : undefined;
}

// ---------------------------------------------------------------------------------------------
// string

/**
 * The double-quote escape rules of `value_data_from_str` (3.2.1): `\n \r \t \\ \"`, `\ooo` (three
 * digits; octal as far as `%3o` reads), any other `\X` kept as written; a lone `\` at the end is
 * an error. Works on bytes so `\377` yields the octet 0xff.
 */
export function unescapeString(src: Buffer): Buffer {
  if (src.indexOf(0x5c) < 0) return src;
  const out = Buffer.allocUnsafe(src.length);
  let o = 0;
  for (let i = 0; i < src.length; ) {
    let c = src[i++]!;
    if (c === 0x5c) {
      if (i >= src.length) throw new ValueError('Invalid escape at end of string');
      const n = src[i]!;
      if (n === 0x72) { c = 0x0d; i++; }
      else if (n === 0x6e) { c = 0x0a; i++; }
      else if (n === 0x74) { c = 0x09; i++; }
      else if (n === 0x5c) { c = 0x5c; i++; }
      else if (n === 0x22) { c = 0x22; i++; }
      else if (isDigitByte(src[i]) && isDigitByte(src[i + 1]) && isDigitByte(src[i + 2]) && src[i]! <= 0x37) {
        // sscanf("%3o") reads the octal prefix of the three digits; all three are consumed.
        let x = 0;
        for (let k = 0; k < 3 && src[i + k]! <= 0x37; k++) x = x * 8 + (src[i + k]! - 0x30);
        c = x & 0xff;
        i += 3;
      }
      // else: unknown escape, the backslash itself is kept and the next byte copied normally.
    }
    out[o++] = c;
  }
  return out.subarray(0, o);
}

function isDigitByte(b: number | undefined): boolean {
  return b !== undefined && b >= 0x30 && b <= 0x39;
}

// ---------------------------------------------------------------------------------------------
// octets

function parseOctets(text: string): Buffer {
  if (text.length < 2 || (text[0] !== '0') || (text[1] !== 'x' && text[1] !== 'X')) return Buffer.from(text, 'utf8');
  return parseHexDigits(text.slice(2));
}

/** Hex digits (no prefix) to bytes; FreeRADIUS's messages for odd length and bad digits. */
export function parseHexDigits(hex: string): Buffer {
  if (hex.length % 2 !== 0) throw new ValueError(`Length of Hex String is not even, got ${hex.length} bytes`);
  if (!/^[0-9a-fA-F]*$/.test(hex)) throw new ValueError('Invalid hex data');
  return Buffer.from(hex, 'hex');
}

// ---------------------------------------------------------------------------------------------
// integers

/** strtoul: optional space and sign, then "0x" hex (fr_strtoul) or decimal; returns the rest. */
function strtoul(text: string): { value: bigint; rest: string } {
  let i = 0;
  while (i < text.length && /\s/.test(text[i]!)) i++;
  let negative = false;
  if (text[i] === '+' || text[i] === '-') { negative = text[i] === '-'; i++; }
  let value = 0n;
  let start = i;
  if (text.slice(0, 2) === '0x') {
    // fr_strtoul only switches to base 16 when the text itself starts with "0x".
    i = 2; start = 2;
    while (i < text.length && /[0-9a-fA-F]/.test(text[i]!)) value = value * 16n + BigInt(parseInt(text[i++]!, 16));
  } else {
    while (i < text.length && text[i]! >= '0' && text[i]! <= '9') value = value * 10n + BigInt(text.charCodeAt(i++) - 48);
  }
  if (i === start) return { value: 0n, rest: text };
  if (value > 0xffff_ffff_ffff_ffffn) value = 0xffff_ffff_ffff_ffffn;
  if (negative) value = (0x1_0000_0000_0000_0000n - value) & 0xffff_ffff_ffff_ffffn;
  return { value, rest: text.slice(i) };
}

function parseUnsigned(def: AttributeDef, text: string): Buffer {
  const { value, rest } = strtoul(text);
  let n: number;
  if (rest.length > 0 && !/^\s*$/.test(rest)) {
    const named = def.valuesByName.get(text.toLowerCase());
    if (named === undefined) throw new ValueError(`Unknown or invalid value "${text}" for attribute ${def.name}`);
    n = named;
  } else {
    const v32 = Number(value & 0xffff_ffffn); // (unsigned int) cast of the unsigned long
    if (def.dataType === 'byte' && v32 > 255) throw new ValueError(`Byte value "${text}" is larger than 255`);
    if (def.dataType === 'short' && v32 > 65535) throw new ValueError(`Short value "${text}" is larger than 65535`);
    n = v32;
  }
  if (def.dataType === 'byte') return Buffer.from([n & 0xff]);
  const b = Buffer.alloc(def.dataType === 'short' ? 2 : 4);
  if (def.dataType === 'short') b.writeUInt16BE(n & 0xffff, 0);
  else b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function parseInteger64(text: string): Buffer {
  const m = /^\s*([+-]?)(\d+)/.exec(text);
  if (!m) throw new ValueError(`Failed parsing "${text}" as unsigned 64bit integer`);
  let v = BigInt(m[2]!);
  if (v > 0xffff_ffff_ffff_ffffn) v = 0xffff_ffff_ffff_ffffn;
  if (m[1] === '-') v = (0x1_0000_0000_0000_0000n - v) & 0xffff_ffff_ffff_ffffn;
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(v, 0);
  return b;
}

function parseSigned(text: string): Buffer {
  // strtol(src, NULL, 10) cast to int32: anything unparseable is 0, as in FreeRADIUS.
  const m = /^\s*([+-]?\d+)/.exec(text);
  let v = m ? BigInt(m[1]!) : 0n;
  if (v > 0x7fff_ffff_ffff_ffffn) v = 0x7fff_ffff_ffff_ffffn;
  if (v < -0x8000_0000_0000_0000n) v = -0x8000_0000_0000_0000n;
  const b = Buffer.alloc(4);
  b.writeInt32BE(Number(BigInt.asIntN(32, v)), 0);
  return b;
}

// ---------------------------------------------------------------------------------------------
// IPv4

/** inet_aton: 1 to 4 parts, each decimal, 0x hex or 0 octal; the last part fills the rest. */
export function inetAton(text: string): number | undefined {
  if (!/^[0-9a-fA-FxX.]+$/.test(text)) return undefined;
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return undefined;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) n = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p);
    else return undefined;
    nums.push(n);
  }
  const last = nums[nums.length - 1]!;
  const maxLast = [0xffffffff, 0xffffff, 0xffff, 0xff][nums.length - 1]!;
  if (last > maxLast) return undefined;
  let addr = 0;
  for (let i = 0; i < nums.length - 1; i++) {
    if (nums[i]! > 255) return undefined;
    addr += nums[i]! * 2 ** (24 - 8 * i);
  }
  return addr + last;
}

function ipv4Bytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

function hostnameError(text: string, family: 'IPv4' | 'IPv6'): ValueError {
  return new ValueError(
    `Failed resolving "${text}" to ${family} address: vutlan-radius does not resolve host names in users files; write the address`,
  );
}

/** An IPv4 address without mask: `*`, a plain number, or inet_aton forms (`1.2.3` = 1.2.0.3). */
function ipv4NoMask(text: string): number {
  if (text === '*') return 0;
  const n = inetAton(text);
  if (n !== undefined) return n;
  throw hostnameError(text, 'IPv4');
}

/** Dotted prefix as ip_prefix_from_str reads it: up to four decimal octets, missing ones zero. */
function dottedPrefix(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length > 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  let addr = 0;
  parts.forEach((p, i) => { addr += Number(p) * 2 ** (24 - 8 * i); });
  return addr;
}

function ipv4WithMask(text: string): { addr: number; prefix: number } {
  const slash = text.indexOf('/');
  if (slash < 0) return { addr: ipv4NoMask(text), prefix: 32 };
  const ip = text.slice(0, slash);
  const addr = dottedPrefix(ip);
  if (addr === undefined) throw new ValueError(`Failed to parse IPv4 address string "${text}"`);
  const m = /^(\d*)(.*)$/.exec(text.slice(slash + 1))!;
  const prefix = m[1] === '' ? 0 : Number(m[1]);
  if (prefix > 32) throw new ValueError(`Invalid IPv4 mask length "${text.slice(slash)}".  Should be between 0-32`);
  if (m[2] !== '') throw new ValueError(`Failed to parse IPv4 address string "${text}", got garbage after mask length "${m[2]}"`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { addr: (addr & mask) >>> 0, prefix };
}

function parseIpv4Address(text: string): Buffer {
  const { addr, prefix } = ipv4WithMask(text);
  if (prefix !== 32) throw new ValueError(`Invalid IPv4 mask length "/${prefix}".  Only "/32" permitted for non-prefix types`);
  return ipv4Bytes(addr);
}

function parseIpv4Prefix(text: string): Buffer {
  const { addr, prefix } = ipv4WithMask(text);
  return Buffer.concat([Buffer.from([0, prefix]), ipv4Bytes(addr)]);
}

// ---------------------------------------------------------------------------------------------
// IPv6

function ipv6WithMask(text: string): { addr: Buffer; prefix: number } {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const addr = ipv6ToBytes(ip);
  if (!addr) {
    if (slash < 0 && !/^[0-9a-fA-F:.]+$/.test(ip)) throw hostnameError(text, 'IPv6');
    throw new ValueError(`Failed to parse IPv6 address string "${text}"`);
  }
  if (slash < 0) return { addr, prefix: 128 };
  const m = /^(\d*)(.*)$/.exec(text.slice(slash + 1))!;
  const prefix = m[1] === '' ? 0 : Number(m[1]);
  if (prefix > 128) throw new ValueError(`Invalid IPv6 mask length "${text.slice(slash)}".  Should be between 0-128`);
  if (m[2] !== '') throw new ValueError(`Failed to parse IPv6 address string "${text}", got garbage after mask length "${m[2]}"`);
  for (let bit = prefix; bit < 128; bit++) addr[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { addr, prefix };
}

function parseIpv6Address(text: string): Buffer {
  const { addr, prefix } = ipv6WithMask(text);
  if (prefix !== 128) throw new ValueError(`Invalid IPv6 mask length "/${prefix}".  Only "/128" permitted for non-prefix types`);
  return addr;
}

function parseIpv6Prefix(text: string): Buffer {
  const { addr, prefix } = ipv6WithMask(text);
  return Buffer.concat([Buffer.from([0, prefix]), addr]);
}

function parseComboIp(text: string): Buffer {
  const v6 = ipv6ToBytes(text);
  if (v6) return v6;
  const v4 = inetAton(text);
  if (v4 === undefined) throw new ValueError(`Failed to find IPv4 address for ${text}`);
  return ipv4Bytes(v4);
}

// ---------------------------------------------------------------------------------------------
// date, ifid, ether

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * fr_get_time: a plain number of seconds, or "Mon DD YYYY [HH:MM[:SS]]" with the fields in any
 * order the way FreeRADIUS finds them (the month is the word, the time has colons, the year is
 * the number >= 1900); anything after the fourth field (e.g. "UTC") is ignored.
 */
function parseDate(text: string): Buffer {
  const fail = (): never => { throw new ValueError(`failed to parse time string "${text}"`); };
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(BigInt(text) & 0xffff_ffffn);
  } else {
    const f = text.split(/[ \t]+/).filter((s) => s !== '').slice(0, 4);
    if (f.length < 3) fail();
    if (f.length === 4) {
      for (let i = 0; i < 3; i++) if (f[i]!.includes(':')) [f[3], f[i]] = [f[i]!, f[3]!];
    }
    let month = 12;
    for (let i = 0; i < 3; i++) {
      if (/^[A-Za-z]/.test(f[i]!)) {
        [f[0], f[i]] = [f[i]!, f[0]!];
        const idx = MONTHS.indexOf(f[0]!.slice(0, 3).toLowerCase());
        if (idx >= 0) month = idx;
      }
    }
    if (month === 12) fail();
    let year = parseInt(f[1]!, 10) || 0;
    let day = parseInt(f[2]!, 10) || 0;
    if (year < 1900) {
      if (day < 1900) fail();
      [year, day] = [day, year];
    }
    if (day < 1 || day > 31) fail();
    let h = 0, mi = 0, s = 0;
    if (f[3] !== undefined) {
      const t = f[3]!.split(':');
      if (t.length < 2) fail();
      h = parseInt(t[0]!, 10) || 0;
      mi = parseInt(t[1]!, 10) || 0;
      s = t.length > 2 ? parseInt(t[2]!, 10) || 0 : 0;
    }
    seconds = Math.floor(Date.UTC(year, month, day, h, mi, s) / 1000);
    if (seconds < 0 || seconds > 0xffffffff) fail();
  }
  const b = Buffer.alloc(4);
  b.writeUInt32BE(seconds >>> 0, 0);
  return b;
}

function formatDate(seconds: number): string {
  const d = new Date(seconds * 1000);
  const mon = MONTHS[d.getUTCMonth()]!;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${mon[0]!.toUpperCase()}${mon.slice(1)} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

function parseIfid(text: string): Buffer {
  const m = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/.exec(text);
  if (!m) throw new ValueError(`Failed to parse interface-id string "${text}"`);
  const b = Buffer.alloc(8);
  for (let i = 0; i < 4; i++) b.writeUInt16BE(parseInt(m[i + 1]!, 16), i * 2);
  return b;
}

function parseEther(text: string): Buffer {
  const out = Buffer.alloc(6);
  if (/^\d+$/.test(text)) {
    // A plain integer is the big-endian form of the address (the low six of eight octets... as
    // FreeRADIUS copies the first six octets of the 64-bit big-endian number).
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(text) & 0xffff_ffff_ffff_ffffn, 0);
    b.copy(out, 0, 0, 6);
    return out;
  }
  const fail = (): never => { throw new ValueError(`failed to parse Ethernet address "${text}"`); };
  const hex = '0123456789abcdef';
  let n = 0;
  let i = 0;
  while (i < text.length) {
    let c1: number, c2: number;
    if (text[i + 1] === ':') {
      c1 = 0; c2 = hex.indexOf(text[i]!.toLowerCase()); i += 2;
    } else if (text[i + 1] !== undefined && (text[i + 2] === ':' || text[i + 2] === undefined)) {
      c1 = hex.indexOf(text[i]!.toLowerCase()); c2 = hex.indexOf(text[i + 1]!.toLowerCase()); i += 2;
      if (text[i] === ':') i++;
    } else {
      c1 = c2 = -1;
    }
    if (c1 < 0 || c2 < 0 || n >= 6) fail();
    out[n++] = (c1 << 4) + c2;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// raw attribute names

/**
 * Resolves a name that is not in the dictionary the way `dict_unknown_from_str` does:
 * `Attr-N`, `Attr-26.V.T`, `Vendor-V-Attr-N`, `VendorName-Attr-N`. Returns the (vendor, type)
 * pair, or throws ValueError with FreeRADIUS's message (`Unknown name "Foo-Bar"`, ...).
 */
export function parseRawAttributeName(dict: Dictionary, name: string): { vendorId: number; type: number } {
  let rest = name;
  let vendorId = 0;
  if (!/^attr-/i.test(rest)) {
    const vm = /^vendor-(\d*)/i.exec(rest);
    if (vm) {
      vendorId = Number(vm[1] || '0');
      if (vendorId === 0 || vendorId > 0xffffff) throw new ValueError(`Invalid vendor value in attribute name "${name}"`);
      rest = rest.slice(vm[0].length);
    } else {
      const dash = rest.indexOf('-');
      if (dash < 0) throw new ValueError(`Invalid vendor name in attribute name "${name}"`);
      const vendor = dict.vendorByName(rest.slice(0, dash));
      if (!vendor) throw new ValueError(`Unknown name "${name}"`);
      vendorId = vendor.id;
      rest = rest.slice(dash);
    }
    if (rest[0] !== '-') throw new ValueError(`Invalid text following vendor definition in attribute name "${name}"`);
    rest = rest.slice(1);
  }
  if (!/^attr-/i.test(rest)) throw new ValueError(`Unknown attribute "${name}"`);
  const oid = rest.slice(5);
  if (vendorId !== 0) {
    if (!/^\d+$/.test(oid) || Number(oid) === 0) throw new ValueError('Invalid OID');
    return { vendorId, type: Number(oid) };
  }
  const parts = oid.split('.');
  if (!parts.every((p) => /^\d+$/.test(p))) throw new ValueError('Invalid OID');
  const nums = parts.map(Number);
  if (nums[0] === 0 || nums[0]! > 255) throw new ValueError(`Invalid value in attribute name "${name}"`);
  if (nums.length === 1) return { vendorId: 0, type: nums[0]! };
  if (nums[0] === 26 && nums.length === 3 && nums[1]! > 0 && nums[2]! > 0) return { vendorId: nums[1]!, type: nums[2]! };
  throw new ValueError(`Unsupported attribute number form in "${name}" (only Attr-N and Attr-26.V.T are supported)`);
}

/** The canonical raw name FreeRADIUS prints for an attribute it has no name for. */
export function rawAttributeName(vendorId: number, type: number): string {
  return vendorId === 0 ? `Attr-${type}` : `Attr-26.${vendorId}.${type}`;
}

/** A synthesized definition for an unknown attribute: octets, named in the raw form. */
export function unknownAttributeDef(vendorId: number, type: number): AttributeDef {
  return {
    name: rawAttributeName(vendorId, type),
    vendorId,
    type,
    dataType: 'octets',
    flags: noFlags(),
    valuesByName: new Map(),
    namesByValue: new Map(),
  };
}

/** Wire lengths a value of this type may have, for re-decoding raw hex into a known attribute. */
export function validWireLength(def: AttributeDef, length: number): boolean {
  switch (def.dataType) {
    case 'string': case 'octets': return length <= 253;
    case 'ipaddr': case 'integer': case 'date': case 'signed': return length === 4;
    case 'byte': return length === 1;
    case 'short': return length === 2;
    case 'integer64': case 'ifid': return length === 8;
    case 'ipv6addr': return length === 16;
    case 'ipv4prefix': return length === 6;
    case 'ipv6prefix': return length >= 2 && length <= 18;
    case 'ether': return length === 6;
    case 'combo-ip': return length === 4 || length === 16;
    default: return false;
  }
}
