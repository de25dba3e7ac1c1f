import type { Dictionary } from '../protocol/dictionary.js';
import { ValueError } from '../protocol/values.js';
import { OPERATORS, type Item, type Operator } from './entry.js';
import { getThing } from './users-lexer.js';
import { isFallThrough, makeItem } from './users-item.js';

/**
 * One row of FreeRADIUS's radcheck / radreply / radgroupcheck / radgroupreply tables turned into
 * an item, the way rlm_sql 3.2.1 does it (`sql_fr_pair_list_afrom_str`, src/modules/rlm_sql/sql.c):
 * - the attribute must be non-empty; names resolve like the users file (case-insensitive, tags,
 *   raw `Attr-N` forms); an unknown name is an error;
 * - `op` must be an assignment or comparison operator; an empty op means `==` (FreeRADIUS
 *   warns "You MUST FIX THIS");
 * - a value wholly inside matching quotes ('...', "...") is unquoted first; then it is converted
 *   as a double-quoted string would be (escapes processed), never expanded (%{...} stays text).
 * Deliberate differences, both errors here: a wholly back-quoted value (FreeRADIUS runs it as an
 * expansion per request) and an empty value for a vendor attribute (the Vutlan device mishandles
 * empty attributes, see the users-file parser).
 */

/** A row as read from the table (columns of the stock queries). */
export interface SqlRow {
  id: number;
  /** UserName or GroupName. */
  name: string;
  attribute: string | null;
  op: string | null;
  value: string | null;
}

const ASSIGNMENT_OR_COMPARISON = new Set<string>(OPERATORS);

/** Converts a row; throws ValueError with what is wrong and how to fix it. */
export function sqlRowItem(dict: Dictionary, row: SqlRow): Item {
  const attribute = row.attribute ?? '';
  if (attribute === '') throw new ValueError('the attribute column is empty; give the attribute name (e.g. Cleartext-Password)');
  let op: Operator = '==';
  const opText = (row.op ?? '').trim();
  if (opText !== '') {
    if (!ASSIGNMENT_OR_COMPARISON.has(opText)) throw new ValueError(`invalid op "${row.op}" for attribute ${attribute}; use one of ${OPERATORS.join(' ')}`);
    op = opText as Operator;
  }
  if (row.value === null) throw new ValueError(`the value column is NULL for attribute ${attribute}`);
  let value = row.value;
  const q = value[0];
  if (value.length >= 2 && (q === "'" || q === '"' || q === '`') && value[value.length - 1] === q) {
    if (q === '`') throw new ValueError(`back-quoted value of ${attribute}: expansions in SQL values are not supported by vutlan-radius; store the plain value`);
    const t = getThing(value, 0, false, 1024);
    if (t.kind === 'DQ' || t.kind === 'SQ') value = t.text;
  }
  let item: Item;
  try {
    // bare ('' quote): no %{...} expansion; parseValue processes escapes like "..." anyway
    item = makeItem(dict, attribute, op, value, value, '');
  } catch (e) {
    if (e instanceof ValueError && /^Unknown attribute|^Invalid|requires a hex/.test(e.message)) {
      throw new ValueError(`${e.message} (attribute "${attribute}"); add it to the dictionary or fix the name`);
    }
    throw e;
  }
  if (item.attr.vendorId !== 0 && item.value.length === 0 && op !== '!*' && op !== '=*') {
    throw new ValueError(`empty value for vendor attribute ${item.attr.name}: vutlan-radius refuses empty vendor attributes because the Vutlan device mishandles them; delete the row or give it a value`);
  }
  return item;
}

/** What `fall_through()` finds in a list of reply rows: the first Fall-Through row decides. */
export type FallThrough = 'yes' | 'no' | 'default';

/** Parsed rows of one user or group in one table, in id order; `error` when a row did not parse. */
export interface RowSet {
  items: readonly Item[];
  /** For reply tables: the first Fall-Through row's value. */
  fallThrough: FallThrough;
  /** `table row id N: message` of the first row that did not parse: using the set fails the request. */
  error?: string;
}

export const EMPTY_ROWS: RowSet = Object.freeze({ items: Object.freeze([]) as readonly Item[], fallThrough: 'default' as const });

/** Parses the rows of one user or group (already in id order) of `table`. */
export function rowSet(dict: Dictionary, table: string, rows: readonly SqlRow[]): RowSet {
  if (rows.length === 0) return EMPTY_ROWS;
  const items: Item[] = [];
  let fallThrough: FallThrough = 'default';
  let sawFallThrough = false;
  for (const row of rows) {
    let item: Item;
    try {
      item = sqlRowItem(dict, row);
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      return { items, fallThrough, error: `${table} row id ${row.id} (${row.name}): ${e.message}` };
    }
    if (isFallThrough(item.attr)) {
      if (!sawFallThrough) {
        sawFallThrough = true;
        fallThrough = item.value.length === 4 && item.value.readUInt32BE(0) === 1 ? 'yes' : 'no';
      }
      continue;
    }
    items.push(item);
  }
  return { items, fallThrough };
}

/**
 * rlm_sql's `sql_escape_func` with the default `safe_characters`: every byte outside
 * `@a-zA-Z0-9.-_: /` (and every control character) of a single-byte character becomes `=XX`;
 * multi-byte UTF-8 characters pass unchanged. The user name and the group names are escaped this
 * way before they are put into the queries, so `o'brien` looks up the rows of `o=27brien`.
 */
export function sqlEscape(name: string): string {
  let safe = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80 || !isSafe(c)) { safe = false; break; }
  }
  if (safe) return name;
  const bytes = Buffer.from(name, 'utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = utf8Length(bytes, i);
    if (len > 1) {
      out += bytes.subarray(i, i + len).toString('utf8');
      i += len;
      continue;
    }
    out += b >= 0x20 && b < 0x80 && isSafe(b) ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, '0')}`;
    i++;
  }
  return out;
}

function isSafe(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
    c === 0x40 || c === 0x2e || c === 0x2d || c === 0x5f || c === 0x3a || c === 0x20 || c === 0x2f;
}

/** Length of the valid multi-byte UTF-8 character at `i` (fr_utf8_char), 1 for anything else. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  const cont = (k: number) => i + k < b.length && (b[i + k]! & 0xc0) === 0x80;
  if (c >= 0xc2 && c <= 0xdf && cont(1)) return 2;
  if (c >= 0xe0 && c <= 0xef && cont(1) && cont(2)) return 3;
  if (c >= 0xf0 && c <= 0xf4 && cont(1) && cont(2) && cont(3)) return 4;
  return 1;
}
