import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';

/**
 * `vutlan-radius check` on users files FreeRADIUS 3.2.1 loads but answers surprisingly: regular
 * expressions on non-string attributes (warned with file:line, the load still succeeds), and
 * expansion functions we do not implement (refused, naming the function and the supported ones).
 */

const CLI = join(repoRoot, 'dist/cli/vutlan-radius.js');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-check-warn-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const USERS = [
  '# regex checks on every kind of attribute',
  'a\tNAS-Port =~ "^5", Cleartext-Password := "x"',
  'b\tService-Type !~ "^Framed", Cleartext-Password := "x"',
  'c\tNAS-IP-Address =~ "^10[.]0", Cleartext-Password := "x"',
  '',
  'd\tClass =~ "AB", Cleartext-Password := "x"',
  'e\tCalling-Station-Id =~ "^A", Cleartext-Password := "x"',
  'f\tEvent-Timestamp =~ "2026", Cleartext-Password := "x"',
  '\tReply-Message = "%{toupper:%{User-Name}} %{expr:1 + 2}"',
  '',
].join('\n');

let configs = 0;
function config(users: string): string {
  const path = join(dir, `radiusd-${++configs}.yaml`);
  writeFileSync(path, [
    'listen: [ { type: auth, address: 127.0.0.1, port: 0 } ]',
    'clients: [ { name: lo, address: 127.0.0.1, secret: a-long-enough-secret } ]',
    users,
    '',
  ].join('\n'));
  return path;
}

describe('vutlan-radius check: users items that can never (or always) match', () => {
  it('warns with file:line for =~ / !~ on integer, enumerated, IP and date attributes and explains octets; string regexes pass silently', () => {
    const file = join(dir, 'authorize');
    writeFileSync(file, USERS);
    const r = run(['check', '-c', config('users: { files: [ ./authorize ] }')]);
    expect(r.stderr).toBe([
      `${file}:2: NAS-Port =~ "^5" in entry a can never match: the entry never matches (FreeRADIUS 3.2.1 applies regular expressions only to string attributes; NAS-Port is integer) (hint: compare with ==, !=, <, > instead (e.g. NAS-Port == <value>)) (warning)`,
      `${file}:3: Service-Type !~ "^Framed" in entry b always matches when the request has the attribute (FreeRADIUS 3.2.1 applies regular expressions only to string attributes; Service-Type is integer) (hint: use != or !* instead) (warning)`,
      `${file}:4: NAS-IP-Address =~ "^10[.]0" in entry c can never match: the entry never matches (FreeRADIUS 3.2.1 applies regular expressions only to string attributes; NAS-IP-Address is ipaddr) (hint: compare with ==, !=, <, > instead (e.g. NAS-IP-Address == <value>)) (warning)`,
      `${file}:6: Class =~ "AB" in entry d matches the pattern's bytes written as hex (0x...) against the value written as hex, as FreeRADIUS 3.2.1 does (hint: Class is octets: with ==, write the whole value as 0x<hex>) (warning)`,
      `${file}:8: Event-Timestamp =~ "2026" in entry f can never match: the entry never matches (FreeRADIUS 3.2.1 applies regular expressions only to string attributes; Event-Timestamp is date) (hint: compare with ==, !=, <, > instead (e.g. Event-Timestamp == <value>)) (warning)`,
      '',
    ].join('\n'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 1 clients, 6 users entries/);
  });

  it('warns the same for the SQLite store, naming the row', () => {
    const db = join(dir, 'users.sqlite');
    const imp = run(['users', '--db', db, 'import', join(dir, 'authorize')]);
    expect(imp.code, imp.stderr).toBe(0);
    const r = run(['check', '-c', config(`users: { sqlite: ${JSON.stringify(db)} }`)]);
    expect(r.code, r.stderr).toBe(0);
    const warned = r.stderr.trim().split('\n');
    expect(warned).toHaveLength(5);
    expect(warned[0]).toMatch(new RegExp(`^sqlite:${db.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}#\\d+: NAS-Port =~ "\\^5" in entry a can never match`));
    expect(warned.every((l) => l.endsWith('(warning)'))).toBe(true);
  });

  it('refuses an expansion function it does not implement, naming it and the supported ones', () => {
    const file = join(dir, 'authorize-rand');
    writeFileSync(file, 'bob\tCleartext-Password := "x"\n\tReply-Message = "%{rand:10}"\nann\tCleartext-Password := "x"\n\tFilter-Id = "%{nosuch:x}"\n');
    const r = run(['check', '-c', config('users: { files: [ ./authorize-rand ] }')]);
    expect(r.code).toBe(1);
    const supported = 'vutlan-radius supports attribute references and the functions tolower, toupper, strlen, length, integer, hex, md4, md5, sha1, sha256, sha512, base64, urlquote, urlunquote, expr';
    expect(r.stderr).toContain(`${file}:2: Parse error (reply) for entry bob: Unsupported expansion function "%{rand:...}" in "%{rand:10}": ${supported}`);
    expect(r.stderr).toContain(`${file}:4: Parse error (reply) for entry ann: Unknown expansion function "%{nosuch:...}" in "%{nosuch:x}": ${supported}`);
  });
});
