import { statSync } from 'node:fs';
import { hashCostProblems } from '../../policy/passwords/hash-cost.js';
import type { Dictionary } from '../../protocol/dictionary.js';
import type { Entry } from '../../policy/entry.js';
import type { UserSource } from '../source.js';
import { finish, type Steps } from '../../policy/steps.js';
import type { UsersProblem } from '../../policy/users-parser.js';
import { usersWarnings } from '../../policy/users-warnings.js';
import { doubled } from '../files-source.js';
import { Doorkeeper } from './doorkeeper.js';
import { EntryDecoder } from './entry-decoder.js';
import { openStoreDatabase, type SqliteDatabase } from './schema.js';

/** Decoded users kept when `users.sqlite_cache` is not set. */
export const DEFAULT_CACHE_SIZE = 100_000;

/** Columns of an entries row as the request path reads it (raw rows: no object per row). */
type EntryRow = [id: number, position: number, name: string, fallThrough: number, itemsJson: string];

const ENTRY_COLUMNS = 'id, position, name, fall_through, items_json';

/**
 * One user's valid rows in store order. `CAST(? AS TEXT)`, not a bare `?`: SQLite built with
 * STAT4 (better-sqlite3 is) re-plans a statement on every new binding of a parameter compared
 * with an indexed column once ANALYZE has filled sqlite_stat4 (the bulk import runs it). That
 * re-plan (parse + planner) was about 5.5 of the 9.5 us the SELECT took at 1M users; the plan
 * stays the same index search on entries_by_name.
 */
export const BY_NAME_SQL = `SELECT ${ENTRY_COLUMNS} FROM entries WHERE name = CAST(? AS TEXT) AND valid = 1 ORDER BY position, id`;

export interface SqliteSourceOptions {
  /** Most user names whose decoded entries are kept (default 100,000). */
  cacheSize?: number;
  /** Milliseconds to wait when a writer holds the lock (default 5000). */
  busyTimeoutMs?: number;
  /** Bytes of the file to memory-map for reads (default and most: 2 GiB, SQLite's limit; 0 = off). */
  mmapBytes?: number;
  /** Open read-only: the file must exist and is neither created nor migrated (`check`). */
  readonly?: boolean;
}

/**
 * A 1,000,000-user store is about 680 MB: mapping all of it (address space, not memory: the
 * pages are the OS file cache, shared by the workers) lets a lookup of any user read its pages
 * without a read() call. Measured at 1M users, users in random order: 13.1 -> 11.7 us per miss
 * against a 256 MiB map; in store order, within noise.
 */
const DEFAULT_MMAP_BYTES = 0x7fff0000;

/**
 * The SQLite store as a `UserSource`.
 *
 * Live changes: `PRAGMA data_version` changes whenever another connection (the `users` CLI, any
 * SQLite writer) commits. Every lookup compares it with the version its cache was filled at and
 * drops the cache when it moved, so the next request after a commit sees the new content without
 * restart or reload. A cache miss reads the version, the user's rows and (when the version moved)
 * the DEFAULT rows inside one read transaction (one WAL snapshot), so a lookup never sees half of
 * a change.
 *
 * Cost: a hit is a Map read and one prepared `PRAGMA data_version` step; a miss is one read
 * transaction (BEGIN, data_version, one indexed range read on `entries(name, position)`, COMMIT)
 * and decoding the rows.
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
  /** Most user names kept decoded (`users.sqlite_cache`). */
  readonly cacheSize: number;
  private holders = 1;
  /** Device and inode of the file opened. */
  private readonly opened: string | undefined;
  /**
   * The data_version every cached list (and `defaults`) was read at: a read that sees another
   * version drops them all first, so they always come from one state of the store.
   */
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
  /** Names missed recently: a user is kept from its second miss on (see Doorkeeper). */
  private readonly doorkeeper: Doorkeeper;

  /** Opens the database (creating and migrating it if needed) and prepares every statement once. */
  constructor(readonly path: string, dict: Dictionary, opts: SqliteSourceOptions = {}) {
    this.name = `sqlite:${path}`;
    this.db = openStoreDatabase(path, {
      ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}),
      ...(opts.readonly ? { readonly: true } : {}),
    });
    this.opened = fileIdentity(path);
    this.decoder = new EntryDecoder(dict, this.name);
    this.cacheSize = opts.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.doorkeeper = new Doorkeeper(this.cacheSize);
    this.dataVersionStmt = this.db.prepare('PRAGMA data_version').pluck();
    // Readers may map the file and keep more pages: lookups then cost no system call.
    this.db.pragma(`mmap_size = ${opts.mmapBytes ?? DEFAULT_MMAP_BYTES}`);
    this.db.pragma('cache_size = -65536');
    const select = `SELECT ${ENTRY_COLUMNS} FROM entries`;
    this.byNameStmt = this.db.prepare(BY_NAME_SQL).raw();
    this.defaultsStmt = this.db.prepare(`${select} WHERE name = 'DEFAULT' AND valid = 1 ORDER BY position, id`).raw();
    this.allStmt = this.db.prepare(`${select} WHERE valid = 1 ORDER BY position, id`).raw();
    this.beginStmt = this.db.prepare('BEGIN');
    this.commitStmt = this.db.prepare('COMMIT');
    this.rollbackStmt = this.db.prepare('ROLLBACK');
  }

  /** That user's valid entries and every valid DEFAULT entry, merged in store order. */
  lookup(userName: string): readonly Entry[] {
    let cached = this.recent.get(userName);
    if (cached === undefined) {
      cached = this.older.get(userName);
      if (cached !== undefined) {
        this.older.delete(userName);
        this.remember(userName, cached);
      }
    }
    // A hit is served only while the store is still at the version the cache was read at.
    if (cached !== undefined && (this.dataVersionStmt.get() as number) === this.cachedVersion) return cached;
    return this.readThrough(userName);
  }

  /**
   * Decodes every valid entry, so a bad row (unknown attribute, bad value) is reported at start
   * or by `check` rather than by the first request that reaches it. Returns one message per bad row.
   */
  validate(): string[] {
    return finish(this.validateSteps());
  }

  /**
   * `validate` in steps (see policy/steps.ts), yielding every 256 rows: a reload runs it between
   * requests (a 1,000,000-user store is seconds of decoding). The rows are read from one
   * snapshot; nothing else uses this connection until the source is in service. `warnings`, when
   * given, receives the rows' items that load but cannot match as written (users-warnings.ts).
   */
  *validateSteps(warnings?: UsersProblem[]): Steps<string[]> {
    const problems: string[] = [];
    let n = 0;
    for (const [id, , name, fallThrough, itemsJson] of this.allStmt.iterate() as Iterable<EntryRow>) {
      try {
        const entry = this.decoder.decodeRow(id, name, fallThrough === 1, itemsJson);
        for (const p of hashCostProblems([entry])) problems.push(`${p.file}: ${p.message}`);
        if (warnings) warnings.push(...usersWarnings([entry]));
      } catch (err) {
        problems.push((err as Error).message);
      }
      if ((++n & 255) === 0) yield;
    }
    return problems;
  }

  /** True while `path` is still the file this source opened (not replaced by another file). */
  stillAtPath(): boolean {
    return this.opened !== undefined && this.opened === fileIdentity(this.path);
  }

  /**
   * One more holder: a reload that finds the same store keeps this source (its cache, its
   * prepared statements) instead of opening it again; every holder calls `close` once and the
   * last one closes the database.
   */
  retain(): this {
    this.holders++;
    return this;
  }

  close(): void {
    if (--this.holders > 0) return;
    this.recent.clear();
    this.older.clear();
    this.defaults = undefined;
    if (this.db.open) this.db.close();
  }

  /**
   * Reads the user's rows (and the DEFAULT rows when the version moved) in one read transaction:
   * BEGIN takes no lock, the data_version step starts the read transaction (its WAL snapshot) and
   * reports that snapshot's version, and the SELECTs read the same snapshot. One read
   * transaction per miss instead of three (a data_version step before and after an autocommit
   * SELECT): each costs a shared lock and unlock on the WAL index (two fcntl calls) and
   * usually an fstat, about 1.5 us at 1M users.
   */
  private readThrough(userName: string): readonly Entry[] {
    let rows: EntryRow[];
    this.beginStmt.run();
    try {
      const version = this.dataVersionStmt.get() as number;
      if (version !== this.cachedVersion) {
        this.recent = new Map();
        this.older = new Map();
        this.defaults = undefined;
        this.cachedVersion = version;
      }
      // A user called DEFAULT gets the DEFAULT entries twice, as from the files source (doubled).
      rows = userName === 'DEFAULT' ? [] : (this.byNameStmt.all(userName) as EntryRow[]);
      if (this.defaults === undefined) this.defaults = this.decodeOrdered(this.defaultsStmt.all() as EntryRow[]);
      this.commitStmt.run();
    } catch (err) {
      if (this.db.inTransaction) this.rollbackStmt.run();
      throw err;
    }
    const merged = userName === 'DEFAULT' ? doubled(this.defaults.entries) : mergeByPosition(rows, this.decodeRows(rows, userName), this.defaults);
    if (this.doorkeeper.admit(userName)) this.remember(userName, merged);
    return merged;
  }

  /** `userName`, when given, is the rows' name (equal by the query): the cache key string is reused. */
  private decodeRows(rows: EntryRow[], userName?: string): Entry[] {
    const entries: Entry[] = new Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [id, , name, fallThrough, itemsJson] = rows[i]!;
      entries[i] = this.decoder.decodeRow(id, userName ?? name, fallThrough === 1, itemsJson);
    }
    return entries;
  }

  private decodeOrdered(rows: EntryRow[]): Ordered {
    return { entries: this.decodeRows(rows), positions: rows.map((r) => r[1]), ids: rows.map((r) => r[0]) };
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

/** Decoded DEFAULT entries with their (position, id) store order keys. */
interface Ordered {
  entries: Entry[];
  positions: number[];
  ids: number[];
}

/** Merges a user's rows (decoded as `entries`) and the DEFAULT entries into store order. */
function mergeByPosition(rows: EntryRow[], entries: Entry[], b: Ordered): readonly Entry[] {
  if (b.entries.length === 0) return entries;
  if (entries.length === 0) return b.entries;
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < entries.length && j < b.entries.length) {
    const pa = rows[i]![1];
    const pb = b.positions[j]!;
    const userFirst = pa < pb || (pa === pb && rows[i]![0] < b.ids[j]!);
    out.push(userFirst ? entries[i++]! : b.entries[j++]!);
  }
  while (i < entries.length) out.push(entries[i++]!);
  while (j < b.entries.length) out.push(b.entries[j++]!);
  return out;
}

function fileIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}
