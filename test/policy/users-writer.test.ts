import { describe, expect, it } from 'vitest';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { parseUsersText } from '../../src/policy/users-parser.js';
import { writeName, writeUsersText } from '../../src/policy/users-writer.js';

const dict = loadDictionary(join(import.meta.dirname, '..', '..', 'dictionaries/dictionary'));

describe('users writer: user names read back as written', () => {
  // names as FreeRADIUS's lexer can produce them, from quoted and bare first words ($INCLUDE,
  // quoted or not, is always the include keyword there)
  it.each(['alice', 'john smith', 'tab\tname', 'q"q', 'b\\\\s', 'b\\s', 'x\\', 'a\\"b', 'x#y', 'é-ü', '{brace}', '%{User-Name}', 'a,b', "it's", '#hash'])('%j', (name) => {
    const text = writeUsersText([{ name, fallThrough: false, check: [{ attribute: 'Cleartext-Password', op: ':=', text: 'x', quote: '"' }], reply: [] }]);
    const [entry] = parseUsersText(text, 'written', dict);
    expect(entry!.name, `written as ${writeName(name)}`).toBe(name);
  });
});
