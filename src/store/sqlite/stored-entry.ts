import type { Dictionary } from '../../protocol/dictionary.js';
import type { Entry, Operator, Quote } from '../../policy/entry.js';
import { storedItemOf } from './item-builder.js';
import type { SqliteDatabase } from './schema.js';

/**
 * An entry as the store keeps it: the items as written (attribute name, operator, value text,
 * quote, tag), not yet resolved against a dictionary. This is what `import` writes, `export`
 * prints and the source decodes into the evaluator's `Entry`.
 */
export interface StoredItem {
  attribute: string;
  op: Operator;
  /** The value exactly as written between its quotes (before escapes). */
  text: string;
  quote: Quote;
  tag?: number;
}

export interface StoredEntry {
  /** Row id; 0 for an entry not yet written. */
  id: number;
  position: number;
  name: string;
  fallThrough: boolean;
  /** False when disabled: kept in the store but never matched nor exported. */
  valid: boolean;
  /** Where it came from (`file:line` of an import), informational. */
  origin?: string;
  check: StoredItem[];
  reply: StoredItem[];
}

/** The stored form of a parsed entry (from a users file), valid, not yet positioned. */
export function storedEntryFromEntry(dict: Dictionary, entry: Entry): StoredEntry {
  return {
    id: 0,
    position: 0,
    name: entry.name,
    fallThrough: entry.fallThrough,
    valid: true,
    origin: entry.origin.line > 0 ? `${entry.origin.file}:${entry.origin.line}` : entry.origin.file,
    check: entry.check.map((it) => storedItemOf(dict, it)),
    reply: entry.reply.map((it) => storedItemOf(dict, it)),
  };
}

/** One row of the entries x items join, in (position, id, list, idx) order. */
export interface EntryItemRow {
  id: number;
  position: number;
  name: string;
  fall_through: number;
  valid: number;
  origin: string | null;
  list: 'check' | 'reply' | null;
  attribute: string | null;
  op: string | null;
  value_text: string | null;
  quote: string | null;
  tag: number | null;
}

/** Columns of the join that `groupRows` expects; `e` is entries, `i` is items (LEFT JOIN). */
export const ENTRY_ITEM_COLUMNS =
  'e.id, e.position, e.name, e.fall_through, e.valid, e.origin, i.list, i.attribute, i.op, i.value_text, i.quote, i.tag';

/** ORDER BY that keeps an entry's rows together and items in list order. */
export const ENTRY_ITEM_ORDER = 'ORDER BY e.position, e.id, i.list, i.idx';

/** Folds join rows (ordered by ENTRY_ITEM_ORDER) into entries. */
export function groupRows(rows: Iterable<EntryItemRow>): StoredEntry[] {
  const out: StoredEntry[] = [];
  let cur: StoredEntry | undefined;
  for (const r of rows) {
    if (!cur || cur.id !== r.id) {
      cur = {
        id: r.id,
        position: r.position,
        name: r.name,
        fallThrough: r.fall_through === 1,
        valid: r.valid === 1,
        check: [],
        reply: [],
      };
      if (r.origin !== null) cur.origin = r.origin;
      out.push(cur);
    }
    if (r.list === null) continue;
    const item: StoredItem = {
      attribute: r.attribute!,
      op: r.op as Operator,
      text: r.value_text!,
      quote: r.quote as Quote,
    };
    if (r.tag !== null) item.tag = r.tag;
    (r.list === 'check' ? cur.check : cur.reply).push(item);
  }
  return out;
}

/** Every entry of the store (valid and disabled) in order. */
export function readAllEntries(db: SqliteDatabase): StoredEntry[] {
  const rows = db
    .prepare(`SELECT ${ENTRY_ITEM_COLUMNS} FROM entries e LEFT JOIN items i ON i.entry_id = e.id ${ENTRY_ITEM_ORDER}`)
    .iterate() as Iterable<EntryItemRow>;
  return groupRows(rows);
}

/** Entries named `name` (valid and disabled) in order. */
export function readEntriesNamed(db: SqliteDatabase, name: string): StoredEntry[] {
  const rows = db
    .prepare(
      `SELECT ${ENTRY_ITEM_COLUMNS} FROM entries e LEFT JOIN items i ON i.entry_id = e.id WHERE e.name = ? ${ENTRY_ITEM_ORDER}`,
    )
    .all(name) as EntryItemRow[];
  return groupRows(rows);
}
