import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { EntryWriter } from '../../src/store/sqlite/entry-writer.js';
import { MIGRATIONS, openStoreDatabase, SCHEMA_VERSION, SqliteStoreError } from '../../src/store/sqlite/schema.js';
import { BY_NAME_SQL, SqliteUserSource } from '../../src/store/sqlite/sqlite-source.js';
import type { StoredEntry, StoredItem } from '../../src/store/sqlite/stored-entry.js';

let dict: Dictionary;
let dir: string;
let dbPath: string;

beforeAll(() => {
  dict = loadDictionary('dictionaries/dictionary');
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-sqlite-'));
  dbPath = join(dir, 'users.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function item(attribute: string, op: StoredItem['op'], text: string, quote: StoredItem['quote'] = '"'): StoredItem {
  return { attribute, op, text, quote };
}

function entry(name: string, check: StoredItem[], reply: StoredItem[], fallThrough = false): StoredEntry {
  return { id: 0, position: 0, name, fallThrough, valid: true, check, reply };
}

function write(entries: StoredEntry[]): number[] {
  const db = openStoreDatabase(dbPath);
  try {
    const w = new EntryWriter(db);
    return db.transaction(() => entries.map((e) => w.append(e)))();
  } finally {
    db.close();
  }
}

const names = (es: readonly { name: string; reply: { text: string }[] }[]) => es.map((e) => `${e.name}:${e.reply[0]?.text ?? ''}`);

describe('schema', () => {
  it('creates a versioned WAL database with the entries/items tables and the users view', () => {
    openStoreDatabase(dbPath).close();
    const db = new Database(dbPath);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const objects = db.prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
    expect(objects).toEqual(expect.arrayContaining([
      { type: 'table', name: 'entries' },
      { type: 'table', name: 'items' },
      { type: 'view', name: 'users' },
      { type: 'index', name: 'entries_by_name' },
    ]));
    // the name lookup is an index search, not a scan
    const plan = db.prepare("EXPLAIN QUERY PLAN SELECT * FROM entries e LEFT JOIN items i ON i.entry_id = e.id WHERE e.name = 'x' AND e.valid = 1").all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join('\n')).toMatch(/SEARCH e USING INDEX entries_by_name/);
    db.close();
  });

  it('reopening applies no migration twice; a newer schema is refused with a clear error', () => {
    openStoreDatabase(dbPath).close();
    openStoreDatabase(dbPath).close();
    const db = new Database(dbPath);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => openStoreDatabase(dbPath)).toThrow(SqliteStoreError);
    expect(() => openStoreDatabase(dbPath)).toThrow(`schema version ${MIGRATIONS.length + 1} is newer than this program's ${MIGRATIONS.length}`);
  });

  it('refuses rows a users file could not hold: empty attribute, unknown operator, bad quote', () => {
    openStoreDatabase(dbPath).close();
    const db = new Database(dbPath);
    const id = Number(db.prepare("INSERT INTO entries (position, name) VALUES (1, 'bob')").run().lastInsertRowid);
    const ins = db.prepare('INSERT INTO items (entry_id, list, idx, attribute, op, value_text, quote) VALUES (?, ?, ?, ?, ?, ?, ?)');
    expect(() => ins.run(id, 'check', 0, '', ':=', 'x', '"')).toThrow(/CHECK/);
    expect(() => ins.run(id, 'check', 0, 'Cleartext-Password', '=>', 'x', '"')).toThrow(/CHECK/);
    expect(() => ins.run(id, 'check', 0, 'Cleartext-Password', ':=', 'x', '<')).toThrow(/CHECK/);
    expect(() => ins.run(id, 'other', 0, 'Cleartext-Password', ':=', 'x', '"')).toThrow(/CHECK/);
    db.close();
  });
});

describe('SqliteUserSource.lookup', () => {
  it("returns the user's entries and every DEFAULT merged in store order, DEFAULT for unknown names", () => {
    write([
      entry('DEFAULT', [item('NAS-IP-Address', '==', '10.0.0.1', '')], [item('Reply-Message', '=', 'd1')], true),
      entry('bob', [item('Cleartext-Password', ':=', 'a')], [item('Reply-Message', '=', 'bob1')], true),
      entry('alice', [item('Cleartext-Password', ':=', 'x')], [item('Reply-Message', '=', 'alice1')]),
      entry('DEFAULT', [], [item('Reply-Message', '=', 'd2')], true),
      entry('bob', [item('Cleartext-Password', ':=', 'b')], [item('Reply-Message', '=', 'bob2')]),
    ]);
    const src = new SqliteUserSource(dbPath, dict);
    try {
      expect(names(src.lookup('bob'))).toEqual(['DEFAULT:d1', 'bob:bob1', 'DEFAULT:d2', 'bob:bob2']);
      expect(names(src.lookup('alice'))).toEqual(['DEFAULT:d1', 'alice:alice1', 'DEFAULT:d2']);
      expect(names(src.lookup('nobody'))).toEqual(['DEFAULT:d1', 'DEFAULT:d2']);
      expect(names(src.lookup('BOB'))).toEqual(['DEFAULT:d1', 'DEFAULT:d2']); // names are case-sensitive
      const [, bob1] = src.lookup('bob');
      expect(bob1!.isDefault).toBe(false);
      expect(bob1!.fallThrough).toBe(true);
      expect(bob1!.check[0]!.attr.name).toBe('Cleartext-Password');
      expect(bob1!.check[0]!.value.toString()).toBe('a');
      expect(bob1!.origin.file).toBe(`sqlite:${dbPath}#2`);
      expect(src.lookup('bob')[0]!.check[0]!.value).toEqual(Buffer.from([10, 0, 0, 1]));
    } finally {
      src.close();
    }
  });

  it('decodes values with the users-file rules: escapes, quotes, expansion marks, vendor attributes', () => {
    write([
      entry('v', [item('Cleartext-Password', ':=', 'q\\"uote')], [
        item('SRead', '=', 'all,'),
        item('Reply-Message', '=', 'tab\\there|oct\\101'),
        item('Reply-Message', '+=', 'Hello, %{User-Name}'),
        item('Reply-Message', '+=', "sq\\'%{User-Name}", "'"),
        item('Session-Timeout', '=', '3600', ''),
        item('Service-Type', '=', 'Framed-User', ''),
        item('Reply-Message', '+=', 'cut"here'), // as the lexer reads "cut"here": up to the quote
      ]),
    ]);
    const src = new SqliteUserSource(dbPath, dict);
    try {
      const [e] = src.lookup('v');
      expect(e!.check[0]!.value.toString()).toBe('q"uote');
      const [sread, tab, hello, sq, timeout, service] = e!.reply;
      expect(sread!.attr.vendorId).toBe(39052);
      expect(sread!.attr.type).toBe(10);
      expect(tab!.value.toString()).toBe('tab\there|octA');
      expect(hello!.expand).toBe(true);
      expect(sq!.expand).toBe(false);
      expect(sq!.value.toString()).toBe("sq'%{User-Name}");
      expect(timeout!.value).toEqual(Buffer.from([0, 0, 0x0e, 0x10]));
      expect(service!.value.readUInt32BE(0)).toBe(2);
      expect(e!.reply[6]!.value.toString()).toBe('cut');
      expect(e!.reply[6]!.text).toBe('cut"here');
      expect(JSON.parse(JSON.stringify(e!.origin))).toEqual({ file: `sqlite:${dbPath}#1`, line: 0 });
    } finally {
      src.close();
    }
  });

  it('leaves disabled entries out and reports a bad row by its id', () => {
    const [, badId] = write([
      { ...entry('bob', [], [item('Reply-Message', '=', 'off')]), valid: false },
      entry('eve', [item('Session-Timeout', ':=', 'abc', '')], []),
      entry('carl', [item('Foo-Bar-Nope', ':=', 'x')], []),
      entry('dora', [], [item('RFU2', '=', '')]), // as if written with the sqlite3 shell
    ]);
    const src = new SqliteUserSource(dbPath, dict);
    try {
      expect(src.lookup('bob')).toEqual([]);
      expect(() => src.lookup('eve')).toThrow(`sqlite:${dbPath}#${badId}: Parse error (check) for entry eve: Unknown or invalid value "abc" for attribute Session-Timeout`);
      expect(src.validate()).toEqual([
        expect.stringMatching(/#2: Parse error \(check\) for entry eve: Unknown or invalid value "abc"/),
        expect.stringMatching(/#3: Parse error \(check\) for entry carl: Unknown name "Foo-Bar-Nope"/),
        expect.stringMatching(/#4: Empty value for vendor attribute RFU2 in the reply of entry dora$/),
      ]);
    } finally {
      src.close();
    }
  });

  it('sees a commit by another connection on the next lookup (data_version), and caches otherwise', () => {
    write([entry('bob', [item('Cleartext-Password', ':=', 'old')], [item('Reply-Message', '=', 'v1')])]);
    const src = new SqliteUserSource(dbPath, dict);
    try {
      const once = src.lookup('bob'); // first miss: not kept (doorkeeper)
      const first = src.lookup('bob'); // second miss: kept
      expect(first).not.toBe(once);
      expect(src.lookup('bob')).toBe(first); // cached: same decoded array
      const other = openStoreDatabase(dbPath);
      other.prepare("UPDATE items SET value_text = 'v2' WHERE list = 'reply'").run();
      const second = src.lookup('bob');
      expect(second).not.toBe(first);
      expect(second[0]!.reply[0]!.value.toString()).toBe('v2');
      // a DEFAULT added elsewhere appears for every name, cached or not
      new EntryWriter(other).append(entry('DEFAULT', [], [item('Reply-Message', '=', 'd')]));
      expect(names(src.lookup('bob'))).toEqual(['bob:v2', 'DEFAULT:d']);
      other.close();
    } finally {
      src.close();
    }
  });

  it('never mixes two states: a multi-row change committed at once is seen whole', () => {
    write([
      entry('DEFAULT', [], [item('Reply-Message', '=', 'd-old')], true),
      entry('bob', [], [item('Reply-Message', '=', 'b-old')]),
    ]);
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 0 });
    const other = openStoreDatabase(dbPath);
    const flip = other.prepare("UPDATE items SET value_text = replace(value_text, ?, ?)");
    try {
      for (let i = 0; i < 200; i++) {
        const [from, to] = i % 2 === 0 ? ['-old', '-new'] : ['-new', '-old'];
        other.transaction(() => flip.run(from, to))();
        const got = src.lookup('bob').map((e) => e.reply[0]!.value.toString());
        expect([['d-old', 'b-old'], ['d-new', 'b-new']]).toContainEqual(got);
      }
    } finally {
      other.close();
      src.close();
    }
  });
  it('a miss after another commit reads the new DEFAULT rows too, and a cached name sees them next', () => {
    write([
      entry('DEFAULT', [], [item('Reply-Message', '=', 'd1')], true),
      entry('alice', [], [item('Reply-Message', '=', 'a')]),
      entry('bob', [], [item('Reply-Message', '=', 'b')]),
    ]);
    const src = new SqliteUserSource(dbPath, dict);
    const other = openStoreDatabase(dbPath);
    try {
      expect(names(src.lookup('alice'))).toEqual(['DEFAULT:d1', 'alice:a']); // DEFAULT rows cached here
      other.prepare("UPDATE items SET value_text = 'd2' WHERE value_text = 'd1'").run();
      expect(names(src.lookup('bob'))).toEqual(['DEFAULT:d2', 'bob:b']); // never cached: a miss
      expect(names(src.lookup('alice'))).toEqual(['DEFAULT:d2', 'alice:a']); // was cached
      expect(names(src.lookup('DEFAULT'))).toEqual(['DEFAULT:d2', 'DEFAULT:d2']); // a user called DEFAULT: every DEFAULT twice, as rlm_files
    } finally {
      other.close();
      src.close();
    }
  });

  it('never mixes two states while another thread commits changes to a user and a DEFAULT concurrently', async () => {
    const users = ['bob', 'carol', 'dave'];
    write([
      entry('DEFAULT', [], [item('Reply-Message', '=', 'd-0')], true),
      ...users.map((u) => entry(u, [], [item('Reply-Message', '=', `${u}-0`)])),
    ]);
    // The writer flips every value between generations 0 and 1 in one transaction per flip.
    const stop = new Int32Array(new SharedArrayBuffer(8));
    const writer = new Worker(
      `const { workerData } = require('node:worker_threads');
       const Database = require(workerData.sqlite);
       const db = new Database(workerData.path);
       db.pragma('busy_timeout = 5000');
       const flip = db.prepare("UPDATE items SET value_text = substr(value_text, 1, length(value_text) - 1) || ?");
       let gen = 0;
       while (Atomics.load(workerData.stop, 0) === 0) {
         gen = 1 - gen;
         db.transaction(() => flip.run(String(gen)))();
         Atomics.add(workerData.stop, 1, 1);
       }
       db.close();`,
      { eval: true, workerData: { path: dbPath, stop, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') } },
    );
    // Small cache: hits, misses and version changes all happen under the writer.
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 2 });
    const seen = new Set<string>();
    try {
      while (Atomics.load(stop, 1) < 3) await new Promise((r) => setTimeout(r, 5));
      const until = Date.now() + 400;
      for (let i = 0; Date.now() < until; i++) {
        const u = users[i % users.length]!;
        const got = src.lookup(u).map((e) => e.reply[0]!.text);
        const gen = got[0]!.slice(-1);
        expect(got).toEqual([`d-${gen}`, `${u}-${gen}`]);
        seen.add(gen);
      }
    } finally {
      Atomics.store(stop, 0, 1);
      await new Promise((r) => writer.once('exit', r));
      src.close();
    }
    expect([...seen].sort()).toEqual(['0', '1']);
    expect(Atomics.load(stop, 1)).toBeGreaterThan(10);
  });

  it('keeps a user from its second miss on: names asked once each (round-robin over many) are not kept', () => {
    const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
    write(users.map((u) => entry(u, [], [item('Reply-Message', '=', u)])));
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 10 });
    try {
      // round-robin over four times the cache: every lookup decodes afresh, none is kept
      const previous = new Map<string, readonly unknown[]>();
      let reused = 0;
      for (let round = 0; round < 3; round++) {
        for (const u of users) {
          const got = src.lookup(u);
          expect(names(got)).toEqual([`${u}:${u}`]);
          if (got === previous.get(u)) reused++;
          previous.set(u, got);
        }
      }
      expect(reused).toBeLessThanOrEqual(2); // only a name whose doorkeeper bit another one set
      // a name asked again soon is kept from its second miss on
      const once = src.lookup('u3');
      const kept = src.lookup('u3');
      expect(kept).not.toBe(once);
      expect(src.lookup('u3')).toBe(kept);
    } finally {
      src.close();
    }
  });

  it('shares decoded items and identical reply lists between users, also past thousands of distinct passwords', () => {
    const db = openStoreDatabase(dbPath);
    try {
      const w = new EntryWriter(db);
      db.transaction(() => {
        for (let i = 0; i < 5000; i++) {
          const lists = i === 7 ? [item('SRead', '=', 'none,')] : [item('SRead', '=', 'all,'), item('SWrite', '=', 'all,')];
          w.append(entry(`u${i}`, [item('Cleartext-Password', ':=', `pw${i}`)], lists));
        }
      })();
    } finally {
      db.close();
    }
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 0 });
    try {
      const got = Array.from({ length: 5000 }, (_, i) => src.lookup(`u${i}`)[0]!);
      got.forEach((e, i) => {
        expect(e.name).toBe(`u${i}`);
        expect(e.check[0]!.value.toString()).toBe(`pw${i}`);
      });
      expect(got[4999]!.reply).toBe(got[0]!.reply); // one list for one profile, across others
      expect(got[4999]!.reply[1]).toBe(got[1]!.reply[1]); // one item
      expect(got[7]!.reply.map((i) => i.text)).toEqual(['none,']);
      expect(got[8]!.reply.map((i) => i.text)).toEqual(['all,', 'all,']);
    } finally {
      src.close();
    }
  });

  it('decodes any items_json layout: reply before check, spaces, one list only, a check after a reply', () => {
    const pw = '["check","Cleartext-Password",":=","pw","\\"",null]';
    const nas = '["check","NAS-IP-Address","==","10.0.0.1","",null]';
    const r1 = '["reply","Reply-Message","=","r1","\\"",null]';
    const r2 = '["reply","Reply-Message","+=","r2","\\"",null]';
    // a value holding the text the decoder splits at: escaped inside the string, so no split there
    const tricky = '["check","Cleartext-Password",":=","a],[\\"reply\\",x","\\"",null]';
    const layouts: Record<string, [string, string[], string[]]> = {
      usual: [`[${pw},${r1},${r2}]`, ['pw'], ['r1', 'r2']],
      usualAgain: [`[${nas},${r1},${r2}]`, ['10.0.0.1'], ['r1', 'r2']],
      replyFirst: [`[${r1},${pw}]`, ['pw'], ['r1']],
      spaces: [`[ ${pw}, ${r1} ]`, ['pw'], ['r1']],
      replyOnly: [`[${r1},${r2}]`, [], ['r1', 'r2']],
      checkOnly: [`[${pw},${nas}]`, ['pw', '10.0.0.1'], []],
      empty: ['[]', [], []],
      checkAfterReply: [`[${pw},${r1},${nas}]`, ['pw', '10.0.0.1'], ['r1']],
      tricky: [`[${tricky},${r1},${r2}]`, ['a],["reply",x'], ['r1', 'r2']],
    };
    const names = Object.keys(layouts);
    write(names.map((n) => entry(n, [], [])));
    const db = openStoreDatabase(dbPath);
    try {
      const set = db.prepare('UPDATE entries SET items_json = ? WHERE name = ?');
      for (const n of names) set.run(layouts[n]![0], n);
    } finally {
      db.close();
    }
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 0 });
    try {
      for (const n of names) {
        const [e] = src.lookup(n);
        expect([e!.check.map((i) => i.text), e!.reply.map((i) => i.text)], n).toEqual([layouts[n]![1], layouts[n]![2]]);
      }
      expect(src.lookup('tricky')[0]!.check[0]!.value.toString()).toBe('a],['); // the lexer stops at the quote
      expect(src.lookup('usualAgain')[0]!.reply).toBe(src.lookup('usual')[0]!.reply);
      expect(src.validate()).toEqual([]);
    } finally {
      src.close();
    }
  });

  it('decodes right when every user has its own reply values (more than the decoder keeps)', () => {
    const db = openStoreDatabase(dbPath);
    try {
      const w = new EntryWriter(db);
      db.transaction(() => {
        for (let i = 0; i < 4500; i++) w.append(entry(`u${i}`, [item('Cleartext-Password', ':=', `pw${i}`)], [item('Reply-Message', '=', `r${i}`)]));
      })();
    } finally {
      db.close();
    }
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 0 });
    try {
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 4500; i += round + 1) {
          const [e] = src.lookup(`u${i}`);
          expect([e!.check[0]!.text, e!.reply[0]!.text]).toEqual([`pw${i}`, `r${i}`]);
        }
      }
    } finally {
      src.close();
    }
  });

  it('searches the name index without a sort, also once ANALYZE has written sqlite_stat4', () => {
    write([entry('DEFAULT', [], []), ...Array.from({ length: 300 }, (_, i) => entry(`u${i}`, [], []))]);
    const db = openStoreDatabase(dbPath);
    try {
      db.exec('ANALYZE');
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat4'").pluck().get()).toBe(1);
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${BY_NAME_SQL}`).all('u1').map((r) => (r as { detail: string }).detail);
      expect(plan).toEqual(['SEARCH entries USING INDEX entries_by_name (name=?)']);
      expect(db.prepare(BY_NAME_SQL).raw().all('u7').map((r) => (r as unknown[])[2])).toEqual(['u7']);
    } finally {
      db.close();
    }
  });

  it('keeps answering right when there are more users than the cache holds, and keeps recently used users', () => {
    const users = Array.from({ length: 10 }, (_, i) => `u${i}`);
    write([
      entry('DEFAULT', [], [item('Reply-Message', '=', 'd')], true),
      ...users.map((u) => entry(u, [item('Cleartext-Password', ':=', `pw-${u}`)], [item('Reply-Message', '=', `r-${u}`)])),
    ]);
    const src = new SqliteUserSource(dbPath, dict, { cacheSize: 4 });
    try {
      for (let round = 0; round < 3; round++) {
        for (const u of users) expect(names(src.lookup(u))).toEqual(['DEFAULT:d', `${u}:r-${u}`]);
      }
      // u0 used on every step: it stays cached (same decoded list) while eight others pass through
      src.lookup('u0');
      const first = src.lookup('u0');
      for (const u of users.slice(1, 9)) {
        src.lookup(u);
        expect(src.lookup('u0')).toBe(first);
      }
      // a commit still replaces every cached list
      const other = openStoreDatabase(dbPath);
      other.prepare("UPDATE items SET value_text = 'r-new' WHERE value_text = 'r-u0'").run();
      other.close();
      expect(names(src.lookup('u0'))).toEqual(['DEFAULT:d', 'u0:r-new']);
    } finally {
      src.close();
    }
  });
});

describe('EntryWriter.insertBefore', () => {
  it('places an entry immediately before another, renumbering when the gap is used up', () => {
    const [a, b] = write([entry('a', [], []), entry('b', [], [])]);
    const db = openStoreDatabase(dbPath);
    const w = new EntryWriter(db);
    for (let i = 0; i < 15; i++) w.insertBefore(entry(`x${i}`, [], []), b!); // halves the 1024 gap until renumbering
    const order = db.prepare('SELECT name FROM entries ORDER BY position, id').pluck().all();
    expect(order).toEqual(['a', ...Array.from({ length: 15 }, (_, i) => `x${i}`), 'b']);
    expect(a).toBe(1);
    db.close();
  });
});
