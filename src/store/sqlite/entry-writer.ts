import { POSITION_STEP, type SqliteDatabase } from './schema.js';
import type { StoredEntry, StoredItem } from './stored-entry.js';

/**
 * Row-level writes of the store. Callers wrap a whole command in one transaction
 * (`db.transaction(...)`), so readers see either none or all of it.
 */
export class EntryWriter {
  private readonly insertEntryStmt;
  private readonly insertItemStmt;
  private readonly deleteItemsStmt;
  private readonly deleteEntryStmt;
  private readonly updateEntryStmt;
  private readonly maxPositionStmt;
  private readonly prevPositionStmt;
  private readonly positionOfStmt;

  constructor(private readonly db: SqliteDatabase) {
    this.insertEntryStmt = db.prepare(
      'INSERT INTO entries (position, name, fall_through, valid, origin) VALUES (?, ?, ?, ?, ?)',
    );
    this.insertItemStmt = db.prepare(
      'INSERT INTO items (entry_id, list, idx, attribute, op, value_text, quote, tag) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.deleteItemsStmt = db.prepare('DELETE FROM items WHERE entry_id = ?');
    this.deleteEntryStmt = db.prepare('DELETE FROM entries WHERE id = ?');
    this.updateEntryStmt = db.prepare(
      "UPDATE entries SET fall_through = ?, valid = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
    );
    this.maxPositionStmt = db.prepare('SELECT max(position) AS p FROM entries');
    this.positionOfStmt = db.prepare('SELECT position FROM entries WHERE id = ?');
    this.prevPositionStmt = db.prepare(
      'SELECT max(position) AS p FROM entries WHERE position < ?',
    );
  }

  /** Appends an entry after every other one; returns its id. */
  append(entry: StoredEntry): number {
    const max = (this.maxPositionStmt.get() as { p: number | null }).p ?? 0;
    return this.insertAt(entry, max + POSITION_STEP);
  }

  /**
   * Inserts an entry immediately before the entry `beforeId` (the global order of entries is the
   * users-file order, so this is "the line above"); returns the new id.
   */
  insertBefore(entry: StoredEntry, beforeId: number): number {
    let [prev, next] = this.gapBefore(beforeId);
    if (next - prev < 2) {
      this.renumber();
      [prev, next] = this.gapBefore(beforeId);
    }
    return this.insertAt(entry, prev + Math.floor((next - prev) / 2));
  }

  private gapBefore(id: number): [number, number] {
    const next = (this.positionOfStmt.get(id) as { position: number } | undefined)?.position;
    if (next === undefined) throw new Error(`no entry with id ${id}`);
    const prev = (this.prevPositionStmt.get(next) as { p: number | null }).p ?? next - 2 * POSITION_STEP;
    return [prev, next];
  }

  /** Replaces an entry's items and flags, keeping its id and position. */
  replace(entry: StoredEntry): void {
    this.deleteItemsStmt.run(entry.id);
    this.insertItems(entry.id, entry);
    this.updateEntryStmt.run(entry.fallThrough ? 1 : 0, entry.valid ? 1 : 0, entry.id);
  }

  /** Sets the Valid flag of the given entries. */
  setValid(ids: readonly number[], valid: boolean): void {
    const stmt = this.db.prepare(
      "UPDATE entries SET valid = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
    );
    for (const id of ids) stmt.run(valid ? 1 : 0, id);
  }

  /** Deletes entries (their items go with them). */
  delete(ids: readonly number[]): void {
    for (const id of ids) this.deleteEntryStmt.run(id);
  }

  /** Deletes every entry. */
  deleteAll(): void {
    this.db.exec('DELETE FROM items; DELETE FROM entries;');
  }

  private insertAt(entry: StoredEntry, position: number): number {
    const r = this.insertEntryStmt.run(
      position,
      entry.name,
      entry.fallThrough ? 1 : 0,
      entry.valid ? 1 : 0,
      entry.origin ?? null,
    );
    const id = Number(r.lastInsertRowid);
    this.insertItems(id, entry);
    return id;
  }

  private insertItems(id: number, entry: StoredEntry): void {
    const put = (list: 'check' | 'reply', items: readonly StoredItem[]) => {
      items.forEach((it, idx) => {
        this.insertItemStmt.run(id, list, idx, it.attribute, it.op, it.text, it.quote, it.tag ?? null);
      });
    };
    put('check', entry.check);
    put('reply', entry.reply);
  }

  /** Spreads positions out again (rare: only when a gap is used up by repeated inserts). */
  private renumber(): void {
    this.db.exec(`
      CREATE TEMP TABLE IF NOT EXISTS renumber (id INTEGER PRIMARY KEY, rn INTEGER);
      DELETE FROM temp.renumber;
      INSERT INTO temp.renumber SELECT id, ROW_NUMBER() OVER (ORDER BY position, id) FROM entries;
      UPDATE entries SET position = (SELECT rn FROM temp.renumber r WHERE r.id = entries.id) * ${POSITION_STEP};
      DELETE FROM temp.renumber;
    `);
  }
}
