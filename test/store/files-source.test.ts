import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { UsersFileSource } from '../../src/store/files-source.js';

const dict = loadDictionary(fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url)));

const text = [
  'DEFAULT Auth-Type := Reject',  // 1
  '\tFall-Through = Yes',          // 2
  'bob Cleartext-Password := "a"', // 3
  'alice Cleartext-Password := "b"', // 4
  'DEFAULT NAS-Port == 1',         // 5
  '\tReply-Message = "port one"',  // 6
  'bob Cleartext-Password := "c"', // 7
  '',
].join('\n');

describe('UsersFileSource', () => {
  const source = UsersFileSource.load('/etc/users', dict, { readText: () => text });

  it("merges the user's entries and every DEFAULT in file order", () => {
    expect(source.lookup('bob').map((e) => `${e.name}@${e.origin.line}`)).toEqual(['DEFAULT@1', 'bob@3', 'DEFAULT@5', 'bob@7']);
    expect(source.lookup('alice').map((e) => `${e.name}@${e.origin.line}`)).toEqual(['DEFAULT@1', 'alice@4', 'DEFAULT@5']);
  });

  it('gives unknown names (and NONE) only the DEFAULT entries; names are case-sensitive', () => {
    expect(source.lookup('BOB').map((e) => e.origin.line)).toEqual([1, 5]);
    expect(source.lookup('NONE').map((e) => e.origin.line)).toEqual([1, 5]);
  });

  it('keeps every entry and its file as the source name', () => {
    expect(source.entries).toHaveLength(5);
    expect(source.name).toBe('/etc/users');
  });
});
