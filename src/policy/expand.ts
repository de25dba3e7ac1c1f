import type { Avp } from '../protocol/attribute.js';
import type { AttributeDef, Dictionary } from '../protocol/dictionary.js';
import { ValueError, formatValue } from '../protocol/values.js';

/**
 * `%{...}` expansion of users-file values (the subset of FreeRADIUS xlat that users files use):
 *
 * - `%{Attr}` / `%{request:Attr}` / `%{reply:Attr}` / `%{control:Attr}` (`config:` too), with an
 *   optional index `[n]`, `[#]` (count) or `[*]` (all values joined by ",");
 * - `%{0}` .. `%{8}`: captures of the last successful `=~` check item;
 * - `%{%{A}:-%{B}}` / `%{A:-text}`: A if it is not empty, else B;
 * - `%%` gives `%`, `%}` gives `}`; `\\`, `\t`, `\n` and `\X` (= X) in the literal text.
 *
 * An absent attribute expands to the empty string, as in FreeRADIUS. Anything else (xlat
 * functions such as `%{md5:...}`, single-letter expansions such as `%t`) is refused when the file
 * loads, so a value never silently stays unexpanded.
 */

type Part =
  | { kind: 'text'; text: string }
  | { kind: 'attr'; list: 'request' | 'reply' | 'control'; name: string; def?: AttributeDef; index: number | '#' | '*' }
  | { kind: 'capture'; n: number }
  | { kind: 'alt'; first: Template; second: Template };

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
}

/** Validates a value marked for expansion when the file loads; throws ValueError. */
export function checkExpansion(text: string, dict?: Dictionary): void {
  compileExpansion(text, dict);
}

/** Compiles `text` (the value as lexed, escapes not yet processed). Throws ValueError. */
export function compileExpansion(text: string, dict?: Dictionary): Template {
  const [t, end] = parseTemplate(text, 0, false, dict);
  if (end !== text.length) throw new ValueError(`Unexpected "}" in expansion "${text}"`);
  return t;
}

function parseTemplate(s: string, start: number, nested: boolean, dict?: Dictionary): [Template, number] {
  const parts: Part[] = [];
  let lit = '';
  let i = start;
  const flush = (): void => { if (lit) { parts.push({ kind: 'text', text: lit }); lit = ''; } };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      if (i + 1 >= s.length) throw new ValueError('Invalid escape at end of string');
      const n = s[i + 1]!;
      lit += n === 't' ? '\t' : n === 'n' ? '\n' : n;
      i += 2;
      continue;
    }
    if (nested && c === '}') break;
    if (nested && c === ':' && s[i + 1] === '-') break;
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
    const [first, end] = parseTemplate(s, start, true, dict);
    return finishAlternation(s, first, end, dict);
  }
  const m = /^([A-Za-z0-9\-._/]+)(?::([A-Za-z0-9\-._/]+))?(?:\[([0-9]+|#|\*)\])?/.exec(s.slice(start));
  if (!m) throw new ValueError(`Invalid expansion at "${s.slice(start - 2)}"`);
  const end = start + m[0].length;
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
      else throw new ValueError(`Unsupported expansion "%{${m[1]}:...}" (xlat functions are not supported)`);
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
    const [second, e2] = parseTemplate(s, end + 2, true, dict);
    if (s[e2] !== '}') throw new ValueError(`Missing "}" in expansion "${s}"`);
    return [{ kind: 'alt', first, second }, e2 + 1];
  }
  throw new ValueError(`Missing "}" in expansion "${s}"`);
}

function sameAttr(a: AttributeDef, b: AttributeDef): boolean {
  return a === b || (a.vendorId === b.vendorId && a.type === b.type);
}

/** Expands a compiled template to text. */
export function expandTemplate(t: Template, ctx: ExpandContext): string {
  let out = '';
  for (const p of t.parts) {
    if (p.kind === 'text') out += p.text;
    else if (p.kind === 'capture') out += ctx.captures[p.n] ?? '';
    else if (p.kind === 'alt') {
      const a = expandTemplate(p.first, ctx);
      out += a !== '' ? a : expandTemplate(p.second, ctx);
    } else {
      const list = p.list === 'request' ? ctx.request : p.list === 'reply' ? ctx.reply : ctx.control;
      const found: Avp[] = [];
      if (p.def) for (const avp of list) if (sameAttr(avp.def, p.def)) found.push(avp);
      if (p.index === '#') out += String(found.length);
      else if (p.index === '*') out += found.map((a) => formatValue(a.def, a.value)).join(',');
      else {
        const avp = found[p.index];
        if (avp) out += formatValue(avp.def, avp.value);
      }
    }
  }
  return out;
}
