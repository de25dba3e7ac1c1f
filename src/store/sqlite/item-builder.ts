import type { Dictionary } from '../../protocol/dictionary.js';
import { rawAttributeName } from '../../protocol/values.js';
import type { Item } from '../../policy/entry.js';
import { makeItem } from '../../policy/users-item.js';
import { getThing } from '../../policy/users-lexer.js';
import type { StoredItem } from './stored-entry.js';

/** Longest value the users-file lexer reads (its C buffer). */
const VALUE_MAX = 1024;

/**
 * Builds the evaluator `Item` of a stored item with the users-file parser's own functions (the
 * lexer for the quoted text, then `makeItem`), so a value means exactly what it means in a file:
 * same escapes, `%{` expansion marks, regex translation, tags and raw `Attr-N` forms.
 */
export function buildItem(dict: Dictionary, stored: StoredItem): Item {
  const { text, quote } = stored;
  // The lexer gives back a quoted word unchanged when it holds no quote and no backslash and
  // fits its buffer (most values: every password); skip building and lexing `"text"` then.
  const lexed = quote === '' || (text.length < VALUE_MAX - 1 && !text.includes(quote) && !text.includes('\\'))
    ? text
    : getThing(`${quote}${text}${quote}`, 0, false, VALUE_MAX).text;
  return makeItem(dict, writtenName(dict, stored, lexed), stored.op, lexed, text, quote);
}

/** `Attr:tag` unless the tag travels Merit-style at the start of the value (`":1:100"`). */
function writtenName(dict: Dictionary, stored: StoredItem, lexed: string): string {
  if (stored.tag === undefined) return stored.attribute;
  const def = dict.attributeByName(stored.attribute);
  if (def?.flags.hasTag && lexed.startsWith(':')) return stored.attribute;
  return `${stored.attribute}:${stored.tag}`;
}

/**
 * The stored form of a parsed item: the attribute's dictionary name, the value text as written.
 * When the dictionary name would not give back the same value (an item written in a raw form,
 * `Attr-26.9.1 = 0x4142`, whose value is hex), the raw name is kept instead, so import and export
 * stay lossless.
 */
export function storedItemOf(dict: Dictionary, item: Item): StoredItem {
  const s: StoredItem = { attribute: item.attr.name, op: item.op, text: item.text, quote: item.quote };
  if (item.tag !== undefined) s.tag = item.tag;
  let same = false;
  try {
    const again = buildItem(dict, s);
    same = again.attr === item.attr && again.value.equals(item.value) && again.tag === item.tag;
  } catch {
    same = false;
  }
  if (!same) s.attribute = rawAttributeName(item.attr.vendorId, item.attr.type);
  return s;
}
