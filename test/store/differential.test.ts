import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFreeRadius, type RunningFreeRadius } from '../../src/bench/freeradius-runner.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Entry } from '../../src/policy/entry.js';
import { parseUsersFile } from '../../src/policy/users-parser.js';
import { UsersFileSource } from '../../src/store/files-source.js';
import { SqliteUserSource } from '../../src/store/sqlite/sqlite-source.js';
import { storedEntryFromEntry } from '../../src/store/sqlite/stored-entry.js';
import { UserStore } from '../../src/store/sqlite/user-store.js';
import { exportUsersText } from '../../src/store/sqlite/users-export.js';
import { askFreeRadius, askOurs, buildRequest, UdpClient, type DiffRequest } from '../diff/harness.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';

/**
 * The differential run for the SQLite store: the policy helper's hand-written users file is
 * imported into SQLite and exported back; FreeRADIUS 3.2.1 answers from the EXPORTED file, we
 * answer from the SQLite store and from the original file. All three must agree on the wire.
 */

const USERS = 'test/fixtures/diff/handwritten-authorize';
const DICT = 'dictionaries/dictionary';
const SECRET = 'testing123';
const SHA = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const available = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');

/** Every name of the file x the passwords it holds x a few NAS addresses and extras. */
function cases(entries: readonly Entry[]): DiffRequest[] {
  const names = [...new Set(entries.filter((e) => !e.isDefault).map((e) => e.name))].concat(['dave', 'nobody', 'fx']);
  const passwordsOf = (es: readonly Entry[]) =>
    [...new Set(es.flatMap((e) => e.check.filter((c) => c.attr.name === 'Cleartext-Password').map((c) => c.value.toString('utf8'))))];
  const passwords = passwordsOf(entries);
  const out: DiffRequest[] = [];
  let i = 0;
  for (const name of names) {
    for (const nas of ['127.0.0.1', '192.168.1.88', '10.1.1.1']) {
      const own = passwordsOf(entries.filter((e) => e.name === name));
      for (const pap of [...own, ...passwords.slice(i % 5, (i % 5) + 2), SHA, 'wrong']) {
        const attrs: [string, string][] = [['User-Name', name], ['NAS-IP-Address', nas]];
        if (i % 5 === 0) attrs.push(['NAS-Port', String(i % 12)]);
        if (i % 7 === 0) attrs.push(['Calling-Station-Id', i % 2 ? 'AB-42' : 'A']);
        out.push({ label: `${name} ${nas} ${i}`, attrs, pap });
        i++;
      }
    }
    out.push({ label: `${name} CHAP`, attrs: [['User-Name', name], ['NAS-IP-Address', '127.0.0.1']], chap: { password: passwords[i % passwords.length]! } });
  }
  return out;
}

describe.skipIf(!available)('differential: SQLite store vs users file vs FreeRADIUS 3.2.1 (on the exported file)', () => {
  let dir: string;
  let dict: Dictionary;
  let entries: Entry[];
  let sqlite: SqliteUserSource;
  let files: UsersFileSource;
  let fr: RunningFreeRadius;
  let client: UdpClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vr-sqlite-diff-'));
    dict = loadDictionary(DICT);
    entries = parseUsersFile(USERS, dict);
    const db = join(dir, 'users.sqlite');
    const store = new UserStore(db);
    store.importEntries(entries.map((e) => storedEntryFromEntry(dict, e)), true);
    const exported = join(dir, 'exported-authorize');
    writeFileSync(exported, exportUsersText(store.entries()));
    store.close();
    sqlite = new SqliteUserSource(db, dict);
    files = new UsersFileSource(USERS, entries);
    fr = await startFreeRadius({ usersFile: exported, secret: SECRET, dictionary: DICT });
    client = new UdpClient(fr.port);
  });

  afterAll(async () => {
    client?.close();
    await fr?.stop();
    sqlite?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request identically', async () => {
    const all = cases(entries);
    expect(all.length).toBeGreaterThan(150);
    let accepts = 0;
    for (const c of all) {
      const built = buildRequest(dict, c);
      const theirs = await askFreeRadius(client, dict, SECRET, built);
      const fromStore = askOurs(dict, sqlite, SECRET, built);
      const fromFile = askOurs(dict, files, SECRET, built);
      expect(fromStore, `sqlite vs FreeRADIUS: ${JSON.stringify(c)}`).toEqual(theirs);
      expect(fromFile, `file vs sqlite: ${JSON.stringify(c)}`).toEqual(fromStore);
      if (theirs.code === 'Access-Accept') accepts++;
    }
    expect(accepts).toBeGreaterThanOrEqual(15); // the cases exercise accepts, not only rejects
  });
});
