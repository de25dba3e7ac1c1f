/**
 * Fuzzing the users-file parser through its injectable `readText`: grammar-generated files
 * (entries, check and reply items with every operator, quoting, escapes, VALUE names, tags,
 * vendor attributes, regexes, expansions, $INCLUDE between virtual files and cycles, CRLF,
 * over-long lines) and line mutations of the project's real users files. Property: Entry[] or a
 * UsersFileError listing problems with file and line; never another exception, never a hang.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { UsersFileError, parseUsersFile } from '../../src/policy/users-parser.js';
import type { Entry } from '../../src/policy/entry.js';
import { TEST_TIMEOUT_MS, describeError, fuzzParams, timed } from './fuzz-options.js';
import { applyLineMutations, lineMutations } from './mutate.js';

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(new URL('../../dictionaries/dictionary', import.meta.url).pathname);
});

const ROOT = '/fuzz/raddb';
const FILES = ['authorize', 'users.a', 'users.b'];

const attributes = fc.constantFrom(
  'User-Name', 'User-Password', 'Cleartext-Password', 'SHA-Password', 'Crypt-Password', 'NT-Password', 'Auth-Type',
  'NAS-IP-Address', 'NAS-Identifier', 'NAS-Port', 'Service-Type', 'Session-Timeout', 'Reply-Message', 'Framed-IP-Address',
  'Framed-IPv6-Prefix', 'Framed-Interface-Id', 'Event-Timestamp', 'Class', 'Calling-Station-Id', 'Huntgroup-Name',
  'SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite', 'RFU1', 'RFU2', 'Cisco-AVPair', 'Tunnel-Type:1',
  'Tunnel-Private-Group-Id:2', 'Tunnel-Password:3', 'Tunnel-Type:40', 'Fall-Through', 'Attr-26.39052.10', 'Attr-3000',
  'Vendor-Specific', 'Unknown-Attribute', 'Login-Time', 'Simultaneous-Use', 'Acct-Interim-Interval', 'Message-Authenticator',
  'FreeRADIUS-Statistics-Type', 'Tmp-String-0', 'Packet-Type', 'Response-Packet-Type', 'Digest-Attributes',
);

const operators = fc.constantFrom('=', ':=', '==', '+=', '!=', '>', '>=', '<', '<=', '=~', '!~', '=*', '!*', '=>', '===', '~', '', '-=');

const values = fc.oneof(
  fc.constantFrom(
    '10.0.0.1', '"192.168.1.88"', '256.1.1.1', '::1', '2001:db8::/64', '2001:db8::/129', '10.0.0.0/8', 'Framed-User',
    'Accept', 'Reject', 'Local', 'Yes', 'No', '0', '-1', '4294967295', '4294967296', '99999999999999999999', '0x', '0x0',
    '0x414', '0xzz', '0x00112233', '"all,"', '""', "''", '"a\\"b"', '"\\n\\t\\\\"', '"\\x41\\101"', '"trailing\\', '"unterminated',
    '`/bin/echo hi`', '"%{User-Name}"', '"%{exec:/bin/id}"', '"%{%{User-Name}:-x}"', '"^(a+)+$"', '"(unclosed"', '"[[:alpha:]]+"',
    '"(?>atomic)"', '"a++"', '"\\Qx\\E"', '"Jan  1 2024 00:00:00 UTC"', '"Wk0800-1700"', 'VLAN', 'IEEE-802', 'Authenticate-Only',
    'Status-Server', '"shell:priv-lvl=15"', '1e5', '1.5', 'abc def', 'a,b', ',', '#', '"#not-a-comment"',
  ),
  fc.integer().map(String),
  fc.string({ maxLength: 20 }).map((s) => JSON.stringify(s)),
  fc.stringMatching(/^[A-Za-z0-9._:/-]{0,16}$/),
);

const item = fc.tuple(attributes, operators, values).map(([a, o, v]) => `${a} ${o} ${v}`);
const itemSeparated = fc.tuple(attributes, operators, values, fc.constantFrom(' ', '', '\t', '  ')).map(([a, o, v, sp]) => `${a}${sp}${o}${sp}${v}`);
const items = fc.tuple(fc.array(fc.oneof(item, itemSeparated), { maxLength: 4 }), fc.constantFrom(', ', ',', ' , '))
  .map(([l, sep]) => l.join(sep));

const names = fc.oneof(
  fc.constantFrom('username01', 'DEFAULT', 'viewer', '"quoted user"', '"bad', 'a"b', "'single'", 'user\\', 'ünïcode', '#x'),
  fc.stringMatching(/^[A-Za-z0-9._@-]{1,20}$/),
);

const includeLine = fc.tuple(fc.constantFrom('$INCLUDE', '$include', '$INCLUDE-', '$-INCLUDE'), fc.constantFrom(...FILES, 'missing', '/abs/missing', '', '.', 'users.a users.b'))
  .map(([k, f]) => `${k} ${f}`);

const line: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(names, items).map(([n, i]) => `${n}\t${i}`) },
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom('\t', '    ', ' ', '\t\t'), items, fc.constantFrom(',', '', ', ', ',,')).map(([ind, i, c]) => `${ind}${i}${c}`) },
  { weight: 1, arbitrary: fc.constantFrom('\tFall-Through = Yes', '\tFall-Through = No', '', '# comment', '\t# indented comment', '   ', '\r', 'DEFAULT', 'DEFAULT\tAuth-Type := Reject') },
  { weight: 1, arbitrary: includeLine },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.constantFrom(`user ${'x'.repeat(9000)}`, `\tReply-Message = "${'y'.repeat(8200)}"`) },
);

const fileArb = fc.tuple(fc.array(line, { maxLength: 30 }), fc.constantFrom('\n', '\r\n', '\n', '\n'), fc.boolean())
  .map(([ls, eol, finalNewline]) => ls.join(eol) + (finalNewline ? eol : ''));

function virtualReader(files: Map<string, string>): (path: string) => string {
  return (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

/** The property: Entry[] or a UsersFileError listing located problems. */
function checkOutcome(run: () => Entry[]): void {
  const out = timed(run);
  if (out.ok) {
    expect(Array.isArray(out.value)).toBe(true);
    for (const e of out.value) {
      expect(typeof e.name).toBe('string');
      expect(Array.isArray(e.check)).toBe(true);
      expect(Array.isArray(e.reply)).toBe(true);
    }
    return;
  }
  if (!(out.error instanceof UsersFileError)) throw new Error(`parser threw a non-UsersFileError: ${describeError(out.error)}`);
  expect(out.error.problems.length).toBeGreaterThan(0);
  for (const p of out.error.problems) {
    expect(typeof p.file).toBe('string');
    expect(Number.isInteger(p.line) && p.line >= 0).toBe(true);
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(/\bNaN\b|\[object Object\]/);
  }
}

describe('fuzz: users-file parser', () => {
  it('grammar-generated users files with includes between virtual files', { timeout: TEST_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.array(fileArb, { minLength: 1, maxLength: FILES.length }), (texts) => {
        const files = new Map(texts.map((t, i) => [join(ROOT, FILES[i]!), t]));
        checkOutcome(() => parseUsersFile(join(ROOT, 'authorize'), dict, { readText: virtualReader(files) }));
      }),
      fuzzParams(20_000, 2_000),
    );
  });

  const real = ['../fixtures/device/authorize', '../fixtures/users/seed-authorize', '../fixtures/passwords/authorize', '../fixtures/diff/handwritten-authorize', '../../config/authorize']
    .map((p) => {
      try {
        return readFileSync(new URL(p, import.meta.url), 'utf8');
      } catch {
        return undefined;
      }
    })
    .filter((t): t is string => t !== undefined);

  it('mutations of the project\'s real users files', { timeout: TEST_TIMEOUT_MS }, () => {
    expect(real.length).toBeGreaterThan(0);
    const tokens = fc.oneof(attributes, operators, values, names, fc.constantFrom(',', '\t', '"', '\\', '$INCLUDE'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: real.length - 1 }), lineMutations(tokens, line), (which, edits) => {
        const files = new Map([[join(ROOT, 'authorize'), applyLineMutations(real[which]!, edits)], [join(ROOT, 'users.a'), '$INCLUDE authorize\n']]);
        checkOutcome(() => parseUsersFile(join(ROOT, 'authorize'), dict, { readText: virtualReader(files) }));
      }),
      fuzzParams(20_000, 2_000),
    );
  });

  it('include cycles and missing files end in a UsersFileError', () => {
    const files = new Map([
      [join(ROOT, 'authorize'), '$INCLUDE users.a\n'],
      [join(ROOT, 'users.a'), '$INCLUDE authorize\n'],
    ]);
    const cycle = timed(() => parseUsersFile(join(ROOT, 'authorize'), dict, { readText: virtualReader(files) }));
    expect(cycle.ok).toBe(false);
    if (!cycle.ok) expect(cycle.error).toBeInstanceOf(UsersFileError);
    const missing = timed(() => parseUsersFile(join(ROOT, 'nope'), dict, { readText: virtualReader(files) }));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toBeInstanceOf(UsersFileError);
  });
});
