import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import type { DiffRequest } from './harness.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';
import { DiffRig, expectSameAnswers } from './rig.js';

/**
 * Every password scheme of the passwords fixture (one user per scheme and encoding, password
 * "hello"), with PAP right and wrong and with CHAP, answered by FreeRADIUS 3.2.1, by our server
 * on the same file and by our server on the file imported into SQLite.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const USERS = join(ROOT, 'test/fixtures/passwords/authorize');
const DICT = join(ROOT, 'dictionaries/dictionary');
const SECRET = 'testing123';
const available = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');
const names = [...readFileSync(USERS, 'utf8').matchAll(/^([A-Za-z0-9_.-]+)\s/gm)].map((m) => m[1]!).filter((n) => n !== 'DEFAULT');
const HOW: Pick<DiffRequest, 'pap' | 'chap'>[] = [{ pap: 'hello' }, { pap: 'hellx' }, { chap: { password: 'hello' } }];

describe.skipIf(!available)('differential: password schemes, our server (file and SQLite) vs FreeRADIUS 3.2.1', () => {
  let rig: DiffRig;
  let dict: Dictionary;
  const accepted = new Set<string>();

  beforeAll(async () => {
    dict = loadDictionary(DICT);
    rig = await DiffRig.start({ usersFile: USERS, dictionary: DICT, dict, secret: SECRET });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('has users', () => expect(names.length).toBeGreaterThan(10));
  for (const name of names) {
    it(name, async () => {
      for (const how of HOW) {
        const answers = await rig.ask({ label: name, attrs: [['User-Name', name], ['NAS-IP-Address', '127.0.0.1']], ...how });
        expectSameAnswers(answers);
        if (answers.freeradius.code === 'Access-Accept') accepted.add(name);
      }
    });
  }
  it('most schemes accept the right password', () => {
    expect(accepted.size, [...accepted].join(' ')).toBeGreaterThanOrEqual(Math.floor(names.length / 2));
  });
});
