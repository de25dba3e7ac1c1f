import type { AttributeDef, Dictionary } from '../protocol/dictionary.js';
import {
  ValueError, parseHexDigits, parseRawAttributeName, parseValue, unknownAttributeDef, validWireLength,
} from '../protocol/values.js';
import type { Item, Operator, Quote } from './entry.js';
import { compileRegex, octetsPattern, regexTarget } from './regex.js';
import { getThing } from './users-lexer.js';
import { checkExpansion } from './expand.js';

/**
 * One `Attribute op value` item of a users file, read the way FreeRADIUS 3.2.1 reads it
 * (`fr_pair_raw_from_str` + `fr_pair_make` + `fr_pair_mark_xlat`). Errors carry FreeRADIUS's
 * message (the part after `Parse error (check) for entry bob: `).
 */

/** Characters allowed in attribute names (`dict_attr_allowed_chars`), plus ':' for tags. */
function isNameChar(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x3a) ||
    c === 0x2d || c === 0x2e || c === 0x2f || c === 0x5f;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Sizes of the C buffers: attribute name, value, operator / look-ahead. */
const NAME_MAX = 256;
const VALUE_MAX = 1024;
const SMALL_MAX = 8;

const FALL_THROUGH_TYPE = 500;

/** Result of reading a comma-separated list of items from one line. */
export interface ItemListResult {
  items: Item[];
  /** 'EOL' when the line ended (or a comment started), 'COMMA' when it ended with a comma. */
  last: 'EOL' | 'COMMA' | 'INVALID';
  error?: string;
}

/** True for the Fall-Through attribute (FreeRADIUS internal 500). */
export function isFallThrough(def: AttributeDef): boolean {
  return def.vendorId === 0 && def.type === FALL_THROUGH_TYPE;
}

/**
 * `fr_pair_list_afrom_str`: reads items from `pos` to the end of `line`. Stops at the first
 * error (last = 'INVALID', error = message).
 */
export function readItemList(line: string, pos: number, dict: Dictionary, interner?: ItemInterner): ItemListResult {
  const items: Item[] = [];
  if (pos >= line.length) return { items, last: 'EOL' };
  let p = pos;
  let last: ItemListResult['last'] = 'EOL';
  do {
    const r = readRawItem(line, p);
    if (r.kind === 'hash') { last = 'EOL'; break; }
    if (r.kind === 'error') return { items, last: 'INVALID', error: r.error };
    try {
      items.push(interner ? interner.item(dict, r.name, r.op, r.value, r.raw, r.quote) : makeItem(dict, r.name, r.op, r.value, r.raw, r.quote));
    } catch (e) {
      if (e instanceof ValueError) return { items, last: 'INVALID', error: e.message };
      throw e;
    }
    last = r.next;
    p = r.end;
  } while (p < line.length && last === 'COMMA');
  return { items, last };
}

/**
 * Shares identical items between the entries of one load. A large users file repeats the same
 * reply items (`SRead = "all,"`) on every entry; one object per distinct item instead of one per
 * line keeps about half of a generated entry's heap away (measured in BENCHMARKS.md). Safe because
 * `makeItem` is a pure function of (name, operator, text as written, quote) and items are never
 * changed once made. Bounded: past `limit` distinct items it only looks up, so a file of unique
 * passwords costs one failed lookup per item.
 */
export class ItemInterner {
  /** attribute name as written -> operator and quote -> value as written -> item */
  private readonly items = new Map<string, Map<string, Group>>();
  private count = 0;

  constructor(private readonly limit = 100_000) {}

  /** `makeItem`, or the item already made from the same text. Errors are not remembered. */
  item(dict: Dictionary, name: string, op: Operator, value: string, raw: string, quote: Quote): Item {
    let byKind = this.items.get(name);
    if (!byKind) this.items.set(name, (byKind = new Map()));
    const kind = op + quote;
    let group = byKind.get(kind);
    if (!group) byKind.set(kind, (group = { byText: new Map(), hits: 0, misses: 0, open: true }));
    if (!group.open) return makeItem(dict, name, op, value, detached(raw), quote);
    let item = group.byText.get(raw);
    if (item) {
      group.hits++;
    } else {
      item = makeItem(dict, name, op, value, detached(raw), quote);
      // A group whose values are nearly all new (passwords) is not worth a lookup each.
      if (++group.misses % 1000 === 0 && group.hits * 10 < group.misses) {
        group.open = false;
        this.count -= group.byText.size;
        group.byText.clear();
      } else if (this.count < this.limit) {
        group.byText.set(raw, item);
        this.count++;
      }
    }
    return item;
  }
}

interface Group {
  byText: Map<string, Item>;
  hits: number;
  misses: number;
  /** False once the group's values proved to be unique: items are made without a lookup. */
  open: boolean;
}

/**
 * Shares identical item lists between the entries of one load: entries with the same reply items
 * (already shared objects, see ItemInterner) in the same order get one array. Besides the memory,
 * work the evaluator keeps per list is then done once per distinct list, not once per entry.
 * Lists are looked up by item identity along a trie; bounded like ItemInterner.
 */
export class ItemListInterner {
  private readonly root: ListNode = { next: new Map() };
  private count = 0;

  constructor(private readonly limit = 100_000) {}

  /** The shared array equal to `items` (an exact-size copy the first time). */
  list(items: readonly Item[]): Item[] {
    let node = this.root;
    for (const item of items) {
      let child = node.next.get(item);
      if (!child) {
        if (this.count >= this.limit) return items.slice();
        node.next.set(item, (child = { next: new Map() }));
        this.count++;
      }
      node = child;
    }
    return (node.list ??= items.slice());
  }
}

interface ListNode {
  next: Map<Item, ListNode>;
  list?: Item[];
}

/**
 * A copy of `s` that does not keep the text it was cut from alive: V8 slices strings of 13 or
 * more characters, so one kept password would otherwise keep the whole users file in memory.
 */
function detached(s: string): string {
  return s.length < 13 ? s : JSON.parse(JSON.stringify(s)) as string;
}

type RawItem =
  | { kind: 'hash' }
  | { kind: 'error'; error: string }
  | { kind: 'item'; name: string; op: Operator; value: string; raw: string; quote: Quote; next: 'EOL' | 'COMMA'; end: number };

/** `fr_pair_raw_from_str`: name, operator, value, and the look-ahead for `,` / `#` / end. */
function readRawItem(line: string, pos: number): RawItem {
  let p = pos;
  while (line[p] === ' ' || line[p] === '\t') p++;
  if (p >= line.length) return { kind: 'error', error: 'No token read where we expected an attribute name' };
  if (line[p] === '#') return { kind: 'hash' };

  const nameStart = p;
  while (p < line.length) {
    const c = line.charCodeAt(p);
    if (!isNameChar(c)) break;
    if (c === 0x3a && !isDigit(line.charCodeAt(p + 1))) break;
    p++;
    if (p - nameStart >= NAME_MAX) return { kind: 'error', error: 'Attribute name too long' };
  }
  const name = line.slice(nameStart, p);
  if (name === '') return { kind: 'error', error: 'Invalid attribute name' };

  const op = getThing(line, p, true, SMALL_MAX);
  if (op.kind !== 'OP') return { kind: 'error', error: 'Expecting operator' };

  const value = getThing(line, op.end, true, VALUE_MAX);
  if (value.kind === 'EOL') return { kind: 'error', error: 'Failed to get value' };

  const peek = getThing(line, value.end, true, SMALL_MAX);
  let next: 'EOL' | 'COMMA';
  let end = value.end;
  if (peek.kind === 'HASH' || peek.kind === 'EOL') next = 'EOL';
  else if (peek.kind === 'COMMA') { next = 'COMMA'; end = peek.end; }
  else return { kind: 'error', error: 'Expected end of line or comma' };

  let quote: Quote;
  if (value.kind === 'DQ') quote = '"';
  else if (value.kind === 'SQ') quote = "'";
  else if (value.kind === 'BQ') quote = '`';
  else if (value.kind === 'BARE') quote = '';
  else return { kind: 'error', error: `Failed to find expected value on right hand side in ${name}` };

  return { kind: 'item', name, op: op.text as Operator, value: value.text, raw: value.raw, quote, next, end };
}

/** 3.2.1: a double-quoted value is expanded per request when its FIRST '%' is followed by '{'. */
export function marksExpansion(text: string, quote: Quote): boolean {
  if (quote !== '"') return false;
  const i = text.indexOf('%');
  return i >= 0 && text[i + 1] === '{';
}

/**
 * `fr_pair_make`: resolves the name (tags, raw `Attr-N` forms), and converts the value for the
 * operator. `value` is the lexed text, `raw` the text as written between the quotes.
 */
export function makeItem(dict: Dictionary, name: string, op: Operator, value: string, raw: string, quote: Quote): Item {
  let attrName = name;
  let tag: number | undefined;
  let foundTag = false;
  const colon = name.lastIndexOf(':');
  if (colon >= 0) {
    const t = name.slice(colon + 1);
    if (t === '') throw new ValueError(`Invalid tag for attribute ${name}`);
    if (/^[0-9]/.test(t)) {
      const n = strtolBase0(t);
      if (n !== undefined && n >= 0 && n < 0x20) { tag = n; attrName = name.slice(0, colon); }
    } else {
      throw new ValueError(`Invalid tag for attribute ${name}`);
    }
    foundTag = true;
  }

  const expand = marksExpansion(value, quote);
  const def = attributeByName(dict, attrName);
  if (!def) return makeUnknownItem(dict, attrName, op, value, raw, quote, expand);
  // Measured on 3.2.1: a tag on an attribute without has_tag (Reply-Message:1) loads; it is ignored.
  if (!def.flags.hasTag) tag = undefined;

  // Merit-style tag in the value: ":1:value" (":*:" means any tag on the check side).
  let text = value;
  if (text[0] === ':' && def.flags.hasTag) {
    if (foundTag) throw new ValueError(`Duplicate tag ${text} for attribute ${def.name}`);
    if (text[1] === '*' && text[2] === ':') {
      tag = undefined;
      text = text.slice(3);
    } else {
      const m = /^:([0-9a-fA-Fx]+):/.exec(text);
      const n = m ? strtolBase0(m[1]!) : undefined;
      if (m && n !== undefined && n >= 0 && n < 0x20) { tag = n; text = text.slice(m[0].length); }
      else tag = 0;
    }
  }

  const item: Item = { attr: def, op, value: EMPTY, text: raw, quote, expand };
  if (tag !== undefined) item.tag = tag;

  if (op === '=*' || op === '!*') {
    item.expand = false;
    return item;
  }
  if (op === '=~' || op === '!~') {
    item.value = Buffer.from(text, 'utf8');
    if (!expand) {
      try {
        item.regex = compileRegex(text);
        // what FreeRADIUS really matches on octets (see regexTarget); the pattern as written compiled above
        if (regexTarget(def.dataType) === 'octets-hex') item.regex = compileRegex(octetsPattern(text));
      } catch (e) {
        const r = e as { offset?: number; message: string };
        throw new ValueError(`Error at offset ${r.offset ?? 0} compiling regex for ${name}: Pattern compilation failed: ${r.message}`);
      }
    } else {
      checkExpansion(text, dict);
    }
    return item;
  }
  if (expand) {
    checkExpansion(text, dict);
    item.value = Buffer.from(text, 'utf8');
    return item;
  }
  item.value = cachedValue(def, text, quote);
  return item;
}

/** Name lookups of one dictionary, cached by the exact spelling (files repeat a few names). */
const nameCache = new WeakMap<Dictionary, Map<string, AttributeDef | null>>();

function attributeByName(dict: Dictionary, name: string): AttributeDef | undefined {
  let cache = nameCache.get(dict);
  if (!cache) nameCache.set(dict, (cache = new Map()));
  let def = cache.get(name);
  if (def === undefined) {
    def = dict.attributeByName(name) ?? null;
    if (cache.size < 10_000) cache.set(detached(name), def);
  }
  return def ?? undefined;
}

/** Converted values, shared between items (values are never mutated); bounded per attribute. */
const valueCache = new WeakMap<AttributeDef, Map<string, Buffer>>();

function cachedValue(def: AttributeDef, text: string, quote: Quote): Buffer {
  let cache = valueCache.get(def);
  if (!cache) valueCache.set(def, (cache = new Map()));
  let v = cache.get(text);
  if (!v) {
    v = parseValue(def, text, quote);
    if (cache.size < 4096) cache.set(detached(text), v);
  }
  return v;
}

const EMPTY = Buffer.alloc(0);

/** An attribute written in a raw form: the value must be hex; known numbers become that attribute. */
function makeUnknownItem(
  dict: Dictionary, name: string, op: Operator, value: string, raw: string, quote: Quote, expand: boolean,
): Item {
  const { vendorId, type } = parseRawAttributeName(dict, name);
  if (expand) {
    checkExpansion(value, dict);
    return { attr: dict.attributeByCode(vendorId, type) ?? unknownAttributeDef(vendorId, type), op, value: Buffer.from(value, 'utf8'), text: raw, quote, expand, attrText: name };
  }
  if (!/^0x/i.test(value)) throw new ValueError(`Unknown attribute "${name}" requires a hex string, not "${value}"`);
  const hex = value.slice(2);
  let bytes: Buffer;
  try {
    bytes = parseHexDigits(hex.length % 2 ? hex.slice(0, -1) : hex);
  } catch {
    throw new ValueError('Invalid hex string');
  }
  if (hex.length % 2) throw new ValueError('Invalid hex string');
  const known = dict.attributeByCode(vendorId, type);
  const def = known && validWireLength(known, bytes.length) ? known : unknownAttributeDef(vendorId, type);
  const item: Item = { attr: def, op, value: bytes, text: raw, quote, expand: false, attrText: name };
  if (op === '=~' || op === '!~') {
    try {
      item.regex = compileRegex(value);
    } catch (e) {
      throw new ValueError(`Error at offset 0 compiling regex for ${name}: Pattern compilation failed: ${(e as Error).message}`);
    }
  }
  return item;
}

/** strtol(s, &end, 0) that must consume the whole string; undefined otherwise. */
function strtolBase0(s: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9][0-9]*$/.test(s)) return Number(s);
  return undefined;
}
