/**
 * Interoperability with RADIUS clients that are not ours: FreeRADIUS's radclient and radtest,
 * pyrad (Python) and the npm `radius` package. Each must get correctly signed replies with the
 * Vutlan attributes decoded by name. A missing tool skips its tests only outside CI; with
 * CI=true the tests run and fail if the tool is missing.
 */
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import radius from 'radius';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installVutlanDictionary } from '../../src/device/radius-dictionary.js';
import { repoRoot, startTestServer, type TestServer } from '../server/test-server.js';
import { runTool } from '../support/run-tool.js';
import { hasCommand, pythonWithPyrad, skipWithout } from '../support/tools.js';

const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
/** Runs a tool from the repository root without blocking the server under test. */
const run = (cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}) => runTool(cmd, args, { cwd: repoRoot, ...opts });

let ts: TestServer;
beforeAll(async () => {
  ts = await startTestServer();
});
afterAll(async () => ts.stop());

const hasRadclient = hasCommand('radclient');
const hasRadtest = hasCommand('radtest');

// 127.0.0.1 is an `auto` host client: once it has sent Message-Authenticator (radtest always
// does), requests without it are dropped, so every radclient input here carries it.
describe.skipIf(skipWithout(hasRadclient, 'radclient (freeradius-utils)'))('radclient', () => {
  const radclient = (input: string, extra: string[] = []) => run('radclient', ['-x', '-d', 'dictionaries', '-t', '2', '-r', '1', ...extra, `127.0.0.1:${ts.auth}`, 'auth', 'testing123'], { input });

  it('prints SRead = "all," by name for NAS 192.168.1.88 (exit 0)', async () => {
    const r = await radclient(`User-Name = "username01", User-Password = "${HASH}", NAS-IP-Address = 192.168.1.88, Message-Authenticator = 0x00\n`);
    expect(r.stdout).toMatch(/Received Access-Accept Id \d+/);
    expect(r.stdout).toContain('SRead = "all,"');
    expect(r.stdout).toContain('GWrite = "all,"');
    expect(r.stdout).not.toContain('Attr-26');
    expect(r.status).toBe(0);
  });

  it('prints the restricted lists for another NAS-IP-Address', async () => {
    const r = await radclient(`User-Name = "username01", User-Password = "${HASH}", NAS-IP-Address = 10.20.30.40, Message-Authenticator = 0x00\n`);
    expect(r.stdout).toContain('SWrite = "devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,"');
    expect(r.stdout).toContain('GWrite = "3001,3002,"');
    expect(r.status).toBe(0);
  });

  it('exits 1 on a wrong password (Access-Reject)', async () => {
    const r = await radclient(`User-Name = "username01", User-Password = "guest", NAS-IP-Address = 192.168.1.88, Message-Authenticator = 0x00\n`);
    expect(r.stdout).toMatch(/Received Access-Reject/);
    expect(r.status).toBe(1);
  });

  it('CHAP with the SHA-1 hex as the CHAP secret is accepted', async () => {
    const r = await radclient(`User-Name = "username01", CHAP-Password = "${HASH}", NAS-IP-Address = 192.168.1.88, Message-Authenticator = 0x00\n`);
    expect(r.stdout).toContain('SRead = "all,"');
    expect(r.status).toBe(0);
  });

  it('Status-Server with Message-Authenticator gets Access-Accept', async () => {
    const r = await run('radclient', ['-x', '-t', '2', '-r', '1', `127.0.0.1:${ts.auth}`, 'status', 'testing123'], { input: 'Message-Authenticator = 0x00\n' });
    expect(r.stdout).toMatch(/Received Access-Accept/);
    expect(r.status).toBe(0);
  });
});

describe.skipIf(skipWithout(hasRadtest, 'radtest (freeradius-utils)'))('radtest', () => {
  it('accepts username01 and shows the Vutlan attributes (-d is passed on to radclient)', async () => {
    const r = await run('radtest', ['-d', 'dictionaries', 'username01', HASH, `127.0.0.1:${ts.auth}`, '0', 'testing123', '0', '192.168.1.88']);
    expect(r.stdout).toMatch(/Received Access-Accept/);
    expect(r.stdout).toContain('SRead = "all,"');
    expect(r.status).toBe(0);
  });

  it('exits 1 on reject', async () => {
    const r = await run('radtest', ['-d', 'dictionaries', 'username01', 'guest', `127.0.0.1:${ts.auth}`, '0', 'testing123', '0', '192.168.1.88']);
    expect(r.stdout).toMatch(/Received Access-Reject/);
    expect(r.status).toBe(1);
  });
});

const python = pythonWithPyrad();

describe.skipIf(skipWithout(python !== undefined, 'python3 with pyrad'))('pyrad', () => {
  const pyrad = (nas: string, password = HASH) => run(python ?? 'python3', [
    join(repoRoot, 'test/fixtures/interop/pyrad_client.py'),
    '127.0.0.1', String(ts.auth), 'testing123', 'username01', password, nas,
    // pyrad 2.1 sends no Message-Authenticator: use the client whose policy is "no"
    '127.0.0.3',
    join(repoRoot, 'test/fixtures/interop/dictionary.pyrad'),
    join(repoRoot, 'dictionaries/dictionary.vutlan'),
  ]);

  it('gets the per-NAS Vutlan lists by name (Response Authenticator verified by pyrad)', async () => {
    const full = await pyrad('192.168.1.88');
    expect(full.stderr).toBe('');
    expect(full.stdout).toContain('code 2\n');
    expect(full.stdout).toContain('SRead = all,\n');
    expect(full.stdout).toContain('GWrite = all,\n');
    expect(full.status).toBe(0);
    const other = await pyrad('10.0.0.9');
    expect(other.stdout).toContain('GWrite = 3001,3002,\n');
  });

  it('gets Access-Reject for a wrong password', async () => {
    const r = await pyrad('192.168.1.88', 'guest');
    expect(r.stdout).toContain('code 3\n');
    expect(r.status).toBe(1);
  });
});

let identifier = 0;
const nextIdentifier = () => (identifier = (identifier + 1) & 0xff);

describe('npm radius as the client', () => {
  beforeAll(() => installVutlanDictionary());

  async function send(nas: string, password: string) {
    const request = radius.encode({
      code: 'Access-Request',
      secret: 'testing123',
      identifier: nextIdentifier(),
      attributes: [['User-Name', 'username01'], ['User-Password', password], ['NAS-IP-Address', nas]],
      add_message_authenticator: true,
    } as radius.EncodeArgs);
    const socket = createSocket('udp4');
    try {
      const response = await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no reply')), 2000);
        socket.on('message', (m) => { clearTimeout(timer); resolve(m); });
        socket.send(request, ts.auth, '127.0.0.1');
      });
      const verified = radius.verify_response({ request, response: Buffer.from(response), secret: 'testing123' });
      const decoded = radius.decode({ packet: response, secret: 'testing123' });
      return { verified, decoded, response };
    } finally {
      socket.close();
    }
  }

  it('decodes the Accept by name incl. Vutlan attributes and verifies the Response Authenticator and MA', async () => {
    const { verified, decoded, response } = await send('192.168.1.88', HASH);
    expect(verified).toBe(true);
    expect(decoded.code).toBe('Access-Accept');
    expect(response[20]).toBe(80); // Message-Authenticator first
    const vendor = (decoded.attributes['Vendor-Specific'] ?? {}) as Record<string, string>;
    expect(vendor).toMatchObject({ SRead: 'all,', SWrite: 'all,', CRead: 'all,', CWrite: 'all,', GRead: 'all,', GWrite: 'all,' });
  });

  it('restricted lists for another NAS, Reject for a wrong password', async () => {
    const other = await send('10.0.0.1', HASH);
    expect(((other.decoded.attributes['Vendor-Specific'] ?? {}) as Record<string, string>).GWrite).toBe('3001,3002,');
    const bad = await send('192.168.1.88', 'guest');
    expect(bad.verified).toBe(true);
    expect(bad.decoded.code).toBe('Access-Reject');
  });
});
