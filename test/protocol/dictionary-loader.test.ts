import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DictionaryError, bundledDictionaryPath, loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { hasCommand, skipWithout } from '../support/tools.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/protocol/', import.meta.url));
const LOCAL_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));

/** Loads `text` as a lone entry file `/v/dictionary` (no base) and returns the error message. */
function loadError(text: string, base = false): string {
  try {
    loadDictionary('/v/dictionary', {
      base,
      readText: (p) => {
        if (p === '/v/dictionary') return text;
        if (base) return defaultRead(p);
        throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      },
    });
  } catch (err) {
    expect(err).toBeInstanceOf(DictionaryError);
    return (err as Error).message;
  }
  return 'loaded';
}
const textCache = new Map<string, string>();
const defaultRead = (p: string): string => {
  let text = textCache.get(p);
  if (text === undefined) textCache.set(p, (text = readFileSync(p, 'utf8')));
  return text;
};

describe('the bundled FreeRADIUS 3.2.1 dictionaries', () => {
  it('load completely, with the Vutlan entry file', () => {
    const t0 = performance.now();
    const dict = loadDictionary(LOCAL_DICTIONARY);
    const ms = performance.now() - t0;
    let attributes = 0;
    for (const _ of dict.attributes()) attributes++;
    expect(attributes).toBeGreaterThan(7000);
    expect([...dict.vendors()].length).toBeGreaterThan(150);
    console.log(`bundled dictionaries + local: ${attributes} attributes in ${ms.toFixed(1)} ms`);

    const names = ['SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite', 'RFU1', 'RFU2'];
    names.forEach((name, i) => {
      const def = dict.attributeByName(name.toLowerCase())!;
      expect([def.name, def.vendorId, def.type, def.dataType]).toEqual([name, 39052, 10 + i, 'string']);
      expect(dict.attributeByCode(39052, 10 + i)).toBe(def);
    });
    expect(dict.vendorByName('vutlan')).toMatchObject({ id: 39052, typeLength: 1, lengthLength: 1 });
  });

  it('carry the standard definitions and FreeRADIUS vendor defaults', () => {
    const dict = loadDictionary();
    expect(bundledDictionaryPath().endsWith(join('dictionaries', 'freeradius', 'dictionary'))).toBe(true);
    expect(dict.attributeByName('User-Password')).toMatchObject({ type: 2, dataType: 'string', flags: { encrypt: 1, secret: true } });
    expect(dict.attributeByName('Tunnel-Password')).toMatchObject({ type: 69, flags: { encrypt: 2, hasTag: true } });
    expect(dict.attributeByName('Cleartext-Password')).toMatchObject({ vendorId: 0, type: 1100 });
    expect(dict.attributeByName('Service-Type')!.valuesByName.get('framed-user')).toBe(2);
    expect(dict.attributeByName('Service-Type')!.namesByValue.get(2)).toBe('Framed-User');
    expect(dict.vendorById(429)).toMatchObject({ name: 'USR', typeLength: 4, lengthLength: 0 });
    expect(dict.vendorById(4846)).toMatchObject({ typeLength: 2, lengthLength: 1 });
    expect(dict.vendorById(8164)).toMatchObject({ typeLength: 2, lengthLength: 2 });
    expect(dict.vendorById(24757)).toMatchObject({ name: 'WiMAX', continuation: true });
    expect(dict.attributeByName('Cisco-AVPair')).toMatchObject({ vendorId: 9, type: 1, vendor: { id: 9 } });
    expect(dict.attributeByName('Vutlan-Anything')).toBeUndefined();
    expect(dict.attributeByName('SRead')).toBeUndefined(); // only with the local entry file
    // Last alias is the printed name (FreeRADIUS).
    expect(dict.attributeByCode(0, 1100)!.name).toBe(dict.attributeByName('Cleartext-Password')!.name);
  });
});

describe('dictionary syntax', () => {
  it('follows $INCLUDE relative to the including file, ignores a missing $INCLUDE- / $-INCLUDE', () => {
    const dict = loadDictionary(join(FIXTURES, 'dictionaries', 'dictionary'), { base: false });
    expect(dict.attributeByName('Local-Note')).toMatchObject({ vendorId: 0, type: 3000, dataType: 'string' });
    const role = dict.attributeByName('acme-role')!;
    expect(role).toMatchObject({ vendorId: 31337, type: 1, vendor: { typeLength: 2, lengthLength: 1 } });
    const level = dict.attributeByName('Acme-Level')!;
    expect(level.type).toBe(0x102);
    expect(level.valuesByName.get('high')).toBe(16);
    expect(dict.attributeByName('Old-Flags')).toMatchObject({ vendorId: 4242, dataType: 'byte', flags: { array: true } });
    expect(dict.attributeByName('Old-Secret')!.flags.encrypt).toBe(1);
    expect(dict.attributeByName('Old-Key')!.flags.fixedLength).toBe(16);
    expect(dict.attributeByName('Acme-Mode')!.valuesByName.get('fast')).toBe(2);
  });

  it('reports a missing $INCLUDE at the including line', () => {
    const file = join(FIXTURES, 'dictionary.bad-include');
    expect(() => loadDictionary(file, { base: false })).toThrowError(
      `${file}:2: Couldn't open dictionary "${join(FIXTURES, 'dictionary.not-there')}": No such file or directory`,
    );
    const missing = join(FIXTURES, 'no-such-entry');
    try {
      loadDictionary(missing, { base: false });
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ file: missing, line: 0 });
      expect((err as Error).message).toContain(`Couldn't open dictionary "${missing}": No such file or directory`);
    }
  });

  it('accepts comments anywhere, any case of keywords and types, CRLF line ends', () => {
    const text = '# c\r\nvendor V 777 # trailing\r\n\r\nattribute  A-1\t1  STRING  V#x\r\nBEGIN-vendor V\r\nAttribute A-2 2 uint32\r\nend-VENDOR V\r\nvalue A-2 One 1\r\n';
    expect(loadError(text)).toBe('loaded');
  });

  it('keeps BEGIN-VENDOR format=Extended-Vendor-Specific-N attributes apart from plain VSAs', () => {
    const dict = loadDictionary();
    const anonce = dict.attributeByName('FreeRADIUS-802.1X-Anonce')!;
    expect(anonce.vendorId).not.toBe(11344);
    expect(dict.attributeByCode(anonce.vendorId, 1)).toBe(anonce);
  });

  it('supports VALUE-ALIAS and aliases sharing one definition', () => {
    const text = [
      'ATTRIBUTE A 3001 integer', 'VALUE A One 1', 'ATTRIBUTE B 3002 integer', 'VALUE-ALIAS B A',
      'ATTRIBUTE Old-Name 3003 string', 'ATTRIBUTE New-Name 3003 string',
    ].join('\n');
    const dict = loadDictionary('/v/d', { base: false, readText: () => text });
    expect(dict.attributeByName('B')!.valuesByName.get('one')).toBe(1);
    expect(dict.attributeByName('Old-Name')).toBe(dict.attributeByName('New-Name'));
    expect(dict.attributeByCode(0, 3003)!.name).toBe('New-Name');
  });
});

/**
 * Errors: [dictionary text, message after "file:line: "]. Each was checked against
 * radclient 3.2.1 (`dict_init: <file>[<line>]: <message>`); the cross-check below repeats that
 * when radclient is installed.
 */
const ERRORS: [string, string, number][] = [
  ['ATTRIBUTES Foo 3000 string', 'invalid keyword "ATTRIBUTES"', 1],
  ['# comment\nATTRIBUTE Foo', 'invalid ATTRIBUTE line', 2],
  ['ATTRIBUTE Foo 3000', 'invalid ATTRIBUTE line', 1],
  ['ATTRIBUTE Foo 3000 string a b', 'invalid ATTRIBUTE line', 1],
  ['ATTRIBUTE Attr-Foo 3000 string', 'Invalid attribute name', 1],
  ['ATTRIBUTE Foo abc string', "Invalid attribute identifier: Invalid data 'abc' in attribute identifier", 1],
  ['\n\nATTRIBUTE Foo 3000 strin', 'invalid type "strin"', 3],
  ['ATTRIBUTE Foo 3000 foo[3]', 'invalid type "foo[3]"', 1],
  ['ATTRIBUTE Foo 3000 octets[0]', 'invalid length', 1],
  ['ATTRIBUTE Foo 3000 octets[254]', 'invalid length', 1],
  ['ATTRIBUTE Foo 3000 octets[3', 'Invalid format for octets', 1],
  ['ATTRIBUTE Foo 3000 string bar', 'unknown option "bar"', 1],
  ['ATTRIBUTE Foo 3000 string has_tag,nope', 'unknown option "nope"', 1],
  ['ATTRIBUTE Foo 0 string', 'dict_addattr: Attribute 0 is invalid and cannot be used', 1],
  ['ATTRIBUTE User-Name 3000 string', 'dict_addattr: Duplicate attribute name User-Name', 1],
  ['ATTRIBUTE Foo 1.2 string', 'Invalid attribute identifier: Standard attributes cannot use OIDs', 1],
  ['ATTRIBUTE Foo 26.9.300 string', "Invalid attribute identifier: Number '300' out of allowed range in attribute identifier", 1],
  ['ATTRIBUTE Foo 241.300 string', "Invalid attribute identifier: Number '300' out of allowed range in attribute identifier", 1],
  ['VENDOR V 5000\nATTRIBUTE Foo 300 string V', 'dict_addattr: ATTRIBUTE has invalid number (larger than 255)', 2],
  ['BEGIN-VENDOR Cisco\nATTRIBUTE Foo 300 string\nEND-VENDOR Cisco', "Invalid attribute identifier: Number '300' out of allowed range in attribute identifier", 2],
  ['BEGIN-VENDOR Cisco\nATTRIBUTE Foo 200 string Cisco', 'Vendor flag inside of "BEGIN-VENDOR" is not allowed', 2],
  ['ATTRIBUTE Foo 3000 integer encrypt=1', 'The "encrypt=1" flag cannot be used with non-string data types', 1],
  ['ATTRIBUTE Foo 3000 octets encrypt=1', `The "encrypt=1" flag MUST be used with an explicit length for 'octets' data types`, 1],
  ['ATTRIBUTE Foo 3000 octets encrypt=3', 'Only "string" types can have the "encrypt=3" flag set', 1],
  ['ATTRIBUTE Foo 3000 octets has_tag', 'Attributes of type octets cannot be tagged.', 1],
  ['ATTRIBUTE Foo 3000 ipaddr has_tag', 'Attributes of type ipaddr cannot be tagged.', 1],
  ['ATTRIBUTE Foo 3000 octets array', '"octets" type cannot have the "array" flag set', 1],
  ['ATTRIBUTE Foo 3000 integer64 array', '"integer64" type cannot have the "array" flag set', 1],
  ['ATTRIBUTE Foo 3000 string concat', 'Only "octets" type can have the "concat" flag set', 1],
  ['ATTRIBUTE Foo 200 string virtual', 'Standard attributes cannot have the "virtual" flag set', 1],
  ['VENDOR V 5000 format=2,1\nBEGIN-VENDOR V\nATTRIBUTE Foo 3 tlv\nEND-VENDOR V', 'Type "tlv" can only be for "format=1,1".', 3],
  ['VENDOR V', 'invalid VENDOR entry', 1],
  ['VENDOR V abc', 'invalid value', 1],
  ['VENDOR V 5000 format=3,1', 'invalid type value 3 for VENDOR', 1],
  ['VENDOR V 5000 format=1,3', 'invalid length value 3 for VENDOR', 1],
  ['VENDOR V 5000 format=1', 'Invalid format for VENDOR.  Expected text like "1,1", got "1"', 1],
  ['VENDOR V 5000 format=2,1,c', "Only 'format=1,1' VSAs can have continuations", 1],
  ['VENDOR V 5000 foo=2', 'Invalid format for VENDOR.  Expected "format=", got "foo=2"', 1],
  ['VENDOR Cisco 5000', 'dict_addvendor: Duplicate vendor name Cisco', 1],
  ['BEGIN-VENDOR Nope', 'unknown vendor Nope', 1],
  ['END-VENDOR Cisco', 'END-VENDOR Cisco does not match any previous BEGIN-VENDOR', 1],
  ['BEGIN-VENDOR Cisco\nEND-VENDOR Juniper', 'END-VENDOR Juniper does not match any previous BEGIN-VENDOR', 2],
  ['BEGIN-VENDOR Cisco format=foo', 'Invalid format for BEGIN-VENDOR: unknown attribute "foo"', 1],
  ['BEGIN-VENDOR Cisco format=User-Name', 'Invalid format for BEGIN-VENDOR.  Attribute "User-Name" is not of "evs" data type', 1],
  ['BEGIN-TLV User-Name', 'attribute User-Name is not of type tlv', 1],
  ['BEGIN-TLV Nope', 'unknown attribute Nope', 1],
  ['VALUE Foo Bar', 'invalid VALUE line', 1],
  ['VALUE Service-Type Bar x1', 'invalid value', 1],
  ['VALUE Service-Type Bar -1', 'invalid value', 1],
  ['ATTRIBUTE Foo 3000 byte\nVALUE Foo Bar 300', "dict_addvalue: ATTRIBUTEs of type 'byte' cannot have VALUEs larger than 255", 2],
  ['ATTRIBUTE Foo 3000 short\nVALUE Foo Bar 70000', "dict_addvalue: ATTRIBUTEs of type 'short' cannot have VALUEs larger than 65535", 2],
  ['ATTRIBUTE Foo 3000 string\nVALUE Foo Bar 1', "dict_addvalue: VALUEs cannot be defined for attributes of type 'string'", 2],
  ['ATTRIBUTE Foo 3000 ipaddr\nVALUE Foo Bar 1', "dict_addvalue: VALUEs cannot be defined for attributes of type 'ipaddr'", 2],
  ['VALUE Service-Type Login-User 7', 'dict_addvalue: Duplicate value name Login-User for attribute Service-Type', 1],
  ['ATTRIBUTE Foo 3000 integer\nVALUE-ALIAS Foo Nope', 'Cannot find ATTRIBUTE "Nope" for alias', 2],
  ['$INCLUDE', 'invalid entry', 1],
  ['$INCLUDE nope', 'Couldn\'t open dictionary "/v/nope": No such file or directory', 1],
];

describe('dictionary errors are file:line: message in FreeRADIUS wording', () => {
  it.each(ERRORS)('%j', (text, message, line) => {
    expect(loadError(text, true)).toBe(`/v/dictionary:${line}: ${message}`);
  });

  it('loads what FreeRADIUS loads silently', () => {
    for (const text of [
      'VALUE Foo Bar 1', // VALUE for an attribute never defined
      'VALUE Foo Bar 1\nATTRIBUTE Foo 3000 string', // fixup for a type without VALUEs is dropped
      'VALUE Service-Type Login-User 1', // same name, same number again
      'VENDOR Foo 9', // second name for a known vendor number
      'ATTRIBUTE Foo 70000 string', // internal attribute
      '$INCLUDE- nope\n$-INCLUDE nope',
      'ATTRIBUTE Foo 3000 octets[16] encrypt=1',
      'ATTRIBUTE Foo 3000 string secret',
      'ATTRIBUTE Foo 3000 integer has_tag,encrypt=2',
      'ATTRIBUTE Foo 3000 byte array',
      'BEGIN-VENDOR Cisco format=Extended-Vendor-Specific-1\nATTRIBUTE Foo 200 string\nEND-VENDOR Cisco',
    ]) {
      expect(loadError(text, true), text).toBe('loaded');
    }
  });

  it.skipIf(skipWithout(hasCommand('radclient'), 'radclient (freeradius-utils)'))('match radclient 3.2.1 (same message, same line) for every case', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dict-errors-'));
    try {
      for (const [text, message, line] of ERRORS) {
        const file = join(dir, 'dictionary');
        writeFileSync(file, `${text.replace('/v/nope', `${dir}/nope`)}\n`);
        const r = spawnSync('radclient', ['-d', dir, '127.0.0.1:9', 'auth', 'x'], { input: '', encoding: 'utf8', timeout: 5000 });
        const expectedText = message.replace('/v/nope', `${dir}/nope`);
        expect(r.stderr, text).toContain(`${file}[${line}]`);
        expect(r.stderr, text).toContain(expectedText);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what the code declares once, checked against the bundled dictionaries', () => {
  it('every Attr number is the attribute of that name and type, vendor 0', async () => {
    const { Attr, DECLARED_ATTRIBUTES } = await import('../../src/protocol/attribute-numbers.js');
    const dict = loadDictionary();
    for (const [key, number] of Object.entries(Attr)) {
      const [name, type] = DECLARED_ATTRIBUTES[key as keyof typeof Attr];
      const def = dict.attributeByName(name);
      expect(def, key).toBeDefined();
      expect([def!.vendorId, def!.type, def!.dataType], key).toEqual([0, number, type]);
    }
  });

  it('a site dictionary that gives a declared number another type is refused at its line', () => {
    expect(loadError('# site\nATTRIBUTE\tUser-Password\t2\tinteger\n', true))
      .toBe('/v/dictionary:2: ATTRIBUTE User-Password 2 is redefined as integer; this server needs it as string: remove the line');
  });

  it('a site dictionary that puts another attribute at a declared number is refused at its line', () => {
    expect(loadError('ATTRIBUTE My-Id 32 integer\n', true))
      .toBe('/v/dictionary:1: ATTRIBUTE My-Id 32 integer takes the number of NAS-Identifier, which this server needs as 32 string: remove the line or give the attribute another number');
  });

  it('a dictionary of its own may not move a declared name to another number', () => {
    expect(loadError('ATTRIBUTE User-Name 200 string\n'))
      .toBe('/v/dictionary:1: ATTRIBUTE User-Name must be number 1 (vendor 0) for this server: remove the line or rename the attribute');
  });

  it('Auth-Type Accept and Reject keep the numbers the evaluator acts on', () => {
    expect(loadError('ATTRIBUTE Auth-Type 1000 integer\nVALUE Auth-Type Accept 5\n'))
      .toBe('/v/dictionary:1: VALUE Auth-Type Accept must be 254 for this server, not 5: remove the VALUE line');
  });

  it('an alias of a declared attribute (same number and type) is allowed, as FreeRADIUS allows it', () => {
    const text = 'ATTRIBUTE Site-User 1 string\n';
    const dict = loadDictionary('/v/dictionary', { readText: (p) => (p === '/v/dictionary' ? text : defaultRead(p)) });
    expect(dict.attributeByCode(0, 1)).toBe(dict.attributeByName('User-Name'));
    expect(dict.attributeByCode(0, 1)!.name).toBe('Site-User');
  });

  it('the loader adds the Auth-Type values of the default site (PAP, CHAP, ...) after the dictionaries', () => {
    const dict = loadDictionary();
    const authType = dict.attributeByName('Auth-Type')!;
    for (const name of ['pap', 'chap', 'ms-chap', 'eap']) expect(authType.valuesByName.has(name), name).toBe(true);
    expect(authType.namesByValue.get(authType.valuesByName.get('pap')!)).toBe('PAP');
  });
});
