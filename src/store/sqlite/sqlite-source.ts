import type { Dictionary } from '../../protocol/dictionary.js';
import type { Entry } from '../../policy/entry.js';
import type { UserSource } from '../source.js';
import { EntryDecoder } from './entry-decoder.js';
import { openStoreDatabase, type SqliteDatabase } from './schema.js';

/** Columns of an entries row as the request path reads it (raw rows: no object per row). */
type EntryRow = [id: number, position: number, name: string, fallThrough: number, itemsJson: string];

const ENTRY_COLUMNS = 'id, position, name, fall_through, items_json';

export interface SqliteSourceOptions {
  /** Most user names whose decoded entries are kept (default 100,000). */
  cacheSize?: number;
  /** Milliseconds to wait when a writer holds the lock (default 5000). */
  busyTimeoutMs?: number;
  /** Bytes of the file to memory-map for reads (default 256 MiB; 0 = off). */
  mmapBytes?: number;
}

/**
 * The SQLite store as a `UserSource`.
 *
 * Live changes: `PRAGMA data_version` changes whenever another connection (the `users` CLI, any
 * SQLite writer) commits. Every lookup compares it with the version its cache was filled at and
 * drops the cache when it moved, so the next request after a commit sees the new content without
 * restart or reload. A cache miss reads the user's rows and the DEFAULT rows inside one read
 * transaction (one WAL snapshot), so a lookup never sees half of a change.
 *
 * Cost: a hit is one prepared `PRAGMA data_version` step and a Map read; a miss is one indexed
 * range read on `entries(name, position)` plus the items of those entries.
 */
export class SqliteUserSource implements UserSource {
  readonly name: string;
  private readonly db: SqliteDatabase;
  private readonly decoder: EntryDecoder;
  private readonly dataVersionStmt;
  private readonly byNameStmt;
  private readonly defaultsStmt;
  private readonly allStmt;
  private readonly beginStmt;
  private readonly commitStmt;
  private readonly rollbackStmt;
  private readonly cacheSize: number;
  private cachedVersion = -1;
  private defaults: Ordered | undefined;
  /**
   * Decoded entries by user name in two generations: new names go into `recent`; when it holds
   * half the cache it becomes `older` and the previous `older` is dropped whole. A hit in `older`
   * moves the name back to `recent`. Close to least-recently-used, and eviction costs one Map
   * swap instead of deleting names one by one (under a user count far above the cache size
   * every lookup misses, and per-name eviction was a tenth of the miss cost).
   */
  private recent = new Map<string, readonly Entry[]>();
  private older = new Map<string, readonly Entry[]>();

  /** Opens the database (creating and migrating it if needed) and prepares every statement once. */
  constructor(readonly path: string, dict: Dictionary, opts: SqliteSourceOptions = {}) {
    this.name = `sqlite:${path}`;
    this.db = openStoreDatabase(path, opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {});
    this.decoder = new EntryDecoder(dict, this.name);
    this.cacheSize = opts.cacheSize ?? 100_000;
    this.dataVersionStmt = this.db.prepare('PRAGMA data_version').pluck();
    // Readers may map the file and keep more pages: lookups then cost no system call.
    this.db.pragma(`mmap_size = ${opts.mmapBytes ?? 256 * 1024 * 1024}`);
    this.db.pragma('cache_size = -65536');
    const select = `SELECT ${ENTRY_COLUMNS} FROM entries`;
    this.byNameStmt = this.db.prepare(`${select} WHERE name = ? AND valid = 1 ORDER BY position, id`).raw();
    this.defaultsStmt = this.db.prepare(`${select} WHERE name = 'DEFAULT' AND valid = 1 ORDER BY position, id`).raw();
    this.allStmt = this.db.prepare(`${select} WHERE valid = 1 ORDER BY position, id`).raw();
    this.beginStmt = this.db.prepare('BEGIN');
    this.commitStmt = this.db.prepare('COMMIT');
    this.rollbackStmt = this.db.prepare('ROLLBACK');
  }

  /** That user's valid entries and every valid DEFAULT entry, merged in store order. */
  lookup(userName: string): readonly Entry[] {
    const version = this.dataVersionStmt.get() as number;
    if (version === this.cachedVersion) {
      const hit = this.recent.get(userName);
      if (hit) return hit;
      const old = this.older.get(userName);
      if (old) {
        this.older.delete(userName);
        this.remember(userName, old);
        return old;
      }
    }
    return this.readThrough(userName, version);
  }

  /**
   * Decodes every valid entry, so a bad row (unknown attribute, bad value) is reported at start
   * or by `check` rather than by the first request that reaches it. Returns one message per bad row.
   */
  validate(): string[] {
    const problems: string[] = [];
    for (const [id, , name, fallThrough, itemsJson] of this.allStmt.iterate() as Iterable<EntryRow>) {
      try {
        this.decoder.decodeRow(id, name, fallThrough === 1, itemsJson);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    return problems;
  }

  close(): void {
    this.recent.clear();
    this.older.clear();
    this.defaults = undefined;
    if (this.db.open) this.db.close();
  }

  /**
   * Reads the user's rows (and the DEFAULT rows when not cached) from one snapshot. Fast path: one
   * autocommit statement between two data_version reads; if they differ, another connection
   * committed meanwhile and the read is redone inside an explicit read transaction.
   */
  private readThrough(userName: string, before: number): readonly Entry[] {
    this.syncVersion(before);
    if (this.defaults !== undefined) {
      const rows = this.byNameStmt.all(userName) as EntryRow[];
      if ((this.dataVersionStmt.get() as number) === before) return this.finish(userName, rows);
    }
    this.beginStmt.run();
    try {
      // Inside the read transaction: the version of the snapshot the reads below see.
      this.syncVersion(this.dataVersionStmt.get() as number);
      const rows = this.byNameStmt.all(userName) as EntryRow[];
      if (this.defaults === undefined) this.defaults = this.decodeRows(this.defaultsStmt.all() as EntryRow[]);
      this.commitStmt.run();
      return this.finish(userName, rows);
    } catch (err) {
      if (this.db.inTransaction) this.rollbackStmt.run();
      throw err;
    }
  }

  private syncVersion(version: number): void {
    if (version !== this.cachedVersion) {
      this.recent = new Map();
      this.older = new Map();
      this.defaults = undefined;
      this.cachedVersion = version;
    }
  }

  private finish(userName: string, rows: EntryRow[]): readonly Entry[] {
    // A user called DEFAULT gets the DEFAULT entries once, as from the files source.
    if (userName === 'DEFAULT') rows = [];
    const merged = mergeByPosition(this.decodeRows(rows), this.defaults!);
    this.remember(userName, merged);
    return merged;
  }

  private decodeRows(rows: EntryRow[]): Ordered {
    return {
      entries: rows.map(([id, , name, fallThrough, itemsJson]) => this.decoder.decodeRow(id, name, fallThrough === 1, itemsJson)),
      positions: rows.map((r) => r[1]),
      ids: rows.map((r) => r[0]),
    };
  }

  private remember(userName: string, entries: readonly Entry[]): void {
    if (this.cacheSize <= 0) return;
    if (this.recent.size >= Math.max(1, Math.floor(this.cacheSize / 2))) {
      this.older = this.recent;
      this.recent = new Map();
    }
    this.recent.set(userName, entries);
  }
}

/** Decoded entries with their (position, id) store order keys. */
interface Ordered {
  entries: Entry[];
  positions: number[];
  ids: number[];
}

function before(a: Ordered, i: number, b: Ordered, j: number): boolean {
  const pa = a.positions[i]!;
  const pb = b.positions[j]!;
  return pa < pb || (pa === pb && a.ids[i]! < b.ids[j]!);
}

/** Merges two store-ordered lists (a user's entries, the DEFAULT entries) into store order. */
function mergeByPosition(a: Ordered, b: Ordered): readonly Entry[] {
  if (b.entries.length === 0) return a.entries;
  if (a.entries.length === 0) return b.entries;
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.entries.length && j < b.entries.length) out.push(before(a, i, b, j) ? a.entries[i++]! : b.entries[j++]!);
  while (i < a.entries.length) out.push(a.entries[i++]!);
  while (j < b.entries.length) out.push(b.entries[j++]!);
  return out;
}
