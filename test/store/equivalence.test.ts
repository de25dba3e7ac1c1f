import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Avp } from '../../src/protocol/attribute.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Entry, Item } from '../../src/policy/entry.js';
import { authorizeAndAuthenticate, type Decision, type EntrySource } from '../../src/policy/evaluator.js';
import { parseUsersFile, parseUsersText } from '../../src/policy/users-parser.js';
import { UsersFileSource } from '../../src/store/files-source.js';
import { SqliteUserSource } from '../../src/store/sqlite/sqlite-source.js';
import { storedEntryFromEntry } from '../../src/store/sqlite/stored-entry.js';
import { UserStore } from '../../src/store/sqlite/user-store.js';
import { exportUsersText } from '../../src/store/sqlite/users-export.js';
import { randomUsersFile, requestCases, type RequestCase } from './users-corpus.js';

const CORPUS = 'test/fixtures/sqlite/corpus.users';
let dict: Dictionary;
let dir: string;
let n = 0;

beforeAll(() => {
  dict = loadDictionary('dictionaries/dictionary');
  dir = mkdtempSync(join(tmpdir(), 'vr-equiv-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Imports parsed entries into a fresh store (as `users import` does) and returns its path. */
function importToStore(entries: readonly Entry[]): string {
  const path = join(dir, `s${n++}.sqlite`);
  const store = new UserStore(path);
  store.importEntries(entries.map((e) => storedEntryFromEntry(dict, e)), true);
  store.close();
  return path;
}

function exportStore(path: string): string {
  const store = new UserStore(path, { create: false });
  try {
    return exportUsersText(store.entries());
  } finally {
    store.close();
  }
}

/** Everything about an item the evaluator can observe. */
function itemShape(it: Item): unknown {
  return {
    attr: `${it.attr.vendorId}.${it.attr.type}:${it.attr.name}:${it.attr.dataType}`,
    op: it.op,
    value: it.value.toString('hex'),
    tag: it.tag,
    text: it.text,
    quote: it.quote,
    expand: it.expand,
    regex: it.regex ? `${it.regex.source}/${it.regex.flags}` : undefined,
  };
}

function entryShape(e: Entry): unknown {
  return { name: e.name, isDefault: e.isDefault, fallThrough: e.fallThrough, check: e.check.map(itemShape), reply: e.reply.map(itemShape) };
}

function avp(name: string, value: Buffer): Avp {
  const def = dict.attributeByName(name);
  if (!def) throw new Error(name);
  return { def, value };
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

function ask(c: RequestCase, sources: readonly EntrySource[]): unknown {
  const attributes: Avp[] = [];
  if (c.user !== undefined) attributes.push(avp('User-Name', Buffer.from(c.user)));
  attributes.push(avp('User-Password', Buffer.from(c.password)));
  attributes.push(avp('NAS-IP-Address', Buffer.from(c.nasIp.split('.').map(Number))));
  if (c.nasPort !== undefined) attributes.push(avp('NAS-Port', u32(c.nasPort)));
  if (c.callingStationId !== undefined) attributes.push(avp('Calling-Station-Id', Buffer.from(c.callingStationId)));
  const d: Decision = authorizeAndAuthenticate(
    { attributes, srcAddress: '127.0.0.1', userPassword: Buffer.from(c.password), requestAuthenticator: Buffer.alloc(16, 7) },
    sources,
    dict,
  );
  return {
    code: d.code,
    reason: d.reason,
    scheme: d.scheme,
    reply: d.reply.map((a) => `${a.def.name}${a.tag !== undefined ? `:${a.tag}` : ''}=${a.value.toString('hex')}`),
    matched: d.matched.map((e) => e.name),
  };
}

/** Lookup and evaluator answers of the files source and the store for the same content. */
function expectSameAnswers(entries: readonly Entry[], storePath: string, names: readonly string[], passwords: readonly string[]): number {
  const files = new UsersFileSource('mem', entries);
  const sqlite = new SqliteUserSource(storePath, dict);
  try {
    for (const name of [...names, 'nobody', 'NONE']) {
      expect(sqlite.lookup(name).map(entryShape), `lookup(${name})`).toEqual(files.lookup(name).map(entryShape));
    }
    const cases = requestCases(names, passwords);
    for (const c of cases) {
      expect(ask(c, [sqlite]), JSON.stringify(c)).toEqual(ask(c, [files]));
    }
    return cases.length;
  } finally {
    sqlite.close();
  }
}

describe('SQLite store vs users file: same content, same answers', () => {
  it('hand-written corpus ($INCLUDE, escapes, DEFAULT, Fall-Through, tags, regex, every operator)', () => {
    const entries = parseUsersFile(CORPUS, dict);
    const path = importToStore(entries);
    const names = [...new Set(entries.map((e) => e.name))].concat(['fx', 'rx', 'BOB', 'John']);
    const passwords = ['35675e68f4b5af7b995d9205ad0fc43842f16450', 'e', 'jd', "it's", 'o', 'p', 'rx', 'ft', 'ftX', 't', 'raw', 'inc', 'wrong'];
    const asked = expectSameAnswers(entries, path, names, passwords);
    expect(asked).toBeGreaterThan(500);
  });

  it('the seed device user gets the per-NAS lists from the store exactly as from the file', () => {
    const entries = parseUsersFile(CORPUS, dict);
    const sqlite = new SqliteUserSource(importToStore(entries), dict);
    try {
      const answer = (nas: string) =>
        ask({ user: 'username01', nasIp: nas, password: '35675e68f4b5af7b995d9205ad0fc43842f16450' }, [sqlite]) as { code: string; reply: string[] };
      const swrite = (r: string[]) => r.find((x) => x.startsWith('SWrite='))!.slice(7);
      const on88 = answer('192.168.1.88');
      const elsewhere = answer('10.0.0.1');
      expect(on88.code).toBe('accept');
      expect(Buffer.from(swrite(on88.reply), 'hex').toString()).toBe('all,');
      expect(Buffer.from(swrite(elsewhere.reply), 'hex').toString()).toBe('devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,');
    } finally {
      sqlite.close();
    }
  });

  it('seeded random users files (40 files x 25 entries)', () => {
    let asked = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const text = randomUsersFile(seed, 25);
      const entries = parseUsersText(text, `random-${seed}`, dict);
      const path = importToStore(entries);
      asked += expectSameAnswers(entries, path, ['u1', 'u2', 'u3', 'fx', 'spaced name', 'default'], ['pw0', 'pw1', 'a', 'wrong']);
    }
    expect(asked).toBeGreaterThan(4000);
  });

  it('files then sqlite behave as one list: first match and Fall-Through cross the source boundary', () => {
    const entries = parseUsersFile(CORPUS, dict);
    const whole = new UsersFileSource('whole', entries);
    for (const cut of [3, 9, 14, 20]) {
      const head = new UsersFileSource('head', entries.slice(0, cut));
      const tail = new SqliteUserSource(importToStore(entries.slice(cut)), dict);
      try {
        for (const c of requestCases(['ft', 'fx', 'username01', 'inc', 'after', 'nobody'], ['ft', 'ftX', 'inc', 'x'])) {
          expect(ask(c, [head, tail]), `cut ${cut} ${JSON.stringify(c)}`)
            .toEqual(ask(c, [whole]));
        }
      } finally {
        tail.close();
      }
    }
  });
});

describe('import -> export -> import is a fixed point', () => {
  function roundTrip(entries: readonly Entry[], label: string): void {
    const first = importToStore(entries);
    const text1 = exportStore(first);
    const file = join(dir, `${label}.exported`);
    writeFileSync(file, text1);
    const again = parseUsersFile(file, dict);
    // same entries as parsed from the original (origins aside)
    expect(again.map(entryShape), label).toEqual(entries.map(entryShape));
    // and exporting the re-import gives the same text
    expect(exportStore(importToStore(again)), label).toBe(text1);
  }

  it('on the hand-written corpus, $INCLUDE flattened in place', () => {
    const entries = parseUsersFile(CORPUS, dict);
    roundTrip(entries, 'corpus');
    const text = exportStore(importToStore(entries));
    expect(text).not.toMatch(/\$INCLUDE/i);
    expect(text.indexOf('inc\tCleartext-Password := "inc"')).toBeGreaterThan(text.indexOf('default\tCleartext-Password'));
    expect(text).toContain('"John Doe"\tCleartext-Password := "jd"');
    expect(text).toContain('Tunnel-Private-Group-Id = ":1:100"');
    expect(text).toContain('Reply-Message += `bq\\t|%{User-Name}`');
    expect(text).toMatch(/^raw\tCleartext-Password := "raw", Attr-26\.9\.1 == 0x4142$/m);
  });

  it.each(['test/fixtures/users/seed-authorize', 'test/fixtures/diff/handwritten-authorize', 'config/authorize'])(
    "on the other helpers' users files: %s",
    (file) => {
      roundTrip(parseUsersFile(file, dict), file.replace(/\W/g, '_'));
    },
  );

  it('on seeded random users files', () => {
    for (let seed = 100; seed < 140; seed++) {
      roundTrip(parseUsersText(randomUsersFile(seed, 25), `random-${seed}`, dict), `random-${seed}`);
    }
  });
});
