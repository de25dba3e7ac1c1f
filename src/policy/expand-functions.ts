import { createHash } from 'node:crypto';

import type { Avp } from '../protocol/attribute.js';
import type { AttributeDef, Dictionary } from '../protocol/dictionary.js';
import { md4 } from './passwords/md4.js';
import { ValueError, parseHexDigits, unescapeString } from '../protocol/values.js';
import { evaluateExpr } from './expand-expr.js';

/**
 * The expansion functions (`%{name:argument}`) of a stock FreeRADIUS 3.2.1 that users files use,
 * with FreeRADIUS's output (src/main/xlat.c and src/modules/rlm_expr/rlm_expr.c):
 *
 * - the argument is expanded first; when it expands to nothing the function is not called and
 *   gives nothing (`%{strlen:%{Missing}}` is empty, `%{strlen:}` is 0);
 * - the expanded argument then goes through the double-quote escapes (`\n`, `\t`, `\\`, `\101`;
 *   correct_escapes = true) and is cut at its first NUL, as a C string;
 * - a function that fails (unknown attribute, division by zero, bad %-sequence) gives nothing;
 * - strings are bytes: tolower/toupper change ASCII letters only (FreeRADIUS runs in the C
 *   locale), strlen counts bytes.
 */

/** What a function can read besides its argument. */
export interface FunctionContext {
  request: readonly Avp[];
  reply: readonly Avp[];
  control: readonly Avp[];
  dict?: Dictionary;
}

/** How a function reads its argument, for load-time checks. */
export type ArgumentKind = 'text' | 'attribute' | 'text-or-reference';

export interface ExpansionFunction {
  name: string;
  argument: ArgumentKind;
  /** The output, or undefined when FreeRADIUS's function fails (the expansion gives nothing). */
  run(input: Buffer, ctx: FunctionContext): string | undefined;
}

/** FreeRADIUS's output buffer for a function (2048 bytes, NUL included). */
const OUT_MAX = 2047;

const isSpaceByte = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
const isAlnumByte = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

function skipSpace(input: Buffer): Buffer {
  let i = 0;
  while (i < input.length && isSpaceByte(input[i]!)) i++;
  return input.subarray(i);
}

/** An attribute reference as `radius_get_vp` reads it: `[&][list:]Name[:tag][[n]]`, nothing after. */
const REFERENCE = /^&?(?:(request|reply|control|config):)?([A-Za-z0-9\-._/]+?)(?::([0-9]+))?(?:\[([0-9]+)\])?$/;

/** The attribute a reference names, or undefined when the dictionary has no such attribute. */
export function referencedAttribute(text: string, dict: Dictionary): AttributeDef | undefined {
  const m = REFERENCE.exec(text);
  return m ? dict.attributeByName(m[2]!) : undefined;
}

/** The value a reference points at (undefined: bad reference, unknown attribute, or absent). */
function findReferenced(text: string, ctx: FunctionContext): Avp | undefined {
  const m = REFERENCE.exec(text);
  if (!m || !ctx.dict) return undefined;
  const def = ctx.dict.attributeByName(m[2]!);
  if (!def) return undefined;
  const list = m[1] === 'reply' ? ctx.reply : m[1] === 'control' || m[1] === 'config' ? ctx.control : ctx.request;
  const tag = m[3] === undefined ? undefined : Number(m[3]);
  let n = m[4] === undefined ? 0 : Number(m[4]);
  for (const avp of list) {
    if (avp.def !== def && (avp.def.vendorId !== def.vendorId || avp.def.type !== def.type)) continue;
    if (tag !== undefined && (avp.tag ?? 0) !== tag) continue;
    if (n-- === 0) return avp;
  }
  return undefined;
}

/** `xlat_fmt_to_ref`: `&Attribute` gives that attribute's bytes, anything else its own bytes. */
function textOrReference(input: Buffer, ctx: FunctionContext): Buffer | undefined {
  const s = skipSpace(input);
  if (s[0] !== 0x26) return s;
  return findReferenced(s.toString('utf8'), ctx)?.value;
}

function digestHex(algorithm: string): (input: Buffer, ctx: FunctionContext) => string | undefined {
  return (input, ctx) => {
    const data = textOrReference(input, ctx);
    return data ? createHash(algorithm).update(data).digest('hex') : undefined;
  };
}

function caseMap(upper: boolean): (input: Buffer) => string {
  return (input) => {
    const out = Buffer.from(input.subarray(0, OUT_MAX));
    for (let i = 0; i < out.length; i++) {
      const b = out[i]!;
      if (upper && b >= 0x61 && b <= 0x7a) out[i] = b - 32;
      else if (!upper && b >= 0x41 && b <= 0x5a) out[i] = b + 32;
    }
    return out.toString('utf8');
  };
}

/**
 * A value cast to octets (value_data_cast): a string is parsed as an octets value would be
 * (`0x..` is hex, anything else its bytes), every other type gives its wire bytes.
 */
function asOctets(avp: Avp): Buffer | undefined {
  if (avp.def.dataType !== 'string') return avp.value;
  const text = avp.value.toString('utf8');
  if (!/^0[xX]/.test(text)) return avp.value;
  try {
    return parseHexDigits(text.slice(2));
  } catch {
    return undefined;
  }
}

/** `%{integer:...}` (xlat_integer): the value as a number, not as its VALUE name. */
function integerOf(avp: Avp): string | undefined {
  const v = avp.value;
  switch (avp.def.dataType) {
    case 'octets':
    case 'string': {
      if (v.length > 8) return undefined;
      // memcpy into a zeroed integer, then network to host order
      if (v.length > 4) return Buffer.concat([v, Buffer.alloc(8 - v.length)]).readBigUInt64BE(0).toString();
      return String(Buffer.concat([v, Buffer.alloc(4 - v.length)]).readInt32BE(0));
    }
    case 'integer64':
      return v.length === 8 ? v.readBigUInt64BE(0).toString() : undefined;
    case 'ipaddr':
    case 'integer':
    case 'date':
      return v.length === 4 ? String(v.readUInt32BE(0)) : undefined;
    case 'ipv4prefix':
      return v.length === 6 ? String(v.readUInt32BE(2)) : undefined;
    case 'byte':
      return v.length === 1 ? String(v[0]) : undefined;
    case 'short':
      return v.length === 2 ? String(v.readUInt16BE(0)) : undefined;
    case 'signed':
      return v.length === 4 ? String(v.readInt32BE(0)) : undefined;
    case 'ether':
      return v.length === 6 ? Buffer.concat([v, Buffer.alloc(2)]).readBigUInt64BE(0).toString() : undefined;
    case 'ipv6addr':
      return v.length === 16 ? BigInt(`0x${v.toString('hex')}`).toString() : undefined;
    default:
      return undefined;
  }
}

/** `&Name` inside %{expr:...}: the attribute as a signed 64-bit operand (0 when absent). */
function exprOperand(reference: string, ctx: FunctionContext): bigint | undefined {
  const name = reference.replace(/^&/, '');
  if (!ctx.dict || !referencedAttribute(name, ctx.dict)) return undefined;
  const avp = findReferenced(name, ctx);
  if (!avp) return 0n;
  const v = avp.value;
  let n: bigint | undefined;
  switch (avp.def.dataType) {
    case 'integer': case 'date': n = v.length === 4 ? BigInt(v.readUInt32BE(0)) : undefined; break;
    case 'short': n = v.length === 2 ? BigInt(v.readUInt16BE(0)) : undefined; break;
    case 'byte': n = v.length === 1 ? BigInt(v[0]!) : undefined; break;
    case 'integer64': n = v.length === 8 ? v.readBigUInt64BE(0) : undefined; break;
    default: n = undefined;
  }
  // above INT64_MAX overflows FreeRADIUS's signed arithmetic: an error
  if (n === undefined || n > (1n << 63n) - 1n) return undefined;
  return n;
}

function urlquote(input: Buffer): string {
  let out = '';
  for (const b of input) {
    if (isAlnumByte(b) || b === 0x2d || b === 0x5f || b === 0x2e || b === 0x7e) {
      if (out.length + 1 > OUT_MAX) break;
      out += String.fromCharCode(b);
    } else {
      if (out.length + 3 > OUT_MAX) break;
      out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

const HEX = '0123456789abcdef';

function urlunquote(input: Buffer): string | undefined {
  const out: number[] = [];
  for (let i = 0; i < input.length && out.length < OUT_MAX; i++) {
    const b = input[i]!;
    if (b !== 0x25) { out.push(b); continue; }
    const hi = HEX.indexOf(String.fromCharCode(input[i + 1] ?? 0).toLowerCase());
    const lo = hi < 0 ? -1 : HEX.indexOf(String.fromCharCode(input[i + 2] ?? 0).toLowerCase());
    if (hi < 0 || lo < 0) return undefined;
    out.push(hi * 16 + lo);
    i += 2;
  }
  return Buffer.from(out).toString('utf8');
}

const FUNCTIONS: readonly ExpansionFunction[] = [
  { name: 'tolower', argument: 'text', run: caseMap(false) },
  { name: 'toupper', argument: 'text', run: caseMap(true) },
  { name: 'strlen', argument: 'text', run: (input) => String(input.length) },
  {
    name: 'length', argument: 'attribute',
    run: (input, ctx) => {
      const avp = findReferenced(skipSpace(input).toString('utf8'), ctx);
      return avp ? String(avp.value.length) : undefined;
    },
  },
  {
    name: 'integer', argument: 'attribute',
    run: (input, ctx) => {
      const avp = findReferenced(skipSpace(input).toString('utf8'), ctx);
      return avp ? integerOf(avp) : undefined;
    },
  },
  {
    name: 'hex', argument: 'attribute',
    run: (input, ctx) => {
      const avp = findReferenced(skipSpace(input).toString('utf8'), ctx);
      return avp ? asOctets(avp)?.toString('hex') : undefined;
    },
  },
  {
    name: 'md4', argument: 'text-or-reference',
    run: (input, ctx) => {
      const data = textOrReference(input, ctx);
      return data ? md4(data).toString('hex') : undefined;
    },
  },
  { name: 'md5', argument: 'text-or-reference', run: digestHex('md5') },
  { name: 'sha1', argument: 'text-or-reference', run: digestHex('sha1') },
  { name: 'sha256', argument: 'text-or-reference', run: digestHex('sha256') },
  { name: 'sha512', argument: 'text-or-reference', run: digestHex('sha512') },
  {
    name: 'base64', argument: 'text-or-reference',
    run: (input, ctx) => {
      const data = textOrReference(input, ctx);
      // the encoding must fit FreeRADIUS's output buffer, or the function fails
      if (!data || 4 * Math.ceil(data.length / 3) + 1 > OUT_MAX + 1) return undefined;
      return data.toString('base64');
    },
  },
  { name: 'urlquote', argument: 'text', run: urlquote },
  { name: 'urlunquote', argument: 'text', run: urlunquote },
  {
    name: 'expr', argument: 'text',
    run: (input, ctx) => evaluateExpr(input.toString('latin1'), (name) => exprOperand(name, ctx)),
  },
];

const BY_NAME = new Map(FUNCTIONS.map((f) => [f.name, f]));

/** The function called `name` (case-sensitive, as FreeRADIUS's xlat_find), or undefined. */
export function expansionFunction(name: string): ExpansionFunction | undefined {
  return BY_NAME.get(name);
}

/** Names of every supported function, for messages. */
export const SUPPORTED_FUNCTIONS: readonly string[] = FUNCTIONS.map((f) => f.name);

/**
 * Other expansion functions a stock FreeRADIUS 3.2.1 registers (built-in and rlm_expr): refused
 * with a message that says so, rather than "unknown".
 */
export const UNSUPPORTED_FREERADIUS_FUNCTIONS: ReadonlySet<string> = new Set([
  'concat', 'tag', 'vendor', 'vendor_num', 'attr', 'attr_num', 'string', 'xlat', 'map', 'module',
  'debug_attr', 'regex', 'debug', 'foreach', 'rand', 'randstr', 'escape', 'unescape', 'hmacmd5',
  'hmacsha1', 'crypt', 'pairs', 'base64tohex', 'explode', 'nexttime', 'lasttime', 'lpad', 'rpad',
]);

/** Calls `fn` the way xlat_aprint does: escapes, then the C-string cut at the first NUL. */
export function callFunction(fn: ExpansionFunction, argument: string | undefined, ctx: FunctionContext): string {
  let input: Buffer = Buffer.alloc(0);
  if (argument !== undefined) {
    if (argument === '') return '';
    const unescaped = unescapeOrUndefined(Buffer.from(argument, 'utf8'));
    // "Invalid escape at end of string": the function is not called
    if (!unescaped) return '';
    input = unescaped;
  }
  const nul = input.indexOf(0);
  if (nul >= 0) input = input.subarray(0, nul);
  return fn.run(input, ctx) ?? '';
}

function unescapeOrUndefined(b: Buffer): Buffer | undefined {
  try {
    return unescapeString(b);
  } catch (e) {
    if (e instanceof ValueError) return undefined;
    throw e;
  }
}
