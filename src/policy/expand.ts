import type { Avp } from '../protocol/attribute.js';
import type { AttributeDef, Dictionary } from '../protocol/dictionary.js';
import { ValueError, formatValue } from '../protocol/values.js';
import {
  type ExpansionFunction, SUPPORTED_FUNCTIONS, UNSUPPORTED_FREERADIUS_FUNCTIONS, callFunction, expansionFunction, referencedAttribute,
} from './expand-functions.js';

/**
 * `%{...}` expansion of users-file values (the subset of FreeRADIUS xlat that users files use):
 *
 * - `%{Attr}` / `%{request:Attr}` / `%{reply:Attr}` / `%{control:Attr}` (`config:` too), with an
 *   optional index `[n]`, `[#]` (count) or `[*]` (all values joined by ",");
 * - `%{0}` .. `%{8}`: captures of the last successful `=~` check item;
 * - `%{%{A}:-%{B}}` / `%{A:-text}`: A if it is not empty, else B;
 * - `%%` gives `%`, `%}` gives `}`; `\\`, `\t`, `\n` and `\X` (= X) in the literal text.
 *
 * - `%{function:argument}`: the functions of expand-functions.ts (tolower, md5, expr, ...), the
 *   argument a template of its own whose backslash escapes are left for the function call.
 *
 * An absent attribute expands to the empty string, as in FreeRADIUS. Anything else (other xlat
 * functions such as `%{rand:...}`, single-letter expansions such as `%t`) is refused when the file
 * loads, with a message naming it and the supported functions, so a value never silently stays
 * unexpanded.
 */

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'attr'; list: 'request' | 'reply' | 'control'; name: string; def?: AttributeDef; index: number | '#' | '*' }
  | { kind: 'capture'; n: number }
  | { kind: 'alt'; first: Template; second: Template }
  /** `arg` undefined: nothing between ':' and '}' (the function is called with ""). */
  | { kind: 'func'; fn: ExpansionFunction; arg?: Template };

/** Where a template is read: the whole value, a part of `%{a:-b}`, or a function's argument. */
type Mode = 'top' | 'alt' | 'arg';

/** A compiled expansion. */
export interface Template {
  parts: Part[];
}

/** What an expansion can read. */
export interface ExpandContext {
  request: readonly Avp[];
  reply: readonly Avp[];
  control: readonly Avp[];
  /** Regex captures %{0}..%{8}; undefined entries expand to nothing. */
  captures: readonly (string | undefined)[];
  /** Resolves attribute names that functions read at run time (`%{length:...}`, `&Attr`). */
  dict?: Dictionary;
}

/** Validates a value marked for expansion when the file loads; throws ValueError. */
export function checkExpansion(text: string, dict?: Dictionary): void {
  compileExpansion(text, dict);
}

/** Compiles `text` (the value as lexed, escapes not yet processed). Throws ValueError. */
export function compileExpansion(text: string, dict?: Dictionary): Template {
  const [t, end] = parseTemplate(text, 0, 'top', dict);
  if (end !== text.length) throw new ValueError(`Unexpected "}" in expansion "${text}"`);
  return t;
}

function parseTemplate(s: string, start: number, mode: Mode, dict?: Dictionary): [Template, number] {
  const parts: Part[] = [];
  let lit = '';
  let i = start;
  const flush = (): void => { if (lit) { parts.push({ kind: 'text', text: lit }); lit = ''; } };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 >= s.length) throw new ValueError('Invalid escape at end of string');
      const n = s[i + 1]!;
      // kept as written: like FreeRADIUS, the escapes apply to the expanded text as a whole
      // (the value's conversion, or a function's argument), not to the literal alone
      lit += c + n;
      i += 2;
      continue;
    }
    if (mode !== 'top' && c === '}') break;
    if (mode === 'alt' && c === ':' && s[i + 1] === '-') break;
    if (c === '%') {
      const n = s[i + 1];
      if (n === '%' || n === '}') { lit += n; i += 2; continue; }
      if (n === undefined) { lit += '%'; i++; continue; }
      if (n !== '{') throw new ValueError(`Unsupported expansion "%${n}" (vutlan-radius expands only %{...} attribute references)`);
      flush();
      const [part, end] = parseBraced(s, i + 2, dict);
      parts.push(part);
      i = end;
      continue;
    }
    lit += c;
    i++;
  }
  flush();
  return [{ parts }, i];
}

/** Parses after "%{" up to and including the matching "}". */
function parseBraced(s: string, start: number, dict?: Dictionary): [Part, number] {
  if (s[start] === '%') {
    const [first, end] = parseTemplate(s, start, 'alt', dict);
    return finishAlternation(s, first, end, dict);
  }
  const fn = parseFunction(s, start, dict);
  if (fn) return fn;
  const m = /^([A-Za-z0-9\-._/]+)(?::([A-Za-z0-9\-._/]+))?(?:\[([0-9]+|#|\*)\])?/.exec(s.slice(start));
  if (!m) throw new ValueError(`Invalid expansion at "${s.slice(start - 2)}"`);
  let end = start + m[0].length;
  let part: Part;
  if (m[2] === undefined && /^[0-8]$/.test(m[1]!)) {
    part = { kind: 'capture', n: Number(m[1]) };
  } else {
    let list: 'request' | 'reply' | 'control' = 'request';
    let name = m[1]!;
    if (m[2] !== undefined) {
      const l = m[1]!.toLowerCase();
      if (l === 'request') list = 'request';
      else if (l === 'reply') list = 'reply';
      else if (l === 'control' || l === 'config') list = 'control';
      else if (dict?.attributeByName(m[1]!) && /^[0-9]+$/.test(m[2])) {
        throw new ValueError(`Unsupported expansion "%{${m[1]}:${m[2]}}": tagged attribute references are not supported`);
      } else throw new ValueError(`Unsupported list "${m[1]}:" in expansion "%{${m[1]}:...}" (vutlan-radius reads the request, reply and control lists)`);
      name = m[2];
    }
    const def = dict?.attributeByName(name);
    if (dict && !def) throw new ValueError(`Unknown attribute "${name}" in expansion`);
    const idx = m[3] === undefined ? 0 : m[3] === '#' || m[3] === '*' ? m[3] : Number(m[3]);
    part = { kind: 'attr', list, name, index: idx, ...(def ? { def } : {}) };
  }
  if (s[end] === '}') return [part, end + 1];
  if (s[end] === ':' && s[end + 1] === '-') return finishAlternation(s, { parts: [part] }, end, dict);
  throw new ValueError(`Invalid expansion at "${s.slice(start - 2)}"`);
}

function finishAlternation(s: string, first: Template, end: number, dict?: Dictionary): [Part, number] {
  if (s[end] === '}') return [{ kind: 'alt', first, second: { parts: [] } }, end + 1];
  if (s[end] === ':' && s[end + 1] === '-') {
    const [second, e2] = parseTemplate(s, end + 2, 'alt', dict);
    if (s[e2] !== '}') throw new ValueError(`Missing "}" in expansion "${s}"`);
    return [{ kind: 'alt', first, second }, e2 + 1];
  }
  throw new ValueError(`Missing "}" in expansion "${s}"`);
}

const SUPPORTED_TEXT = `vutlan-radius supports attribute references and the functions ${SUPPORTED_FUNCTIONS.join(', ')}`;
/** List qualifiers of FreeRADIUS 3.2 (those beyond request, reply and control are refused as lists). */
const LISTS = new Set(['request', 'reply', 'control', 'config', 'proxy-request', 'proxy-reply', 'coa', 'coa-reply', 'disconnect', 'disconnect-reply', 'session-state', 'outer', 'parent', 'current']);

/**
 * `%{name:argument}` when `name` is a function (FreeRADIUS reads the word before the first ':',
 * white space or '}' and looks it up among the registered functions). Undefined when the word
 * is a list qualifier or an attribute (a tag): those are attribute references. Throws ValueError
 * for any other function, naming it and the supported ones.
 */
function parseFunction(s: string, start: number, dict?: Dictionary): [Part, number] | undefined {
  let q = start;
  while (q < s.length && s[q] !== ':' && s[q] !== '}' && !/\s/.test(s[q]!)) q++;
  if (s[q] !== ':' || q === start) return undefined;
  const name = s.slice(start, q);
  const fn = expansionFunction(name);
  if (!fn) {
    if (s[q + 1] === '-' || LISTS.has(name.toLowerCase())) return undefined;
    if (UNSUPPORTED_FREERADIUS_FUNCTIONS.has(name)) {
      throw new ValueError(`Unsupported expansion function "%{${name}:...}" in "${s}": ${SUPPORTED_TEXT}`);
    }
    if (dict?.attributeByName(name)) return undefined;
    throw new ValueError(`Unknown expansion function "%{${name}:...}" in "${s}": ${SUPPORTED_TEXT}`);
  }
  const [arg, end] = parseTemplate(s, q + 1, 'arg', dict);
  if (s[end] !== '}') throw new ValueError(`Missing closing brace in expansion "${s}"`);
  if (dict) checkReference(fn, arg, dict);
  return [{ kind: 'func', fn, ...(arg.parts.length > 0 ? { arg } : {}) }, end + 1];
}

/** An argument that is plain text naming an attribute must name one the dictionary has. */
function checkReference(fn: ExpansionFunction, arg: Template, dict: Dictionary): void {
  if (fn.argument === 'text' || arg.parts.length !== 1 || arg.parts[0]!.kind !== 'text') return;
  const text = arg.parts[0].text.replace(/^\s+/, '');
  if (text.includes('\\') || (fn.argument === 'text-or-reference' && !text.startsWith('&'))) return;
  if (!referencedAttribute(text, dict)) {
    throw new ValueError(`Unknown attribute "${text.replace(/^&/, '')}" in "%{${fn.name}:${text}}"`);
  }
}

function sameAttr(a: AttributeDef, b: AttributeDef): boolean {
  return a === b || (a.vendorId === b.vendorId && a.type === b.type);
}

/**
 * Expands a compiled template to text, its backslash escapes still in it: the caller converts
 * (fr_pair_value_from_str, or a function call, applies the double-quote escapes once). Attribute
 * values go in with their backslashes doubled, so that conversion leaves them as they were
 * (measured on FreeRADIUS 3.2.1: `"%{Calling-Station-Id}"` of `x\ty` stays `x\ty`, the literal
 * `"x\ty"` becomes x<TAB>y); regex captures go in as they are.
 */
export function expandTemplate(t: Template, ctx: ExpandContext): string {
  let out = '';
  for (const p of t.parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'capture') out += ctx.captures[p.n] ?? '';
    else if (p.kind === 'func') out += callFunction(p.fn, p.arg ? expandTemplate(p.arg, ctx) : undefined, ctx);
    else if (p.kind === 'alt') {
      const a = expandTemplate(p.first, ctx);
      out += a !== '' ? a : expandTemplate(p.second, ctx);
    } else {
      out += attributeText(p, ctx).replace(/\\/g, '\\\\');
    }
  }
  return out;
}

function attributeText(p: Extract<Part, { kind: 'attr' }>, ctx: ExpandContext): string {
  const list = p.list === 'request' ? ctx.request : p.list === 'reply' ? ctx.reply : ctx.control;
  const found: Avp[] = [];
  if (p.def) for (const avp of list) if (sameAttr(avp.def, p.def)) found.push(avp);
  if (p.index === '#') return String(found.length);
  if (p.index === '*') return found.map((a) => formatValue(a.def, a.value)).join(',');
  const avp = found[p.index];
  return avp ? formatValue(avp.def, avp.value) : '';
}
