import { describe, expect, it } from 'vitest';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { formatValue } from '../../src/protocol/values.js';
import { UsersFileError, parseUsersFile, parseUsersText } from '../../src/policy/users-parser.js';
import type { Entry } from '../../src/policy/entry.js';
import { writeUsersFile } from '../../src/policy/users-writer.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dict = loadDictionary(join(ROOT, 'dictionaries/dictionary'));
const FILE = '/virtual/users';

function parse(text: string, files: Record<string, string> = {}): Entry[] {
  return parseUsersText(text, FILE, dict, {
    readText: (p) => {
      if (p in files) return files[p]!;
      throw Object.assign(new Error('missing'), { code: 'ENOENT' });
    },
  });
}

function problems(text: string, files: Record<string, string> = {}): string[] {
  try {
    parse(text, files);
  } catch (e) {
    if (e instanceof UsersFileError) return e.problems.map((p) => `${p.line}: ${p.message}`);
    throw e;
  }
  return [];
}

function values(e: Entry): string[] {
  return e.reply.map((i) => `${i.attr.name} ${i.op} ${formatValue(i.attr, i.value)}`);
}

describe('users-file grammar (freeradius-semantics 1.1-1.6)', () => {
  it('reads the seed file with trailing spaces after commas and after the check line', () => {
    const entries = parseUsersFile(join(ROOT, 'test/fixtures/users/seed-authorize'), dict);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.name).toBe('username01');
    expect(entries[0]!.check.map((i) => i.attr.name)).toEqual(['Cleartext-Password']);
    expect(values(entries[0]!)).toEqual([
      'SRead = all,', 'SWrite = all,', 'CRead = all,', 'CWrite = all,', 'GRead = all,', 'GWrite = all,',
      'RFU1 = something strange', 'RFU2 = anover something strange too',
    ]);
  });

  it('skips comments and blank lines anywhere, also between reply lines, and # after items', () => {
    const e = parse('# c\n\nbob Cleartext-Password := "x" # c\n# between\n\n\tReply-Message = "a",\n\t# more\n\n\tSession-Timeout = 10 # c2\n');
    // "# c2" after a trailing comma ends the line: the entry is finished there (FreeRADIUS does the same).
    expect(problems('bob Cleartext-Password := "x"\n\tReply-Message = "a", # c\n\tSession-Timeout = 10\n'))
      .toEqual(['3: Entry does not begin with a user name']);
    expect(e).toHaveLength(1);
    expect(values(e[0]!)).toEqual(['Reply-Message = a', 'Session-Timeout = 10']);
  });

  it('treats any white space in column 0 as a reply line, and allows entries without reply lines', () => {
    const e = parse('a Auth-Type := Accept\nb Auth-Type := Accept\n  Reply-Message = "two spaces"\nc\n');
    expect(e.map((x) => [x.name, x.reply.length])).toEqual([['a', 0], ['b', 1], ['c', 0]]);
  });

  it('keeps quoted names, names case-sensitive, DEFAULT only in upper case', () => {
    const e = parse('"John Doe" Auth-Type := Accept\ndefault Auth-Type := Accept\nDEFAULT Auth-Type := Accept\n');
    expect(e.map((x) => [x.name, x.isDefault])).toEqual([['John Doe', false], ['default', false], ['DEFAULT', true]]);
  });

  it('accepts attribute and VALUE names in any case', () => {
    const e = parse('bob service-type == framed-user\n\tfall-through = yes\n');
    expect(e[0]!.check[0]!.attr.name).toBe('Service-Type');
    expect(formatValue(e[0]!.check[0]!.attr, e[0]!.check[0]!.value)).toBe('Framed-User');
    expect(e[0]!.fallThrough).toBe(true);
    expect(e[0]!.reply).toEqual([]);
  });

  it('makes reply-side attributes on the first line check items', () => {
    const e = parse('bob Cleartext-Password := "x", Reply-Message = "a"\n');
    expect(e[0]!.check.map((i) => `${i.attr.name} ${i.op}`)).toEqual(['Cleartext-Password :=', 'Reply-Message =']);
  });

  it('applies the double-quote escapes whatever the quoting, and marks %{ for expansion (3.2.1 rules)', () => {
    const e = parse('esc Cleartext-Password := "e"\n' +
      '\tReply-Message = "tab\\there|nl\\n|q\\"|oct\\101|bs\\\\|unk\\x|pct%%|u%{User-Name}",\n' +
      "\tReply-Message += 'sq\\t|\\'|\\\\|%{User-Name}',\n" +
      '\tReply-Message += `bq\\t|%{User-Name}`,\n' +
      '\tReply-Message += bare\\tword,\n' +
      '\tReply-Message += "Hello, %{User-Name}",\n' +
      '\tClass = "0x41", Class += 0x4243, Class += "plain"\n');
    const r = e[0]!.reply;
    expect(r[0]!.value.toString()).toBe('tab\there|nl\n|q"|octA|bs\\|unk\\x|pct%%|u%{User-Name}');
    expect(r[0]!.expand).toBe(false);
    expect(r[1]!.value.toString()).toBe("sq\t|'|\\|%{User-Name}");
    expect(r[2]!.value.toString()).toBe('bq\t|%{User-Name}');
    expect(r[3]!.value.toString()).toBe('bare\tword');
    expect(r[4]!.expand).toBe(true);
    expect(r.slice(5).map((i) => i.value.toString('hex'))).toEqual(['41', '4243', Buffer.from('plain').toString('hex')]);
    expect(r[0]!.text).toBe('tab\\there|nl\\n|q\\"|oct\\101|bs\\\\|unk\\x|pct%%|u%{User-Name}');
  });

  it('reads tags in both forms and raw Attr-N names with hex values', () => {
    const e = parse('t Attr-1 == 0x626f62, Attr-26.39052.10 == 0x616c6c\n\tTunnel-Type:1 = VLAN, Tunnel-Private-Group-Id = ":2:200"\n');
    expect(e[0]!.check.map((i) => `${i.attr.name}=${i.value.toString()}`)).toEqual(['User-Name=bob', 'SRead=all']);
    expect(e[0]!.reply.map((i) => [i.attr.name, i.tag, formatValue(i.attr, i.value)])).toEqual([
      ['Tunnel-Type', 1, 'VLAN'], ['Tunnel-Private-Group-Id', 2, '200'],
    ]);
  });

  it('compiles regular expressions when the file loads', () => {
    const e = parse('DEFAULT User-Name =~ "^([a-z]+)[[:digit:]]$"\n');
    expect(e[0]!.check[0]!.regex!.test('ab1')).toBe(true);
    expect(e[0]!.check[0]!.regex!.test('ab')).toBe(false);
  });

  it('follows $INCLUDE relative to the including file, in place, and refuses cycles', () => {
    const files = { '/virtual/sub/more': 'carol Auth-Type := Accept\n$include ../third\n', '/virtual/third': 'dave Auth-Type := Accept\n' };
    const e = parse('alice Auth-Type := Accept\n$INCLUDE sub/more\nDEFAULT Auth-Type := Reject\n', files);
    expect(e.map((x) => `${x.name}@${x.origin.file}:${x.origin.line}`)).toEqual([
      'alice@/virtual/users:1', 'carol@/virtual/sub/more:1', 'dave@/virtual/third:1', 'DEFAULT@/virtual/users:3',
    ]);
    const cyc = { '/virtual/a': '$INCLUDE users\n' };
    expect(problems('$INCLUDE a\n', cyc)[0]).toMatch(/^1: \$INCLUDE cycle: .*\/virtual\/users -> .*\/virtual\/a -> .*\/virtual\/users$/);
  });
});

describe('load errors (freeradius-semantics 1.7): message and blamed line', () => {
  const table: [string, string, string][] = [
    ['bob Cleartext-Password := "x"\n\tReply-Message = "a"\n\tSession-Timeout = 10\n', '3', 'Entry does not begin with a user name'],
    ['  bob Cleartext-Password := "x"\n', '1', 'Entry does not begin with a user name'],
    ['bob Cleartext-Password := "x" NAS-Port == 1\n', '1', 'Parse error (check) for entry bob: Expected end of line or comma'],
    ['bob Cleartext-Password := "x",\n', '1', 'Invalid text after check attributes for entry bob'],
    ['bob Cleartext-Password := "x"\n\tReply-Message = "a",\n\n# c\nalice Auth-Type := Accept\n', '5', 'Invalid comma after the reply attributes.  Please delete it.'],
    ['bob Cleartext-Password := "x"\n\tReply-Message = "a",\n# end\n', '3', 'Invalid comma after the reply attributes.  Please delete it.'],
    ['bob Foo-Bar := "x"\n', '1', 'Parse error (check) for entry bob: Unknown name "Foo-Bar"'],
    ['bob Cleartext-Password := "x"\n\tSession-Timeout = abc\n', '2', 'Parse error (reply) for entry bob: Unknown or invalid value "abc" for attribute Session-Timeout'],
    ['bob Cleartext-Password "x"\n', '1', 'Parse error (check) for entry bob: Expecting operator'],
    ['bob Cleartext-Password :=\n', '1', 'Parse error (check) for entry bob: Failed to get value'],
    ['bob Cleartext-Password := "x\n', '1', 'Parse error (check) for entry bob: Expected end of line or comma'],
    ['bob, Cleartext-Password := "x"\n', '1', 'Parse error (check) for entry bob: Invalid attribute name'],
    ['bob Attr-1 == "bob"\n', '1', 'Parse error (check) for entry bob: Unknown attribute "Attr-1" requires a hex string, not "bob"'],
    ['bob Cleartext-Password := "x", \\\n', '1', 'Parse error (check) for entry bob: Invalid attribute name'],
    ['bob NAS-IP-Address == 10.0.0.0/24\n', '1', 'Parse error (check) for entry bob: Invalid IPv4 mask length "/24".  Only "/32" permitted for non-prefix types'],
    ['bob Cleartext-Password := "x"\n$INCLUDE nope\n', '2', 'Could not open included file /virtual/nope: No such file or directory'],
  ];
  for (const [text, line, message] of table) {
    it(message, () => {
      expect(problems(text)[0]).toBe(`${line}: ${message}`);
    });
  }

  it('refuses an empty vendor attribute in a reply, with its line (deliberate difference)', () => {
    expect(problems('username01 Cleartext-Password := "x"\n\tSRead = "all,",\n\tRFU2 = ""\n'))
      .toEqual(['3: Empty value for vendor attribute RFU2 in the reply of entry username01']);
  });

  it('refuses host names instead of resolving them (deliberate difference)', () => {
    expect(problems('bob NAS-IP-Address == nas.example.com\n')[0]).toContain('Failed resolving "nas.example.com" to IPv4 address');
  });

  it('collects every problem of a file, continuing after each broken entry', () => {
    const p = problems('a Foo := 1\n\tReply-Message = "x"\nb Cleartext-Password := "x"\n\tSession-Timeout = x\nc Auth-Type := Accept\n  Reply-Message = "a"\n  Reply-Message = "b"\n');
    expect(p).toEqual([
      '1: Parse error (check) for entry a: Unknown name "Foo"'.replace('Unknown name "Foo"', 'Invalid vendor name in attribute name "Foo"'),
      '4: Parse error (reply) for entry b: Unknown or invalid value "x" for attribute Session-Timeout',
      '7: Entry does not begin with a user name',
    ]);
  });

  it('formats problems as file:line: message with a hint', () => {
    try {
      parse('bob Cleartext-Password := "x",\n');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toMatch(/^\/virtual\/users:1: Invalid text after check attributes for entry bob \(hint: .+\)$/);
    }
  });
});

describe('users-writer round trip', () => {
  it('writes entries that parse back to identical entries', () => {
    const text = parseUsersFile(join(ROOT, 'test/fixtures/diff/handwritten-authorize'), dict);
    const again = parse(writeUsersFile(text));
    const strip = (es: Entry[]): unknown => es.map((e) => ({ ...e, origin: undefined, check: e.check.map((i) => ({ ...i, regex: i.regex?.source })), reply: e.reply.map((i) => ({ ...i, regex: i.regex?.source })) }));
    expect(strip(again)).toEqual(strip(text));
  });

  it('keeps a raw attribute name as written, which the dictionary name would change', () => {
    const entries = parse('bob Attr-26.9.1 == 0x4142\n\tVendor-9-Attr-1 = 0x43,\n\tReply-Message = "hi"\n');
    expect(entries[0]!.check[0]!.attr.name).toBe('Cisco-AVPair');
    const text = writeUsersFile(entries);
    expect(text).toBe('bob\tAttr-26.9.1 == 0x4142\n\tVendor-9-Attr-1 = 0x43,\n\tReply-Message = "hi"\n');
    const again = parse(text);
    expect(again[0]!.check[0]!.value).toEqual(Buffer.from('AB'));
    expect(again[0]!.reply[0]!.value).toEqual(Buffer.from('C'));
  });
});

describe('shared items', () => {
  it('entries that write the same item share one object; any difference in name, operator, quote or text does not', () => {
    const entries = parse([
      'alice Cleartext-Password := "secret-of-alice-1"',
      '\tSRead = "all,",',
      '\tSWrite = "log,"',
      'bob Cleartext-Password := "secret-of-bob-22"',
      '\tSRead = "all,",',
      "\tSWrite = 'log,',",
      '\tCRead := "all,",',
      '\tGRead = "all,"',
      '',
    ].join('\n'));
    const [alice, bob] = entries as [Entry, Entry];
    expect(bob.reply[0]).toBe(alice.reply[0]);
    expect(bob.reply[1]).not.toBe(alice.reply[1]);
    expect(bob.reply[1]!.quote).toBe("'");
    expect(values(bob)).toEqual(['SRead = all,', 'SWrite = log,', 'CRead := all,', 'GRead = all,']);
    expect(bob.check[0]!.text).toBe('secret-of-bob-22');
    expect(alice.check[0]!.text).toBe('secret-of-alice-1');
  });

  it('entries with the same reply items in the same order share one reply list', () => {
    const [a, b, c, d] = parse([
      'a Cleartext-Password := "pa"', '\tSRead = "all,",', '\tGRead = "none"',
      'b Cleartext-Password := "pb"', '\tSRead = "all,", GRead = "none"',
      'c Cleartext-Password := "pc"', '\tGRead = "none",', '\tSRead = "all,"',
      'd Cleartext-Password := "pd"', '\tSRead = "all,"',
      '',
    ].join('\n')) as [Entry, Entry, Entry, Entry];
    expect(b.reply).toBe(a.reply);
    expect(c.reply).not.toBe(a.reply);
    expect(d.reply).not.toBe(a.reply);
    expect(d.reply.map((i) => i.attr.name)).toEqual(['SRead']);
    expect(a.check).not.toBe(b.check);
  });

  it('stays exact for thousands of unique values (passwords) and keeps sharing the repeated ones', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(`u${i} Cleartext-Password := "password-number-${i}"`, '\tSRead = "all,"');
    lines.push('again Cleartext-Password := "password-number-7"', '\tSRead = "all,"', '');
    const entries = parse(lines.join('\n'));
    expect(entries).toHaveLength(3001);
    entries.slice(0, 3000).forEach((e, i) => {
      expect(e.check[0]!.text).toBe(`password-number-${i}`);
      expect(e.check[0]!.value.toString()).toBe(`password-number-${i}`);
    });
    expect(entries[3000]!.check[0]!.value.toString()).toBe('password-number-7');
    expect(new Set(entries.map((e) => e.reply)).size).toBe(1);
  });

  it('a bad item is reported on every line that has it, not only the first', () => {
    expect(problems('a Cleartext-Password := "x"\n\tSession-Timeout = abc\nb Cleartext-Password := "y"\n\tSession-Timeout = abc\n'))
      .toEqual([
        '2: Parse error (reply) for entry a: Unknown or invalid value "abc" for attribute Session-Timeout',
        '4: Parse error (reply) for entry b: Unknown or invalid value "abc" for attribute Session-Timeout',
      ]);
  });
});
