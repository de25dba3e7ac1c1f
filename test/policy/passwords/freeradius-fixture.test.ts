/**
 * Differential check of the password fixture against a live FreeRADIUS 3.2.1 (the packaged
 * default site via src/bench's runner): for every user of test/fixtures/passwords/authorize,
 * radclient sends PAP "hello" and "hellx"; FreeRADIUS's answers must equal the fixture's stated
 * expectation AND this module's verdict (papAuthorize + verifyPap).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreeUdpPorts } from '../../../src/bench/free-ports.js';
import { startFreeRadius, type RunningFreeRadius } from '../../../src/bench/freeradius-bench-server.js';
import { papAuthorize, verifyPap } from '../../../src/policy/passwords/index.js';
import { FIXTURE_AUTHORIZE, readFixtureUsers } from './fixture-users.js';
import { hasCommand, hasFreeRadius, skipWithout } from '../../support/tools.js';

const skip = skipWithout(hasFreeRadius() && hasCommand('radclient'), 'FreeRADIUS (freeradius) and radclient (freeradius-utils)');

const SECRET = 'fixture-secret';
const VUTLAN_DICTIONARY = fileURLToPath(new URL('../../../dictionaries/dictionary.vutlan', import.meta.url));

/** Sends PAP requests in order with radclient; returns the reply code name of each. */
function radclientPap(port: number, requests: readonly { user: string; password: string }[]): string[] {
  const input = requests.map((r) => `User-Name = "${r.user}", User-Password = "${r.password}"\n`).join('\n');
  const result = spawnSync('radclient', ['-x', '-r', '2', '-t', '3', '-p', '1', `127.0.0.1:${port}`, 'auth', SECRET], {
    input,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return [...result.stdout.matchAll(/^Received (Access-\w+)/gm)].map((m) => m[1]!);
}

describe.skipIf(skip)('password fixture against FreeRADIUS 3.2.1', () => {
  const users = readFixtureUsers();
  let dir: string;
  let server: RunningFreeRadius;
  let answers: Map<string, { hello: string; hellx: string }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vutlan-pw-fr-'));
    server = await startFreeRadius({
      dir,
      port: await findFreeUdpPorts(3),
      secret: SECRET,
      users: { kind: 'files', authorizeFile: FIXTURE_AUTHORIZE },
      vutlanDictionary: VUTLAN_DICTIONARY,
    });
    const requests = users.flatMap((u) => [{ user: u.name, password: 'hello' }, { user: u.name, password: 'hellx' }]);
    const codes = radclientPap(server.port, requests);
    expect(codes).toHaveLength(requests.length);
    answers = new Map(users.map((u, i) => [u.name, { hello: codes[2 * i]!, hellx: codes[2 * i + 1]! }]));
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const user of users) {
    it(`${user.name}: FreeRADIUS and this module agree (hello ${user.expectHello})`, () => {
      const measured = answers.get(user.name)!;
      expect(measured.hello).toBe(user.expectHello === 'accept' ? 'Access-Accept' : 'Access-Reject');
      expect(measured.hellx).toBe('Access-Reject');
      const ours = (password: string) => {
        const authorized = papAuthorize(user.control);
        return authorized.foundPassword && verifyPap(authorized.control, Buffer.from(password)).ok ? 'Access-Accept' : 'Access-Reject';
      };
      expect(ours('hello')).toBe(measured.hello);
      expect(ours('hellx')).toBe(measured.hellx);
    });
  }
});
