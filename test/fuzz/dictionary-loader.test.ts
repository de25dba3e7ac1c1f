/**
 * Fuzzing the dictionary loader through its injectable `readText`: grammar-generated
 * dictionaries (every keyword, type, flag and vendor format, good and bad numbers, includes
 * between virtual files, recursion, missing files) and mutations of the bundled FreeRADIUS
 * dictionaries. Property: a Dictionary or a DictionaryError naming file and line; never another
 * exception, never a hang.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dictionary } from '../../src/protocol/dictionary.js';
import { DictionaryError, bundledDictionaryPath, loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { TEST_TIMEOUT_MS, describeError, fuzzParams, timed } from './fuzz-options.js';
import { applyLineMutations, lineMutations } from './mutate.js';

const ROOT = '/fuzz';
const FILES = ['dictionary', 'dictionary.a', 'dictionary.b', 'dictionary.c'];

const names = fc.oneof(
  fc.constantFrom('Foo', 'Bar', 'Baz-Attr', 'Parent-Tlv', 'Child', 'User-Name', 'Vutlan', 'Acme', 'Ext-Vendor', 'SRead', 'Foo'),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:-]{0,24}$/),
);

const numbers = fc.oneof(
  fc.integer({ min: 0, max: 300 }).map(String),
  fc.integer().map(String),
  fc.integer({ min: 0, max: 0xffffffff }).map((n) => `0x${n.toString(16)}`),
  fc.constantFrom(
    '0', '-1', '1', '26', '241', '245', '255', '256', '65535', '65536', '16777215', '16777216', '4294967295',
    '4294967296', '99999999999999999999999', '0x', '0xZZ', '1e3', '1.2', '1.2.3', '241.1', '245.26.1', '26.9.1',
    '241.26.39052.1', '1.2.3.4.5.6', '.', '..1', '01', '007', 'abc', '',
  ),
);

const types = fc.constantFrom(
  'string', 'octets', 'ipaddr', 'ipv6addr', 'ipv6prefix', 'ipv4prefix', 'integer', 'byte', 'short', 'integer64',
  'signed', 'date', 'ifid', 'ether', 'abinary', 'tlv', 'vsa', 'extended', 'long-extended', 'evs', 'combo-ip',
  'uint8', 'uint16', 'uint32', 'uint64', 'int32', 'cidr', 'octets[4]', 'octets[0]', 'octets[253]', 'octets[254]',
  'octets[', 'string[3]', 'INTEGER', 'bogus', 'struct',
);

const flags = fc
  .array(
    fc.constantFrom(
      'has_tag', 'encrypt=0', 'encrypt=1', 'encrypt=2', 'encrypt=3', 'encrypt=9', 'encrypt=', 'array', 'concat',
      'virtual', 'secret', 'abinary', 'long', 'bogus', 'format=1,1', '', 'has_tag=1',
    ),
    { maxLength: 3 },
  )
  .map((f) => f.join(','));

const formats = fc.constantFrom(
  'format=1,1', 'format=2,1', 'format=4,0', 'format=2,2', 'format=1,0', 'format=1,1,c', 'format=2,1,c', 'format=4,4',
  'format=3,1', 'format=1', 'format=', 'format=a,b', 'format=1,1,x', 'format=Extended-Vendor-Specific-1',
  'format=Extended-Vendor-Specific-5', 'format=Extended-Vendor-Specific-9', 'parent=Extended-Vendor-Specific-1', 'bogus',
);

const includes = fc.oneof(
  fc.constantFrom(...FILES),
  fc.constantFrom('missing', 'dictionary.a/x', '../fuzz/dictionary.b', '/fuzz/dictionary.c', '/etc/passwd-not-here', '.', ''),
);

const lineArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(names, numbers, types, fc.option(fc.oneof(flags, names), { nil: undefined })).map(([n, num, t, f]) => `ATTRIBUTE\t${n}\t${num}\t${t}${f !== undefined ? `\t${f}` : ''}`) },
  { weight: 4, arbitrary: fc.tuple(names, names, numbers).map(([a, v, n]) => `VALUE\t${a}\t${v}\t${n}`) },
  { weight: 1, arbitrary: fc.tuple(names, names).map(([a, b]) => `VALUE-ALIAS\t${a}\t${b}`) },
  { weight: 3, arbitrary: fc.tuple(names, numbers, fc.option(formats, { nil: undefined })).map(([n, num, f]) => `VENDOR\t${n}\t${num}${f ? `\t${f}` : ''}`) },
  { weight: 2, arbitrary: fc.tuple(names, fc.option(formats, { nil: undefined })).map(([n, f]) => `BEGIN-VENDOR\t${n}${f ? `\t${f}` : ''}`) },
  { weight: 2, arbitrary: names.map((n) => `END-VENDOR\t${n}`) },
  { weight: 1, arbitrary: names.map((n) => `BEGIN-TLV\t${n}`) },
  { weight: 1, arbitrary: names.map((n) => `END-TLV\t${n}`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('$INCLUDE', '$INCLUDE-', '$-INCLUDE', '$include'), includes).map(([k, f]) => `${k} ${f}`) },
  { weight: 1, arbitrary: fc.constantFrom('', '# comment', '   ', '\t# x', 'ATTRIBUTE', 'FLAGS internal', 'PROTOCOL RADIUS 1', '\r') },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

const fileArb = fc.array(lineArb, { maxLength: 40 }).map((l) => l.join('\n'));

/** A readText over an in-memory tree; missing files fail like fs does (with an errno code). */
function virtualReader(files: Map<string, string>, eaccesOn?: string): (path: string) => string {
  return (path: string) => {
    if (path === eaccesOn) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' });
    const text = files.get(path);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

/** The property: a Dictionary, or a DictionaryError with a file and a line. */
function checkOutcome(run: () => Dictionary, boundMs?: number): void {
  const out = timed(run, boundMs);
  if (out.ok) {
    expect(out.value).toBeInstanceOf(Dictionary);
    return;
  }
  if (!(out.error instanceof DictionaryError)) throw new Error(`loader threw a non-DictionaryError: ${describeError(out.error)}`);
  expect(typeof out.error.file).toBe('string');
  expect(out.error.file.length).toBeGreaterThan(0);
  expect(Number.isInteger(out.error.line) && out.error.line >= 0).toBe(true);
  // ("undefined" is FreeRADIUS's own wording: "Parent attribute for 241 is undefined.")
  expect(out.error.message).not.toMatch(/\bNaN\b|\[object Object\]/);
}

describe('fuzz: dictionary loader', () => {
  it('grammar-generated dictionaries with includes between virtual files', { timeout: TEST_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(fc.array(fileArb, { minLength: 1, maxLength: FILES.length }), fc.option(fc.constantFrom(...FILES), { nil: undefined }), (texts, eacces) => {
        const files = new Map(texts.map((t, i) => [join(ROOT, FILES[i]!), t]));
        checkOutcome(() => loadDictionary(join(ROOT, 'dictionary'), { base: false, readText: virtualReader(files, eacces && join(ROOT, eacces)) }));
      }),
      fuzzParams(20_000, 1_500),
    );
  });

  const bundledDir = dirname(bundledDictionaryPath());
  const realFiles = ['dictionary.rfc2865', 'dictionary.rfc2868', 'dictionary.rfc6929', 'dictionary.wimax', 'dictionary.freeradius', 'dictionary.usr', 'dictionary.cisco', 'dictionary.starent']
    .map((f) => readFileSync(join(bundledDir, f), 'utf8'));
  const vutlan = readFileSync(new URL('../../dictionaries/dictionary.vutlan', import.meta.url), 'utf8');
  realFiles.push(vutlan);
  const tokens = fc.oneof(names, numbers, types, flags, formats);

  it('mutations of real FreeRADIUS and Vutlan dictionaries', { timeout: TEST_TIMEOUT_MS }, () => {
    // rfc6929 (extended) and wimax (continuations, TLVs) need the RFC 2865 base before them.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: realFiles.length - 1 }), lineMutations(tokens, lineArb), (which, edits) => {
        const mutated = applyLineMutations(realFiles[which]!, edits);
        const files = new Map([
          [join(ROOT, 'dictionary'), `$INCLUDE dictionary.a\n$INCLUDE dictionary.b\n`],
          [join(ROOT, 'dictionary.a'), realFiles[0]!],
          [join(ROOT, 'dictionary.b'), mutated],
        ]);
        checkOutcome(() => loadDictionary(join(ROOT, 'dictionary'), { base: false, readText: virtualReader(files) }));
      }),
      fuzzParams(20_000, 1_500),
    );
  });

  it('a generated local dictionary on top of the full bundled base', { timeout: TEST_TIMEOUT_MS }, () => {
    const base = loadDictionary(undefined); // warm the page cache and check the base itself loads
    expect(base.attributeByName('User-Name')).toBeDefined();
    const fsRead = (p: string) => readFileSync(p, 'utf8');
    fc.assert(
      fc.property(fileArb, (text) => {
        const local = join(ROOT, 'dictionary');
        // Loading the ~200 bundled files takes 100-300 ms by itself.
        checkOutcome(() => loadDictionary(local, { readText: (p) => (p === local ? text : fsRead(p)) }), 3_000);
      }),
      fuzzParams(300, 1_000, 2_000),
    );
  });

  it('known edge cases end in a DictionaryError, not a crash', () => {
    const cases: Record<string, string> = {
      selfInclude: '$INCLUDE dictionary',
      loop: '$INCLUDE dictionary.a',
      missing: '$INCLUDE nope',
      emptyFormat: 'VENDOR X 5 format=',
      endWithoutBegin: 'END-VENDOR X',
      beginUnknown: 'BEGIN-VENDOR Nope',
      tlvUnknown: 'BEGIN-TLV Nope',
      hugeNumber: 'ATTRIBUTE A 99999999999999999999999 integer',
      hex: 'ATTRIBUTE A 0xZZ integer',
      oneWord: 'ATTRIBUTE',
    };
    for (const [what, text] of Object.entries(cases)) {
      const files = new Map([
        [join(ROOT, 'dictionary'), text],
        [join(ROOT, 'dictionary.a'), '$INCLUDE dictionary'],
      ]);
      const out = timed(() => loadDictionary(join(ROOT, 'dictionary'), { base: false, readText: virtualReader(files) }));
      expect(out.ok, what).toBe(false);
      if (!out.ok) expect(out.error, what).toBeInstanceOf(DictionaryError);
    }
  });
});
