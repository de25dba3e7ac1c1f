/**
 * Accounting with clients that are not ours: radclient 3.2.1 verifies the Message-Authenticator
 * of an Accounting-Response (rad_verify) with a zero Request Authenticator, later FreeRADIUS
 * versions with the request's; pyrad checks the Response Authenticator. Every one of them must
 * take our Accounting-Response, and the record must be on disk. A missing tool skips only
 * outside CI.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startTestServer, type TestServer } from '../server/test-server.js';
import { eventually } from '../support/eventually.js';
import { runTool } from '../support/run-tool.js';
import { hasCommand, pythonWithPyrad, skipWithout } from '../support/tools.js';

/** Runs a tool from the repository root without blocking the server under test. */
const run = (cmd: string, args: string[], input = '') => runTool(cmd, args, { input, cwd: repoRoot });

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts.stop());

const bySession = (id: string) => () => ts.accountingLines().find((l) => (l.attributes as Record<string, string>)['Acct-Session-Id'] === id);

describe.skipIf(skipWithout(hasCommand('radclient'), 'radclient (freeradius-utils)'))('radclient acct', () => {
  it('takes the Accounting-Response (exit 0, no Message-Authenticator complaint) and the record is written', async () => {
    const r = await run('radclient', ['-x', '-d', 'dictionaries', '-t', '2', '-r', '1', `127.0.0.1:${ts.acct}`, 'acct', 'testing123'],
      'User-Name = "username01", Acct-Status-Type = Start, Acct-Session-Id = "rc-1", NAS-IP-Address = 192.168.1.88\n');
    expect(r.stderr).not.toContain('invalid Message-Authenticator');
    expect(r.stdout).toMatch(/Received Accounting-Response Id \d+/);
    expect(r.status).toBe(0);
    expect(await eventually(bySession('rc-1'))).toMatchObject({ attributes: { 'User-Name': 'username01', 'Acct-Status-Type': 'Start' } });
  });

  it('a request that carries Message-Authenticator is answered and verified too', async () => {
    const r = await run('radclient', ['-x', '-d', 'dictionaries', '-t', '2', '-r', '1', `127.0.0.1:${ts.acct}`, 'acct', 'testing123'],
      'User-Name = "username01", Acct-Status-Type = Start, Acct-Session-Id = "rc-2", Message-Authenticator = 0x00\n');
    expect(r.stderr).not.toContain('invalid Message-Authenticator');
    expect(r.stdout).toMatch(/Received Accounting-Response Id \d+/);
    expect(r.status).toBe(0);
  });

  it('Status-Server to the accounting port: signed Accounting-Response that radclient verifies', async () => {
    const r = await run('radclient', ['-x', '-t', '2', '-r', '1', `127.0.0.1:${ts.acct}`, 'status', 'testing123'], 'Message-Authenticator = 0x00\n');
    expect(r.stderr).not.toContain('invalid Message-Authenticator');
    expect(r.stdout).toMatch(/Received Accounting-Response/);
    expect(r.stdout).toMatch(/Message-Authenticator = 0x[0-9a-f]{32}/);
    expect(r.status).toBe(0);
  });

  it('a wrong secret gets no answer (radclient gives up, exit 1)', async () => {
    const r = await run('radclient', ['-x', '-d', 'dictionaries', '-t', '1', '-r', '1', `127.0.0.1:${ts.acct}`, 'acct', 'not-the-secret'],
      'User-Name = "username01", Acct-Status-Type = Start, Acct-Session-Id = "rc-bad"\n');
    expect(r.stdout).not.toMatch(/Received Accounting-Response/);
    expect(r.status).toBe(1);
  });
});

const PY = pythonWithPyrad();
describe.skipIf(skipWithout(PY !== undefined, 'python3 with pyrad'))('pyrad acct', () => {
  it('gets an Accounting-Response whose Response Authenticator pyrad verifies', async () => {
    const r = await run(PY!, [
      join(repoRoot, 'test/fixtures/interop/pyrad_acct.py'), '127.0.0.1', String(ts.acct), 'testing123', 'username01', 'py-1', '127.0.0.3',
      join(repoRoot, 'test/fixtures/interop/dictionary.pyrad'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('code 5\n');
    expect(r.status).toBe(0);
    expect(await eventually(bySession('py-1'))).toMatchObject({ client: 'lo-no', attributes: { 'User-Name': 'username01' } });
  });
});
