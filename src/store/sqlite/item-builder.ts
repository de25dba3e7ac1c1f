import type { AttributeDef } from '../../protocol/dictionary.js';
import { parseValue } from '../../protocol/values.js';
import type { Item, Operator, Quote } from '../../policy/entry.js';

/**
 * Builds an evaluator `Item` from its written parts (attribute, operator, value text as written,
 * quote, tag), applying the FreeRADIUS 3.2.1 rules the users-file parser applies: value conversion
 * by type, `%{` expansion only in double-quoted values whose first `%` opens `{`, regex patterns
 * compiled at load, presence operators (`=*`, `!*`) ignore their value.
 */
export function buildItem(def: AttributeDef, op: Operator, text: string, quote: Quote, tag?: number): Item {
  const item: Item = { attr: def, op, value: Buffer.alloc(0), text, quote, expand: false };
  if (tag !== undefined) item.tag = tag;
  if (op === '=*' || op === '!*') return item;
  if (op === '=~' || op === '!~') {
    item.value = Buffer.from(text, 'utf8');
    item.regex = new RegExp(text);
    return item;
  }
  const pct = text.indexOf('%');
  item.expand = quote === '"' && pct >= 0 && text[pct + 1] === '{';
  item.value = parseValue(def, lexed(text, quote), quote);
  return item;
}

/** The lexer stage of a quoted value: `\<quote>` becomes the quote; other pairs stay as written. */
function lexed(text: string, quote: Quote): string {
  if (quote === '' || !text.includes('\\')) return text;
  return text.replace(/\\([\s\S])/g, (pair, c: string) => (c === quote ? quote : pair));
}
