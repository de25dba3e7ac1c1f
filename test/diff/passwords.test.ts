import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { parseUsersFile } from '../../src/policy/users-parser.js';
import type { Entry } from '../../src/policy/entry.js';
import { type RunningFreeRadius, startFreeRadius } from '../../src/bench/freeradius-runner.js';
import { UdpClient, askFreeRadius, askOurs, buildRequest, freeRadiusAvailable } from './harness.js';

/**
 * Every password scheme of the passwords fixture (one user per scheme and encoding, password
 * "hello"), with PAP right and wrong and with CHAP, answered by FreeRADIUS 3.2.1 and by us.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const USERS = join(ROOT, 'test/fixtures/passwords/authorize');
const DICT = join(ROOT, 'dictionaries/dictionary');
const SECRET = 'testing123';
const available = freeRadiusAvailable();
const names = [...readFileSync(USERS, 'utf8').matchAll(/^([A-Za-z0-9_.-]+)\s/gm)].map((m) => m[1]!).filter((n) => n !== 'DEFAULT');

describe.skipIf(!available)('differential: password schemes vs FreeRADIUS 3.2.1', () => {
  let fr: RunningFreeRadius;
  let client: UdpClient;
  let dict: Dictionary;
  let entries: Entry[];

  beforeAll(async () => {
    dict = loadDictionary(DICT);
    entries = parseUsersFile(USERS, dict);
    fr = await startFreeRadius({ usersFile: USERS, secret: SECRET, dictionary: DICT });
    client = new UdpClient(fr.port);
  });
  afterAll(async () => {
    client?.close();
    await fr?.stop();
  });

  it('has users', () => expect(names.length).toBeGreaterThan(10));
  for (const name of names) {
    it(name, async () => {
      for (const how of [{ pap: 'hello' }, { pap: 'hellx' }, { chap: { password: 'hello' } }]) {
        const built = buildRequest(dict, { label: name, attrs: [['User-Name', name], ['NAS-IP-Address', '127.0.0.1']], ...how });
        const theirs = await askFreeRadius(client, dict, SECRET, built);
        const trace: string[] = [];
        const ours = askOurs(dict, entries, SECRET, built, (l) => trace.push(l));
        expect(ours, `${name} ${JSON.stringify(how)}\n${trace.join('\n')}`).toEqual(theirs);
      }
    });
  }
});
