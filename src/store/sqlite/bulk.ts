import { createHash } from 'node:crypto';
import { LIST_ATTRIBUTES, LIST_KEYS, type ListKey } from './profile.js';
import { ITEMS_JSON_TRIGGERS, openStoreDatabase, POSITION_STEP } from './schema.js';

/**
 * Generated user populations for benchmarks and scale tests: the same users either inserted into
 * an SQLite store in bulk or written as a users file, so both sources can be measured on equal
 * content. User i is `<prefix><i zero-padded to 7>` with password `pass<i>`.
 */
export interface BulkUserOptions {
  count: number;
  /** Name prefix (default `user`). */
  prefix?: string;
  /** First index (default 1). */
  start?: number;
  /**
   * How the password is stored: `device` (default) = Cleartext-Password of the SHA-1 hex of
   * `pass<i>`, as a Vutlan device sends it; `plain` = Cleartext-Password `pass<i>`.
   */
  password?: 'device' | 'plain';
  /** Reply lists (default: all six permission lists `all,`). */
  lists?: Partial<Record<ListKey, string>>;
}

/** Name of generated user `i`. */
export function bulkUserName(i: number, prefix = 'user'): string {
  return `${prefix}${String(i).padStart(7, '0')}`;
}

/** The clear-text password of generated user `i` (what a test client types). */
export function bulkUserPassword(i: number): string {
  return `pass${i}`;
}

/** The credential stored and expected on the wire for user `i` under `mode`. */
export function bulkUserCredential(i: number, mode: 'device' | 'plain' = 'device'): string {
  const p = bulkUserPassword(i);
  return mode === 'device' ? createHash('sha1').update(p).digest('hex') : p;
}

const DEFAULT_LISTS: Partial<Record<ListKey, string>> = {
  sread: 'all,', swrite: 'all,', cread: 'all,', cwrite: 'all,', gread: 'all,', gwrite: 'all,',
};

function replyOf(opts: BulkUserOptions): Array<[string, string]> {
  const lists = opts.lists ?? DEFAULT_LISTS;
  return LIST_KEYS.filter((k) => lists[k] !== undefined).map((k) => [LIST_ATTRIBUTES[k], lists[k]!]);
}

/**
 * Appends `count` generated users to the store at `path` (created if missing) in one transaction.
 * On an empty store the name index is built after the inserts, which is several times faster.
 * Returns the elapsed milliseconds.
 */
export function bulkInsertUsers(path: string, opts: BulkUserOptions): { users: number; ms: number } {
  const t0 = performance.now();
  const db = openStoreDatabase(path);
  try {
    const reply = replyOf(opts);
    const start = opts.start ?? 1;
    const prefix = opts.prefix ?? 'user';
    const empty = (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n === 0;
    db.pragma('synchronous = OFF');
    const insertEntry = db.prepare('INSERT INTO entries (id, position, name, items_json) VALUES (?, ?, ?, ?)');
    const insertItem = db.prepare(
      "INSERT INTO items (entry_id, list, idx, attribute, op, value_text, quote) VALUES (?, ?, ?, ?, ?, ?, '\"')",
    );
    db.transaction(() => {
      if (empty) db.exec('DROP INDEX IF EXISTS entries_by_name; DROP INDEX IF EXISTS entries_by_position;');
      // items_json is written here directly; the triggers would recompute it per item row.
      db.exec('DROP TRIGGER items_json_after_insert; DROP TRIGGER items_json_after_delete; DROP TRIGGER items_json_after_update;');
      const row = db.prepare('SELECT coalesce(max(id), 0) AS id, coalesce(max(position), 0) AS p FROM entries').get() as { id: number; p: number };
      let id = row.id;
      let position = row.p;
      for (let i = start; i < start + opts.count; i++) {
        id++;
        position += POSITION_STEP;
        const credential = bulkUserCredential(i, opts.password);
        const json = JSON.stringify([
          ['check', 'Cleartext-Password', ':=', credential, '"', null],
          ...reply.map(([attr, value]) => ['reply', attr, '=', value, '"', null]),
        ]);
        insertEntry.run(id, position, bulkUserName(i, prefix), json);
        insertItem.run(id, 'check', 0, 'Cleartext-Password', ':=', credential);
        reply.forEach(([attr, value], idx) => { insertItem.run(id, 'reply', idx, attr, '=', value); });
      }
      db.exec(ITEMS_JSON_TRIGGERS);
      if (empty) {
        db.exec('CREATE INDEX entries_by_name ON entries (name, position); CREATE INDEX entries_by_position ON entries (position);');
      }
    })();
    db.pragma('synchronous = NORMAL');
    db.exec('ANALYZE');
  } finally {
    db.close();
  }
  return { users: opts.count, ms: performance.now() - t0 };
}

/** The same users as a FreeRADIUS users file (for the files source and FreeRADIUS itself). */
export function bulkUsersFileText(opts: BulkUserOptions): string {
  const reply = replyOf(opts);
  const start = opts.start ?? 1;
  const prefix = opts.prefix ?? 'user';
  const parts: string[] = [];
  for (let i = start; i < start + opts.count; i++) {
    const lines = [`${bulkUserName(i, prefix)}\tCleartext-Password := "${bulkUserCredential(i, opts.password)}"`];
    reply.forEach(([attr, value], idx) => { lines.push(`\t${attr} = "${value}"${idx < reply.length - 1 ? ',' : ''}`); });
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n') + '\n';
}
