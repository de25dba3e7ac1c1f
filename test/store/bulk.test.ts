import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Entry, Item } from '../../src/policy/entry.js';
import { parseUsersText } from '../../src/policy/users-parser.js';
import { UsersFileSource } from '../../src/store/files-source.js';
import { bulkInsertUsers, bulkUserCredential, bulkUserName, bulkUsersFileText } from '../../src/store/sqlite/bulk.js';
import { EntryWriter } from '../../src/store/sqlite/entry-writer.js';
import { openStoreDatabase } from '../../src/store/sqlite/schema.js';
import { SqliteUserSource } from '../../src/store/sqlite/sqlite-source.js';
import { readAllEntries } from '../../src/store/sqlite/stored-entry.js';

let dict: Dictionary;
let dir: string;

beforeAll(() => {
  dict = loadDictionary('dictionaries/dictionary');
  dir = mkdtempSync(join(tmpdir(), 'vr-bulk-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shape = (es: readonly Entry[]) =>
  es.map((e) => ({ name: e.name, items: [...e.check, ...e.reply].map((i: Item) => `${i.attr.name} ${i.op} ${i.value.toString('hex')}`) }));

describe('bulk generator', () => {
  it('inserts users that the store answers exactly like the same users as a users file', () => {
    const path = join(dir, 'bulk.sqlite');
    const r = bulkInsertUsers(path, { count: 3000, lists: { sread: 'all,', gwrite: '3001,', rfu1: 'x y' } });
    expect(r.users).toBe(3000);
    const files = new UsersFileSource('gen', parseUsersText(bulkUsersFileText({ count: 3000, lists: { sread: 'all,', gwrite: '3001,', rfu1: 'x y' } }), 'gen', dict));
    const sqlite = new SqliteUserSource(path, dict);
    try {
      for (const i of [1, 2, 1500, 2999, 3000]) {
        const name = bulkUserName(i);
        expect(shape(sqlite.lookup(name))).toEqual(shape(files.lookup(name)));
        expect(sqlite.lookup(name)[0]!.check[0]!.value.toString()).toBe(bulkUserCredential(i));
      }
      expect(sqlite.lookup(bulkUserName(3001))).toEqual([]);
      expect(sqlite.validate()).toEqual([]);
    } finally {
      sqlite.close();
    }
  });

  it('keeps the schema whole: indexes, triggers and items_json equal to the items', () => {
    const path = join(dir, 'bulk2.sqlite');
    bulkInsertUsers(path, { count: 50 });
    bulkInsertUsers(path, { count: 50, start: 51 }); // appending to a non-empty store
    const db = new Database(path, { readonly: true });
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name").pluck().all();
    expect(names).toEqual(['entries_by_name', 'entries_by_position', 'items_json_after_delete', 'items_json_after_insert', 'items_json_after_update']);
    const mismatched = db.prepare(`
      SELECT e.id FROM entries e WHERE e.items_json IS NOT (
        SELECT json_group_array(json_array(list, attribute, op, value_text, quote, tag) ORDER BY list, idx) FROM items WHERE entry_id = e.id)`).all();
    expect(mismatched).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM entries').pluck().get()).toBe(100);
    db.close();
    // and an ordinary write after a bulk load still maintains items_json through the triggers
    const w = openStoreDatabase(path);
    const id = new EntryWriter(w).append({ id: 0, position: 0, name: 'late', fallThrough: false, valid: true, check: [], reply: [{ attribute: 'SRead', op: '=', text: 'view,', quote: '"' }] });
    expect(readAllEntries(w).find((e) => e.id === id)!.reply[0]!.text).toBe('view,');
    expect(w.prepare('SELECT items_json FROM entries WHERE id = ?').pluck().get(id)).toBe('[["reply","SRead","=","view,","\\"",null]]');
    w.close();
  });
});
