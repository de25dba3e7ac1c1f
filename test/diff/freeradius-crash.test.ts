import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { openPeer, type Peer, askOverUdp, buildRequest } from './harness.js';
import { type OurServer, startOurServer } from './our-server.js';

/**
 * Where FreeRADIUS 3.2.1 cannot be the reference because it dies: expanding a regex capture
 * (`%{1}`) after a regular expression failed to match aborts it (`src/main/regex.c[134] OUT OF
 * MEMORY`, measured with the Debian package; the differential generator avoids the pattern).
 * Our server must answer as it does when no regex was tried (3.2.1: captures expand to
 * nothing) and keep serving.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const DICT = join(ROOT, 'dictionaries/dictionary');
const SECRET = 'testing123';
const USERS = `DEFAULT User-Name =~ "^f"
\tFall-Through = Yes
DEFAULT Cleartext-Password := "pw2"
\tReply-Message := "1=%{1} 2=%{2}"
`;

describe('captures after a failed regex (FreeRADIUS 3.2.1 aborts)', () => {
  let dir: string;
  let dict: Dictionary;
  let ours: OurServer;
  let client: Peer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'diff-crash-'));
    writeFileSync(join(dir, 'authorize'), USERS);
    dict = loadDictionary(DICT);
    ours = await startOurServer({ users: { files: [join(dir, 'authorize')] }, dictionary: DICT, secret: SECRET });
    client = await openPeer(ours.port);
  });
  afterAll(async () => {
    client?.close();
    await ours?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with empty captures, twice (still serving)', async () => {
    for (let i = 0; i < 2; i++) {
      const [a] = await askOverUdp([client], dict, SECRET, buildRequest(dict, { label: 'u2', attrs: [['User-Name', 'u2']], pap: 'pw2' }));
      expect({ code: a!.code, attrs: a!.attrs, ma: a!.messageAuthenticator, authentic: a!.authentic })
        .toEqual({ code: 'Access-Accept', attrs: ['Reply-Message = "1= 2="'], ma: 'first', authentic: true });
    }
  });
});
