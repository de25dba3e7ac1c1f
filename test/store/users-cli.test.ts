import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Avp } from '../../src/protocol/attribute.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { authorizeAndAuthenticate } from '../../src/policy/evaluator.js';
import { parseUsersFile } from '../../src/policy/users-parser.js';
import { SqliteUserSource } from '../../src/store/sqlite/sqlite-source.js';
import { storedEntryFromEntry } from '../../src/store/sqlite/stored-entry.js';
import { exportUsersText } from '../../src/store/sqlite/users-export.js';
import { type CliRun, runCli } from '../support/run-cli.js';

const GUEST_SHA1 = '35675e68f4b5af7b995d9205ad0fc43842f16450'; // sha1("guest"), what the device sends
let dict: Dictionary;
let dir: string;
let db: string;

beforeAll(() => {
  dict = loadDictionary('dictionaries/dictionary');
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-users-cli-'));
  db = join(dir, 'users.sqlite');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function users(args: string[], input?: string): CliRun {
  return runCli(['users', '--db', db, ...args], input);
}

function rows<T = Record<string, unknown>>(sql: string, ...params: unknown[]): T[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...params) as T[];
  } finally {
    d.close();
  }
}

/** PAP decision of the evaluator for a request through the store, as the server would make it. */
function pap(user: string, password: string, nasIp = '10.0.0.1'): { code: string; reply: Record<string, string> } {
  const src = new SqliteUserSource(db, dict);
  try {
    const avp = (name: string, value: Buffer): Avp => ({ def: dict.attributeByName(name)!, value });
    const d = authorizeAndAuthenticate(
      {
        attributes: [
          avp('User-Name', Buffer.from(user)),
          avp('User-Password', Buffer.from(password)),
          avp('NAS-IP-Address', Buffer.from(nasIp.split('.').map(Number))),
        ],
        srcAddress: '127.0.0.1',
        userPassword: Buffer.from(password),
        requestAuthenticator: Buffer.alloc(16, 1),
      },
      [src],
      dict,
    );
    return { code: d.code, reply: Object.fromEntries(d.reply.map((a) => [a.def.name, a.value.toString()])) };
  } finally {
    src.close();
  }
}

describe('users add', () => {
  it('--device stores a salted hash of the SHA-1 hex: the device login works, the database holds no usable credential', () => {
    const r = users(['add', 'op1', '--password-stdin', '--device', '--sread', 'all', '--swrite', 'view,log', '--gread', 'all', '--gwrite', '3001,3002'], 'guest\n');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe('added op1 (1 entry)\n');
    const [pw] = rows<{ attribute: string; op: string; value_text: string }>("SELECT attribute, op, value_text FROM items WHERE list = 'check'");
    expect(pw).toMatchObject({ attribute: 'SSHA2-512-Password', op: ':=' });
    const raw = Buffer.from(pw!.value_text, 'base64');
    expect(raw.length).toBe(64 + 16);
    expect(createHash('sha512').update(GUEST_SHA1).update(raw.subarray(64)).digest()).toEqual(raw.subarray(0, 64));
    const file = readFileSync(db).toString('latin1') + (existsSync(`${db}-wal`) ? readFileSync(`${db}-wal`).toString('latin1') : '');
    expect(file).not.toContain(GUEST_SHA1);
    expect(file).not.toContain('guest');
    expect(pap('op1', GUEST_SHA1)).toEqual({ code: 'accept', reply: { SRead: 'all,', SWrite: 'view,log,', GRead: 'all,', GWrite: '3001,3002,' } });
    expect(pap('op1', 'guest').code).toBe('reject');
  });

  it('--sha1-hex takes the device form directly (lower-cased); --cleartext keeps it readable and warns', () => {
    expect(users(['add', 'h1', '--sha1-hex', GUEST_SHA1.toUpperCase(), '--sread', 'all'])).toMatchObject({ code: 0, stderr: '' });
    expect(users(['add', 'h2', '--sha1-hex', '-'], `${GUEST_SHA1}\n`)).toMatchObject({ code: 0, stderr: '' });
    expect(pap('h2', GUEST_SHA1).code).toBe('accept');
    const r = users(['add', 'c1', '--sha1-hex', GUEST_SHA1, '--cleartext', '--sread', 'all']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: storing Cleartext-Password/);
    expect(rows("SELECT e.name, i.attribute, i.value_text FROM items i JOIN entries e ON e.id = i.entry_id WHERE list = 'check' AND e.name = 'c1'"))
      .toEqual([{ name: 'c1', attribute: 'Cleartext-Password', value_text: GUEST_SHA1 }]);
    expect(pap('h1', GUEST_SHA1).code).toBe('accept');
    expect(pap('c1', GUEST_SHA1).code).toBe('accept');
    expect(pap('c1', GUEST_SHA1.toUpperCase()).code).toBe('reject');
  });

  it('--password hashes a plain password; --password-file reads the first line', () => {
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    expect(users(['add', 'p1', '--password', 'hunter2']).code).toBe(0);
    expect(users(['add', 'p2', '--password-file', join(dir, 'pw')]).code).toBe(0);
    expect(pap('p1', 'hunter2').code).toBe('accept');
    expect(pap('p2', 's3cret').code).toBe('accept');
    expect(pap('p2', 's3cret\n').code).toBe('reject');
  });

  it('--nas creates an override entry before the general one, with the general lists as its starting point', () => {
    const r = users(['add', 'username01', '--sha1-hex', GUEST_SHA1, '--sread', 'all', '--swrite', 'devvirt,elements,log', '--gread', 'all', '--gwrite', '3001,3002',
      '--nas', '192.168.1.88', '--swrite', 'all', '--gwrite', 'all']);
    expect(r).toMatchObject({ code: 0, stdout: 'added username01 (2 entries)\n' });
    expect(rows('SELECT name, nas, password_attribute, sread, swrite, gread, gwrite, valid FROM users ORDER BY position')).toEqual([
      { name: 'username01', nas: '192.168.1.88', password_attribute: 'SSHA2-512-Password', sread: 'all,', swrite: 'all,', gread: 'all,', gwrite: 'all,', valid: 1 },
      { name: 'username01', nas: null, password_attribute: 'SSHA2-512-Password', sread: 'all,', swrite: 'devvirt,elements,log,', gread: 'all,', gwrite: '3001,3002,', valid: 1 },
    ]);
    expect(pap('username01', GUEST_SHA1, '192.168.1.88').reply.SWrite).toBe('all,');
    expect(pap('username01', GUEST_SHA1, '10.1.1.1').reply.SWrite).toBe('devvirt,elements,log,');
  });

  it.each([
    [['--sread', 'all,cameras,bogus'], 'unknown resource id "bogus"'],
    [['--swrite', 'languages'], 'unknown resource id "languages"'],
    [['--gread', 'some'], '"some" is not all, none or a positive group number'],
    [['--gwrite', '0'], '"0" is not all, none or a positive group number'],
    [['--gwrite', 'all,3001'], 'all / none cannot be combined'],
    [['--rfu2', ''], '--rfu2: empty value'],
    [['--sread', 'all,,view'], 'empty list element'],
    [['--nas', '192.168.1.300'], '"192.168.1.300" is not an IPv4 or IPv6 address'],
    [['--sha1-hex', 'abc'], '--sha1-hex: expected 40 hexadecimal digits'],
    [['--password', 'x', '--sha1-hex', GUEST_SHA1], 'give only one of'],
  ])('refuses %j with exit 2 and writes nothing', (args, message) => {
    const withPassword = args.includes('--password') || args.includes('--sha1-hex') ? args : ['--password', 'x', ...args];
    const r = users(['add', 'bad', ...withPassword]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(existsSync(db) ? rows('SELECT * FROM entries') : []).toEqual([]);
  });

  it('refuses a user without a password (2), and a duplicate name (4)', () => {
    expect(users(['add', 'np', '--sread', 'all'])).toMatchObject({ code: 2, stderr: expect.stringContaining('add needs a password') });
    expect(users(['add', 'dup', '--password', 'a']).code).toBe(0);
    const r = users(['add', 'dup', '--password', 'b']);
    expect(r).toMatchObject({ code: 4, stderr: 'error: user "dup" already exists (use "set" to change it)\n' });
    expect(rows("SELECT count(*) AS n FROM entries WHERE name = 'dup'")).toEqual([{ n: 1 }]);
  });
});

describe('users list / show', () => {
  it('prints profiles, never a password value; --json for scripts', () => {
    users(['add', 'a1', '--sha1-hex', GUEST_SHA1, '--cleartext', '--sread', 'all', '--nas', '10.0.0.9', '--sread', 'view']);
    users(['add', 'b2', '--password', 'x', '--rfu1', 'something strange']);
    const list = users(['list']);
    expect(list).toMatchObject({ code: 0, stdout: 'a1\tenabled\tCleartext-Password\tnas=10.0.0.9\nb2\tenabled\tSSHA2-512-Password\n' });
    const show = users(['show', 'a1']);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('entry #1  NAS 10.0.0.9');
    expect(show.stdout).toContain('    sread     view,');
    expect(show.stdout).not.toContain(GUEST_SHA1);
    const json = JSON.parse(users(['--json', 'show', 'b2']).stdout);
    expect(json).toEqual({
      name: 'b2', valid: true,
      entries: [{ id: 3, valid: true, password: 'SSHA2-512-Password', lists: { rfu1: 'something strange' }, fallThrough: false, otherCheck: [], otherReply: [] }],
    });
    expect(JSON.parse(users(['--json', 'list']).stdout).map((p: { name: string }) => p.name)).toEqual(['a1', 'b2']);
    expect(users(['show', 'nobody'])).toMatchObject({ code: 3, stderr: 'error: no such user "nobody"\n' });
  });

  it('does not create a database by reading one', () => {
    const r = users(['list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no user store at .*users\.sqlite: the file does not exist/);
    expect(existsSync(db)).toBe(false);
  });
});

describe('users set / disable / enable / del', () => {
  beforeEach(() => {
    expect(users(['add', 'u', '--sha1-hex', GUEST_SHA1, '--sread', 'all', '--swrite', 'view', '--rfu2', 'x', '--nas', '10.0.0.5', '--swrite', 'all']).code).toBe(0);
  });

  it('set changes lists of the general entry, adds and removes them, and changes the password everywhere', () => {
    expect(users(['set', 'u', '--swrite', 'log,view', '--unset', 'rfu2', '--gread', '7'])).toMatchObject({ code: 0, stdout: 'updated u\n' });
    expect(rows('SELECT nas, swrite, gread, rfu2 FROM users ORDER BY position')).toEqual([
      { nas: '10.0.0.5', swrite: 'all,', gread: null, rfu2: 'x' },
      { nas: null, swrite: 'log,view,', gread: '7,', rfu2: null },
    ]);
    expect(users(['set', 'u', '--password', 'newpass', '--device']).code).toBe(0);
    expect(pap('u', GUEST_SHA1).code).toBe('reject');
    const newHex = createHash('sha1').update('newpass').digest('hex');
    expect(pap('u', newHex).code).toBe('accept');
    expect(pap('u', newHex, '10.0.0.5')).toMatchObject({ code: 'accept', reply: { SWrite: 'all,' } });
  });

  it('set refuses to do nothing, and general lists when the user has only per-NAS entries', () => {
    expect(users(['set', 'u'])).toMatchObject({ code: 2, stderr: 'error: nothing to change: give a password option, list options or --nas\n' });
    expect(users(['set', 'nobody', '--sread', 'all']).code).toBe(3);
    writeFileSync(join(dir, 'nasonly.users'), 'n\tCleartext-Password := "x", NAS-IP-Address == 10.0.0.1\n');
    expect(users(['import', join(dir, 'nasonly.users')]).code).toBe(0);
    expect(users(['set', 'n', '--sread', 'all'])).toMatchObject({ code: 2, stderr: 'error: user "n" has only per-NAS entries: put the list options after --nas IP\n' });
    expect(users(['set', 'n', '--nas', '10.0.0.1', '--sread', 'all']).code).toBe(0);
    expect(rows("SELECT nas, sread FROM users WHERE name = 'n'")).toEqual([{ nas: '10.0.0.1', sread: 'all,' }]);
  });

  it('set --nas edits an existing override or inserts a new one just before the general entry', () => {
    expect(users(['set', 'u', '--nas', '10.0.0.5', '--sread', 'view', '--nas', '10.0.0.6', '--swrite', 'system']).code).toBe(0);
    expect(rows('SELECT nas, sread, swrite FROM users ORDER BY position')).toEqual([
      { nas: '10.0.0.5', sread: 'view,', swrite: 'all,' },
      { nas: '10.0.0.6', sread: 'all,', swrite: 'system,' },
      { nas: null, sread: 'all,', swrite: 'view,' },
    ]);
    expect(pap('u', GUEST_SHA1, '10.0.0.6').reply.SWrite).toBe('system,');
  });

  it('disable sets Valid = 0 and keeps the rows; the entry no longer matches; enable brings it back', () => {
    expect(users(['disable', 'u'])).toMatchObject({ code: 0, stdout: 'disabled u (2 entries)\n' });
    expect(rows('SELECT valid FROM entries')).toEqual([{ valid: 0 }, { valid: 0 }]);
    expect(pap('u', GUEST_SHA1).code).toBe('reject');
    expect(users(['show', 'u']).stdout).toContain('(disabled)');
    expect(users(['enable', 'u', '--nas', '10.0.0.5']).stdout).toBe('enabled u (1 entry)\n');
    expect(pap('u', GUEST_SHA1, '10.0.0.5').code).toBe('accept');
    expect(pap('u', GUEST_SHA1, '10.0.0.7').code).toBe('reject');
    expect(users(['disable', 'nobody']).code).toBe(3);
    expect(users(['disable', 'u', '--nas', '10.9.9.9'])).toMatchObject({ code: 3, stderr: 'error: user "u" has no entry for NAS 10.9.9.9\n' });
  });

  it('del removes one override or the whole user', () => {
    expect(users(['del', 'u', '--nas', '10.0.0.5']).stdout).toBe('deleted u (1 entry)\n');
    expect(rows('SELECT nas FROM users')).toEqual([{ nas: null }]);
    expect(users(['del', 'u']).code).toBe(0);
    expect(rows('SELECT count(*) AS n FROM items')).toEqual([{ n: 0 }]);
    expect(users(['del', 'u'])).toMatchObject({ code: 3, stderr: 'error: no such user "u"\n' });
  });
});

describe('users import / export', () => {
  it('imports a users file in order ($INCLUDE followed) and exports it back', () => {
    const r = users(['import', 'test/fixtures/sqlite/corpus.users']);
    const entries = parseUsersFile('test/fixtures/sqlite/corpus.users', dict);
    expect(r).toMatchObject({ code: 0, stdout: `imported ${entries.length} entries from test/fixtures/sqlite/corpus.users\n` });
    expect(rows<{ name: string }>('SELECT name FROM entries ORDER BY position').map((x) => x.name)).toEqual(entries.map((e) => e.name));
    const out = users(['export']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(exportUsersText(entries.map((e) => storedEntryFromEntry(dict, e))));
    expect(users(['export', '-o', join(dir, 'out.users')]).code).toBe(0);
    expect(readFileSync(join(dir, 'out.users'), 'utf8')).toBe(out.stdout);
    // --replace swaps the content in one transaction
    writeFileSync(join(dir, 'small.users'), 'solo\tCleartext-Password := "x"\n');
    expect(users(['import', '--replace', join(dir, 'small.users')]).code).toBe(0);
    expect(users(['export']).stdout).toBe('solo\tCleartext-Password := "x"\n');
  });

  it('a broken users file is refused with file:line and nothing is imported', () => {
    writeFileSync(join(dir, 'bad.users'), 'ok\tCleartext-Password := "x"\n\nbob\tFoo-Bar-Nope := "x"\n');
    const r = users(['import', join(dir, 'bad.users')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.users:3: Parse error \(check\) for entry bob: Unknown name "Foo-Bar-Nope"/);
    expect(existsSync(db) ? rows('SELECT * FROM entries') : []).toEqual([]);
  });

  it('export leaves disabled entries out and says so', () => {
    users(['add', 'x1', '--password', 'a']);
    users(['add', 'x2', '--password', 'b']);
    users(['disable', 'x1']);
    const r = users(['export']);
    expect(r.stdout).toMatch(/^x2\tSSHA2-512-Password := "[A-Za-z0-9+/=]{108}"\n$/);
    expect(r.stderr).toBe('note: 1 disabled entry left out\n');
  });
});

describe('options', () => {
  it('--dictionary loads a site dictionary for import (attributes it defines are accepted)', () => {
    writeFileSync(join(dir, 'dictionary'), `$INCLUDE ${join(process.cwd(), 'dictionaries/dictionary')}\nATTRIBUTE\tSite-Flag\t3001\tstring\n`);
    writeFileSync(join(dir, 'site.users'), 'site\tCleartext-Password := "x", Site-Flag := "on"\n');
    expect(users(['import', join(dir, 'site.users')])).toMatchObject({ code: 1, stderr: expect.stringContaining('Unknown name "Site-Flag"') });
    expect(users(['--dictionary', join(dir, 'dictionary'), 'import', join(dir, 'site.users')])).toMatchObject({ code: 0 });
    expect(users(['export']).stdout).toBe('site\tCleartext-Password := "x", Site-Flag := "on"\n');
  });

  it('--json answers writes with one JSON line', () => {
    expect(JSON.parse(users(['--json', 'add', 'j', '--password', 'x', '--nas', '10.0.0.1']).stdout)).toEqual({ ok: true, name: 'j', entries: 2 });
    expect(JSON.parse(users(['--json', 'disable', 'j']).stdout)).toEqual({ ok: true, name: 'j', entries: 2 });
    expect(JSON.parse(users(['--json', 'del', 'j']).stdout)).toEqual({ ok: true, name: 'j', entries: 2 });
  });

  it('add warns when an earlier catch-all DEFAULT will answer for the new user', () => {
    writeFileSync(join(dir, 'catch.users'), 'DEFAULT\tAuth-Type := Reject\n');
    expect(users(['import', join(dir, 'catch.users')]).code).toBe(0);
    const r = users(['add', 'late', '--password', 'x']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: entry #1 (DEFAULT without check items or Fall-Through) comes first and will answer for "late"\n');
  });
});

describe('usage errors', () => {
  it('unknown subcommand or option exits 2', () => {
    expect(users(['frobnicate']).code).toBe(2);
    expect(users(['add', 'x', '--password', 'a', '--bogus']).code).toBe(2);
  });
});
