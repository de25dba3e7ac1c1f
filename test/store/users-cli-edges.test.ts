import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { repoRoot } from '../server/test-server.js';

/**
 * What a new admin trips over in `vutlan-radius users` and `check`: password files, names the
 * server refuses anyway, over-long passwords, read-only and missing stores, a second import of
 * the same file, and `check` leaving no database behind.
 */

const CLI = join(repoRoot, 'dist/cli/vutlan-radius.js');
const PW = 'd'.repeat(40);
let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-users-edges-'));
  db = join(dir, 'users.sqlite');
});
afterEach(() => {
  chmodSync(dir, 0o755);
  rmSync(dir, { recursive: true, force: true });
});

interface Run { code: number | null; stdout: string; stderr: string }

function vr(args: string[], opts: { input?: string; asUser?: number } = {}): Run {
  const argv = [CLI, ...args];
  const r = opts.asUser !== undefined
    ? spawnSync('setpriv', [`--reuid=${opts.asUser}`, `--regid=${opts.asUser}`, '--clear-groups', process.execPath, ...argv], { input: opts.input ?? '', encoding: 'utf8', timeout: 20_000 })
    : spawnSync(process.execPath, argv, { input: opts.input ?? '', encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const users = (args: string[], input?: string): Run => vr(['users', '--db', db, ...args], input !== undefined ? { input } : {});

function count(sql = 'SELECT count(*) FROM entries'): number {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).pluck().get() as number;
  } finally {
    d.close();
  }
}

describe('users add: what is stored', () => {
  it('--password-file stores only the first line', () => {
    writeFileSync(join(dir, 'pw'), 'first-line\nsecond line\n');
    expect(users(['add', 'op1', '--password-file', join(dir, 'pw'), '--cleartext', '--sread', 'view'])).toMatchObject({ code: 0 });
    expect(count("SELECT count(*) FROM users WHERE password_value = 'first-line'")).toBe(1);
    writeFileSync(join(dir, 'pw2'), 'crlf-line\r\nmore\r\n');
    expect(users(['set', 'op1', '--password-file', join(dir, 'pw2'), '--cleartext'])).toMatchObject({ code: 0 });
    expect(count("SELECT count(*) FROM users WHERE password_value = 'crlf-line'")).toBe(1);
  });

  it.each(['op 1', 'john.', 'a..b', 'x@y@z.com', 'x@nodot'])('refuses "%s", a name the server rejects before any lookup', (name) => {
    const r = users(['add', name, '--sha1-hex', PW]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: ".*": the server refuses this User-Name before looking it up \(Rejected: .*\), so this user could never log in\n$/);
    expect(existsSync(db) ? count() : 0).toBe(0);
  });

  it('refuses control characters as the server does, C1 included', () => {
    for (const name of ['tab\tname', 'c1\u0085name']) {
      const r = users(['add', name, '--sha1-hex', PW]);
      expect(r).toMatchObject({ code: 2, stderr: 'error: user name must be 1..253 octets without control characters\n' });
    }
  });

  it('accepts names the server takes (realm with a dot, dots inside, UTF-8)', () => {
    for (const name of ['op1@example.com', 'j.smith', 'Jürgen']) {
      expect(users(['add', name, '--sha1-hex', PW])).toMatchObject({ code: 0, stderr: '' });
    }
    expect(count()).toBe(3);
  });

  it('refuses a password over 128 octets (RADIUS cannot carry it), except through --device', () => {
    const long = 'p'.repeat(129);
    const r = users(['add', 'op1', '--password-stdin'], `${long}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('password is 129 octets: a RADIUS User-Password carries at most 128');
    const utf8 = users(['add', 'op1', '--password', 'é'.repeat(65)]);
    expect(utf8.code).toBe(2);
    expect(utf8.stderr).toContain('password is 130 octets');
    expect(existsSync(db) ? count() : 0).toBe(0);
    expect(users(['add', 'op1', '--password', 'p'.repeat(128)])).toMatchObject({ code: 0 });
    // the device sends the 40-digit SHA-1 hex of the login password, whatever its length
    expect(users(['add', 'op2', '--password', long, '--device'])).toMatchObject({ code: 0 });
    expect(users(['set', 'op2', '--password', long])).toMatchObject({ code: 2 });
  });

  it('still refuses a bad value in the entries it writes (validates the user written)', () => {
    expect(users(['add', 'op1', '--sha1-hex', PW, '--gread', '1'])).toMatchObject({ code: 0 });
    // another user's row that the server cannot decode does not block writes of others
    const d = new Database(db);
    d.prepare("INSERT INTO entries (position, name) VALUES (999999, 'broken')").run();
    d.prepare("INSERT INTO items (entry_id, list, idx, attribute, op, value_text, quote) VALUES (last_insert_rowid(), 'reply', 0, 'Session-Timeout', '=', 'soon', '\"')").run();
    d.close();
    expect(users(['add', 'op2', '--sha1-hex', PW])).toMatchObject({ code: 0, stderr: '' });
    expect(users(['set', 'op1', '--sread', 'all'])).toMatchObject({ code: 0, stderr: '' });
  });
});

describe('users import twice', () => {
  const file = (): string => {
    const f = join(dir, 'authorize');
    writeFileSync(f, 'u1 Cleartext-Password := "x"\n\tSRead = "all,"\n\nu2 Cleartext-Password := "y"\n\nDEFAULT Auth-Type := Reject\n');
    return f;
  };

  it('refuses the same file a second time and writes nothing; --replace and --append say what to do', () => {
    const f = file();
    expect(users(['import', f])).toMatchObject({ code: 0, stdout: `imported 3 entries from ${f}\n` });
    const again = users(['import', f]);
    expect(again.code).toBe(4);
    expect(again.stderr).toBe(
      'error: nothing imported: users "u1", "u2" already in the store and 1 DEFAULT entry identical to stored ones (imported before?). ' +
        "Use --replace to replace the store's entries with the file's, or --append to add them anyway\n",
    );
    expect(count()).toBe(3);
    expect(users(['import', f, '--replace'])).toMatchObject({ code: 0 });
    expect(count()).toBe(3);
    expect(users(['import', f, '--append'])).toMatchObject({ code: 0 });
    expect(count()).toBe(6);
    expect(users(['import', f, '--append', '--replace'])).toMatchObject({ code: 2 });
  });

  it('refuses a file whose user was added by hand, but takes a file of other users', () => {
    expect(users(['add', 'u2', '--sha1-hex', PW])).toMatchObject({ code: 0 });
    expect(users(['import', file()])).toMatchObject({ code: 4, stderr: expect.stringContaining('user "u2" already in the store') });
    const other = join(dir, 'other');
    writeFileSync(other, 'u3 Cleartext-Password := "z"\n');
    expect(users(['import', other])).toMatchObject({ code: 0 });
    expect(count()).toBe(2);
  });
});

describe('missing and read-only stores', () => {
  it('list, show, set, del on a missing store say so and create nothing', () => {
    for (const args of [['list'], ['show', 'x'], ['set', 'x', '--sread', 'all'], ['del', 'x'], ['disable', 'x'], ['export']]) {
      const r = users(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: no user store at ${db}: the file does not exist ("users add" or "users import" creates it)\n`);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('list, show and export work on a store this user may not write', () => {
    expect(users(['add', 'op1', '--sha1-hex', PW, '--sread', 'view'])).toMatchObject({ code: 0 });
    chmodSync(db, 0o444);
    chmodSync(dir, 0o555);
    const root = process.getuid?.() === 0;
    const asUser = root ? { asUser: 65534 } : {};
    if (root) chmodSync(dir, 0o755); // nobody may enter, not write
    const list = vr(['users', '--db', db, 'list'], asUser);
    expect(list).toEqual({ code: 0, stdout: 'op1\tenabled\tSSHA2-512-Password\n', stderr: '' });
    const show = vr(['users', '--db', db, '--json', 'show', 'op1'], asUser);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'op1', entries: [{ lists: { sread: 'view,' } }] });
    expect(vr(['users', '--db', db, 'export'], asUser)).toMatchObject({ code: 0, stdout: expect.stringContaining('SRead = "view,"') });
    // and a write says why it failed
    const write = vr(['users', '--db', db, 'set', 'op1', '--sread', 'all'], asUser);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/readonly database|unable to open/);
    expect(readdirSync(dir).sort()).toEqual(['users.sqlite']);
  });
});

describe('check leaves the store alone', () => {
  function config(extra = ''): string {
    const f = join(dir, 'radiusd.yaml');
    writeFileSync(f, `
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
clients:
  - { name: lo, address: 127.0.0.1, secret: a-long-test-secret-1234 }
users:
  files: [ ./authorize ]
  sqlite: ./users.sqlite
log:
  auth_fail: ./auth-fail.log
${extra}`);
    return f;
  }

  it('a missing store: a warning and exit 0, no file created', () => {
    writeFileSync(join(dir, 'authorize'), 'u1 Cleartext-Password := "x"\n');
    const r = vr(['check', '-c', config()]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`${db}: the SQLite store does not exist yet: serve creates it empty (warning)\n`);
    expect(existsSync(db)).toBe(false);
  });

  it('a failing check creates no store either', () => {
    writeFileSync(join(dir, 'authorize'), 'u1 Cleartext-Password := "x"\n\tSession-Timeout = "soon"\n');
    const r = vr(['check', '-c', config()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('authorize:2');
    expect(readdirSync(dir).sort()).toEqual(['authorize', 'radiusd.yaml']);
  });

  it('an existing store of an older schema is checked, not migrated', () => {
    writeFileSync(join(dir, 'authorize'), '');
    const old = new Database(db);
    old.pragma('journal_mode = WAL');
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO entries (id, position, name) VALUES (1, 1024, 'op1')").run();
    old.prepare("INSERT INTO items (entry_id, list, idx, attribute, op, value_text, quote) VALUES (1, 'reply', 0, 'Session-Timeout', '=', 'soon', '\"')").run();
    old.close();
    const r = vr(['check', '-c', config()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`sqlite:${db}#1`);
    expect(count('PRAGMA user_version')).toBe(1);
  });
});
