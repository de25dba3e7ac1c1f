import { describe, expect, it } from 'vitest';
import { join } from 'node:path';

import type { Avp } from '../../src/protocol/attribute.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { ValueError, parseValue } from '../../src/protocol/values.js';
import { compileExpansion, expandTemplate } from '../../src/policy/expand.js';
import { evaluateExpr } from '../../src/policy/expand-expr.js';

/**
 * Expansion functions without a FreeRADIUS at hand: every expected output below was answered by
 * FreeRADIUS 3.2.1 to the same expansion and request (test/diff covers them against the live
 * server, generated).
 */

const dict = loadDictionary(join(import.meta.dirname, '..', '..', 'dictionaries/dictionary'));

function avp(name: string, text: string): Avp {
  const def = dict.attributeByName(name)!;
  return { def, value: parseValue(def, text, '"') };
}

/** The value a string reply item gets: expansion, then the double-quote escapes once. */
function expand(text: string, request: Avp[]): string {
  const out = expandTemplate(compileExpansion(text, dict), { request, reply: [], control: [], captures: [], dict });
  return parseValue(dict.attributeByName('Reply-Message')!, out, '"').toString('utf8');
}

const REQUEST = [avp('User-Name', 'fu'), avp('NAS-IP-Address', '10.0.0.6'), avp('NAS-Port', '5'), avp('Service-Type', 'Framed-User')];
const withInput = (csid: string): Avp[] => [...REQUEST, avp('Calling-Station-Id', csid)];

describe('expansion functions (outputs measured on FreeRADIUS 3.2.1)', () => {
  it.each([
    ['%{tolower:%{Calling-Station-Id}}', 'AbC', 'abc'],
    ['%{toupper:%{Calling-Station-Id}}', 'ÄbÇ', 'ÄBÇ'],
    ['%{strlen:%{Calling-Station-Id}}', 'ÄbÇ', '5'],
    ['%{strlen:%{Calling-Station-Id}}', 'x\\\\ty', '4'],
    ['%{toupper:%{Calling-Station-Id}}', 'x\\\\ty', 'X\\TY'],
    ['%{strlen:a\\\\101b}', 'AbC', '6'],
    ['%{md5:%{Calling-Station-Id}}', 'ÄbÇ', 'cd60bc9758dba0cc70ecf36716ed3700'],
    ['%{md5:&Calling-Station-Id}', 'ÄbÇ', 'cd60bc9758dba0cc70ecf36716ed3700'],
    ['%{md5:&NAS-Port}', 'AbC', 'bb3e7acf9d8474b5672b2aa6f27bf644'],
    ['%{sha1: abc}', 'AbC', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['%{sha256:x}', 'AbC', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881'],
    ['%{md4:x}', 'AbC', '51b834b7c1ef0b59ea50888fcb39ace2'],
    ['%{base64:%{Calling-Station-Id}}', 'a b/c?d=e&f', 'YSBiL2M/ZD1lJmY='],
    ['%{base64:&NAS-Port}', 'AbC', 'AAAABQ=='],
    ['%{hex:Calling-Station-Id}', 'ÄbÇ', 'c38462c387'],
    ['%{hex:NAS-IP-Address}', 'AbC', '0a000006'],
    ['%{urlquote:%{Calling-Station-Id}}', 'a b/c?d=e&f', 'a%20b%2Fc%3Fd%3De%26f'],
    ['%{urlquote:%{Calling-Station-Id}}', 'ÄbÇ', '%C3%84b%C3%87'],
    ['%{urlunquote:a%%41b}', 'AbC', 'aAb'],
    ['%{integer:Calling-Station-Id}', 'x\\\\ty', '2019325049'],
    ['%{integer:NAS-IP-Address}', 'AbC', '167772166'],
    ['%{integer:Service-Type}', 'AbC', '2'],
    ['%{length: NAS-IP-Address}', 'AbC', '4'],
    ['%{toupper:%{Calling-Station-Id}:%{NAS-Port}}', 'ÄbÇ', 'ÄBÇ:5'],
  ])('%s of %j is %j', (text, input, expected) => {
    expect(expand(text, withInput(input))).toBe(expected);
  });

  it('an argument that expands to nothing gives nothing; an empty argument is the empty string', () => {
    expect(expand('[%{strlen:%{Filter-Id}}]', REQUEST)).toBe('[]');
    expect(expand('[%{strlen:}]', REQUEST)).toBe('[0]');
    expect(expand('[%{md5:}]', REQUEST)).toBe('[d41d8cd98f00b204e9800998ecf8427e]');
    expect(expand('[%{md5:&Calling-Station-Id}]', REQUEST)).toBe('[]');
    expect(expand('[%{length:Filter-Id}]', REQUEST)).toBe('[]');
    expect(expand('[%{urlunquote:a%%4}]', REQUEST)).toBe('[]');
    expect(expand('[%{integer:Calling-Station-Id}]', withInput('a b/c?d=e&f'))).toBe('[]');
  });

  it('refuses functions it does not implement when the file loads, naming them and the supported ones', () => {
    expect(() => compileExpansion('%{rand:10}', dict)).toThrow(ValueError);
    expect(() => compileExpansion('%{rand:10}', dict)).toThrow(/Unsupported expansion function "%\{rand:\.\.\.\}".*tolower, toupper, strlen/);
    expect(() => compileExpansion('%{nosuch:x}', dict)).toThrow(/Unknown expansion function "%\{nosuch:\.\.\.\}"/);
    expect(() => compileExpansion('%{length:Not-An-Attribute}', dict)).toThrow(/Unknown attribute "Not-An-Attribute"/);
    expect(() => compileExpansion('%{tolower:%{User-Name}', dict)).toThrow(/Missing closing brace/);
    expect(() => compileExpansion('%{session-state:User-Name}', dict)).toThrow(/Unsupported list "session-state:"/);
    expect(() => compileExpansion('%{Tunnel-Password:1}', dict)).toThrow(/tagged attribute references are not supported/);
    // list qualifiers and attribute references are not functions
    expect(expand('%{request:User-Name}', REQUEST)).toBe('fu');
  });
});

describe('%{expr:...} (rlm_expr, outputs measured on FreeRADIUS 3.2.1)', () => {
  const noAttributes = (): bigint => 0n;
  it.each([
    ['1 + 2 * 3', '7'], ['(1 + 2) * 3', '9'], ['2 ^ 10', '1024'], ['7 / 2', '3'], ['-7 / 2', '-3'],
    ['-7 % 3', '-1'], ['0x10 + 1', '17'], ['~0', '-1'], ['1 << 4 | 1', '17'],
    ['9223372036854775807 + 1', '-9223372036854775808'], ['2 - 3 - 4', '-5'], [' 5 ', '5'],
    ['3 ^ 2 ^ 2', '81'], ['100 >> 2', '25'], ['9223372036854775807/ 15', '614891469123651720'],
    ['0 % 14 |2', '2'], ['(0x10^ 0)|0', '1'], ['1 >> ~0 | 7', '7'],
  ])('%j = %s', (text, expected) => {
    expect(evaluateExpr(text, noAttributes)).toBe(expected);
  });

  it.each(['1/0', '1 +', '12abc', '-0x10', '1 << 64', '70000 ^ 2', '(1', '1)'])('%j fails (the expansion gives nothing)', (text) => {
    expect(evaluateExpr(text, noAttributes)).toBeUndefined();
  });

  it('reads &Attr operands, 0 when absent, and &&Attr as &Attr', () => {
    expect(expand('%{expr:&NAS-Port * 2}', REQUEST)).toBe('10');
    expect(expand('%{expr:&Idle-Timeout + 1}', REQUEST)).toBe('1');
    expect(expand('%{expr:%{NAS-Port} &&NAS-Port^ &Idle-Timeout}', REQUEST)).toBe('1'); // 5 & (5 ^ 0)
    expect(expand('%{expr:%{Filter-Id} &&NAS-Port^ &Idle-Timeout}', REQUEST)).toBe('1');
  });
});
