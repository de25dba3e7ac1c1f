import { existsSync, readFileSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { createPrivateFile } from './private-file.js';

/**
 * The SQLite user store's schema and its migrations.
 *
 * The store holds the same entry model as a users file: `entries` (one row per users-file entry,
 * in global order) and `items` (its ordered check and reply items, as written). The `users` view
 * shows each entry as a person reads a device user profile: password, the Vutlan permission
 * lists, the NAS it is restricted to and its Valid flag.
 *
 * `PRAGMA user_version` is the schema version; `MIGRATIONS[i]` moves a database from version i
 * to i + 1. Opening a database applies the missing migrations in one transaction.
 */

/** Type of a better-sqlite3 connection, re-exported so callers need not import the package. */
export type SqliteDatabase = Database.Database;

/** Gap left between consecutive entry positions, so an entry can be inserted before another. */
export const POSITION_STEP = 1024;

const PERMISSION_COLUMNS: ReadonlyArray<[string, string]> = [
  ['sread', 'SRead'], ['swrite', 'SWrite'], ['cread', 'CRead'], ['cwrite', 'CWrite'],
  ['gread', 'GRead'], ['gwrite', 'GWrite'], ['rfu1', 'RFU1'], ['rfu2', 'RFU2'],
];

function replyValue(attribute: string): string {
  return `(SELECT value_text FROM items WHERE entry_id = e.id AND list = 'reply' AND attribute = '${attribute}' ORDER BY idx LIMIT 1)`;
}

/** Attributes FreeRADIUS pap/chap treat as a known-good password (control list). */
export const PASSWORD_ATTRIBUTES: readonly string[] = [
  'Cleartext-Password', 'Password-With-Header', 'Crypt-Password', 'MD5-Password', 'SMD5-Password',
  'SHA1-Password', 'SSHA1-Password', 'SHA2-Password', 'SSHA2-224-Password', 'SSHA2-256-Password',
  'SSHA2-384-Password', 'SSHA2-512-Password', 'PBKDF2-Password', 'NT-Password', 'LM-Password',
  'NS-MTA-MD5-Password',
];

const passwordList = PASSWORD_ATTRIBUTES.map((a) => `'${a}'`).join(', ');

const USERS_VIEW = `
CREATE VIEW users AS
SELECT
  e.id AS id,
  e.name AS name,
  e.valid AS valid,
  e.position AS position,
  (SELECT value_text FROM items WHERE entry_id = e.id AND list = 'check'
     AND attribute = 'NAS-IP-Address' AND op = '==' ORDER BY idx LIMIT 1) AS nas,
  (SELECT attribute FROM items WHERE entry_id = e.id AND list = 'check'
     AND attribute IN (${passwordList}) ORDER BY idx LIMIT 1) AS password_attribute,
  (SELECT value_text FROM items WHERE entry_id = e.id AND list = 'check'
     AND attribute IN (${passwordList}) ORDER BY idx LIMIT 1) AS password_value,
  ${PERMISSION_COLUMNS.map(([col, attr]) => `${replyValue(attr)} AS ${col}`).join(',\n  ')},
  e.fall_through AS fall_through
FROM entries e
WHERE e.is_default = 0
`;

/**
 * SQL that recomputes `entries.items_json` of entry `idExpr` from its items. The items are
 * ordered in a subquery, not with `json_group_array(... ORDER BY ...)`: aggregate ORDER BY needs
 * SQLite 3.44, and a trigger older SQLite cannot parse makes the whole file unreadable there
 * ("malformed database schema" in Debian 12's sqlite3 3.40 and Python's sqlite3). SQLite never
 * flattens an ordered subquery into an aggregate query, so the rows reach the aggregate in that
 * order (and the items primary key (entry_id, list, idx) yields that order anyway).
 */
export function itemsJsonUpdate(idExpr: string): string {
  return `UPDATE entries SET items_json = (
      SELECT coalesce(json_group_array(json_array(list, attribute, op, value_text, quote, tag)), '[]')
      FROM (SELECT list, attribute, op, value_text, quote, tag FROM items WHERE entry_id = ${idExpr} ORDER BY list, idx))
    WHERE id = ${idExpr};`;
}

function itemsJsonTriggers(update: (idExpr: string) => string): string {
  return `
  CREATE TRIGGER items_json_after_insert AFTER INSERT ON items BEGIN
    ${update('NEW.entry_id')}
  END;
  CREATE TRIGGER items_json_after_delete AFTER DELETE ON items BEGIN
    ${update('OLD.entry_id')}
  END;
  CREATE TRIGGER items_json_after_update AFTER UPDATE ON items BEGIN
    ${update('OLD.entry_id')}
    ${update('NEW.entry_id')}
  END;
`;
}

/**
 * Triggers that keep `entries.items_json` equal to the entry's items whoever writes them (the
 * CLI, a migration, the sqlite3 shell). Bulk loads drop and re-create them (see bulk.ts).
 */
export const ITEMS_JSON_TRIGGERS = itemsJsonTriggers(itemsJsonUpdate);

/** Schema version 1's triggers, frozen as released (aggregate ORDER BY: SQLite 3.44+ only). */
const V1_ITEMS_JSON_TRIGGERS = itemsJsonTriggers((idExpr) => `UPDATE entries SET items_json = (
      SELECT coalesce(json_group_array(json_array(list, attribute, op, value_text, quote, tag) ORDER BY list, idx), '[]')
      FROM items WHERE entry_id = ${idExpr})
    WHERE id = ${idExpr};`);

/** Migration i takes the database from user_version i to i + 1. Never edit a released step. */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE entries (
    id           INTEGER PRIMARY KEY,
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    is_default   INTEGER NOT NULL GENERATED ALWAYS AS (name = 'DEFAULT') VIRTUAL,
    fall_through INTEGER NOT NULL DEFAULT 0 CHECK (fall_through IN (0, 1)),
    valid        INTEGER NOT NULL DEFAULT 1 CHECK (valid IN (0, 1)),
    origin       TEXT,
    -- every item of the entry as JSON [[list, attribute, op, value_text, quote, tag], ...] in
    -- (list, idx) order, kept by the triggers below, so a lookup reads one row per entry
    items_json   TEXT    NOT NULL DEFAULT '[]',
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
  );
  CREATE INDEX entries_by_name ON entries (name, position);
  CREATE INDEX entries_by_position ON entries (position);
  CREATE TABLE items (
    entry_id   INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    list       TEXT    NOT NULL CHECK (list IN ('check', 'reply')),
    idx        INTEGER NOT NULL,
    attribute  TEXT    NOT NULL CHECK (attribute <> ''),
    op         TEXT    NOT NULL CHECK (op IN ('=', ':=', '==', '!=', '>', '>=', '<', '<=', '=~', '!~', '=*', '!*', '+=', '-=', '^=')),
    value_text TEXT    NOT NULL,
    quote      TEXT    NOT NULL CHECK (quote IN ('"', '''', '\`', '')),
    tag        INTEGER CHECK (tag BETWEEN 0 AND 31),
    PRIMARY KEY (entry_id, list, idx)
  ) WITHOUT ROWID;
  ${V1_ITEMS_JSON_TRIGGERS}
  ${USERS_VIEW};
  `,
  // 1 -> 2: triggers that SQLite 3.37+ can parse (the sqlite3 shell, Python), same items_json.
  `
  DROP TRIGGER items_json_after_insert;
  DROP TRIGGER items_json_after_delete;
  DROP TRIGGER items_json_after_update;
  ${ITEMS_JSON_TRIGGERS}
  `,
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The oldest schema version this code can read without migrating it (a read-only open, e.g.
 * `check` or `users list`, does not write): version 2 changed only the triggers.
 */
export const OLDEST_READABLE_VERSION = 1;

/** Raised when the database cannot be used: missing, newer schema, not a store, locked, corrupt. */
export class SqliteStoreError extends Error {
  constructor(
    readonly code: 'schema_too_new' | 'not_found' | 'bad_row' | 'open_failed' | 'missing',
    message: string,
  ) {
    super(message);
    this.name = 'SqliteStoreError';
  }
}

export interface OpenOptions {
  /** Open without write access and without migrating; the file must exist. */
  readonly?: boolean;
  /** Create the file when missing (default true unless readonly). */
  create?: boolean;
  /** Milliseconds to wait for another connection's lock (default 5000). */
  busyTimeoutMs?: number;
}

/**
 * Opens (and creates, and migrates to SCHEMA_VERSION) a store database: WAL journal, a busy
 * timeout so readers and the CLI wait for each other instead of failing, foreign keys on.
 * Throws SqliteStoreError: `missing` when the file does not exist and may not be created,
 * `schema_too_new` when it holds a newer schema than this code knows.
 */
export function openStoreDatabase(path: string, opts: OpenOptions = {}): SqliteDatabase {
  const readonly = opts.readonly ?? false;
  if ((readonly || opts.create === false) && !existsSync(path)) {
    throw new SqliteStoreError('missing', `no user store at ${path}: the file does not exist`);
  }
  let db: SqliteDatabase;
  try {
    if (!readonly && opts.create !== false) createPrivateFile(path);
    db = readonly ? openReadOnly(path) : new Database(path, { fileMustExist: opts.create === false });
  } catch (err) {
    if (err instanceof SqliteStoreError) throw err;
    throw new SqliteStoreError('open_failed', `sqlite:${path}: ${(err as Error).message}`);
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    if (!readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new SqliteStoreError(
        'schema_too_new',
        `sqlite:${path}: schema version ${version} is newer than this program's ${SCHEMA_VERSION}`,
      );
    }
    if (version < SCHEMA_VERSION) {
      if (readonly && version < OLDEST_READABLE_VERSION) {
        throw new SqliteStoreError(
          'open_failed',
          `sqlite:${path}: schema version ${version} needs migrating to ${SCHEMA_VERSION}; open it once read-write (the server or any "users" write command does)`,
        );
      }
      if (!readonly) migrate(db, version);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof SqliteStoreError) throw err;
    throw new SqliteStoreError('open_failed', `sqlite:${path}: ${(err as Error).message}`);
  }
}

/**
 * A read-only connection. A WAL database needs its `-shm` index, which a reader creates beside
 * the file; without write access to that directory (a store owned by the service, a read-only
 * mount) SQLite cannot read it at all. Then, if no `-wal` holds changes not yet in the file, the
 * file is read into memory instead, marked as a rollback-journal database (header bytes 18-19)
 * since a copy has no WAL: the same content, nothing written anywhere.
 */
function openReadOnly(path: string): SqliteDatabase {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('user_version', { simple: true });
    return db;
  } catch (err) {
    db.close();
    const code = (err as { code?: string }).code ?? '';
    if (!/^SQLITE_(READONLY|CANTOPEN|IOERR)/.test(code)) throw err;
  }
  if (statSize(`${path}-wal`) > 0) {
    throw new SqliteStoreError(
      'open_failed',
      `sqlite:${path}: cannot read it: changes are pending in ${path}-wal and this user may not create ${path}-shm (run as the store's owner)`,
    );
  }
  const image = readFileSync(path);
  if (image.length >= 20 && image[18] === 2 && image[19] === 2) image[18] = image[19] = 1;
  return new Database(image, { readonly: true });
}

function statSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function migrate(db: SqliteDatabase, from: number): void {
  db.transaction(() => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const current = db.pragma('user_version', { simple: true }) as number;
    for (let v = Math.max(from, current); v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
