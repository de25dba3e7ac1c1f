/**
 * Round trips HTTP -> device emulator -> RADIUS (npm `radius` client) -> vutlan-radius (our
 * server, in-process, seed authorize entries) -> Vutlan attributes -> session lists -> XML.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../../src/bench/free-ports.js';
import { DeviceClient } from '../../src/device/client.js';
import { sha1Hex } from '../../src/device/password-hash.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { refused, startTestDevice, type TestDevice } from '../device/start-device.js';

const fixtures = fileURLToPath(new URL('../fixtures/device/', import.meta.url));
const SECRET = 'password123';

let server: RunningServer;
let port: number;
const devices: TestDevice[] = [];

beforeAll(async () => {
  server = await startServer(path.join(fixtures, 'radiusd.yaml'), { watch: false });
  port = server.addresses()[0]!.port;
});
afterAll(async () => { await server?.close(); });
afterEach(async () => { while (devices.length) await devices.pop()!.dispose(); });

async function device(nasIp: string, radius: Record<string, unknown> = {}): Promise<{ d: TestDevice; c: DeviceClient }> {
  const d = await startTestDevice({
    nas_ip: nasIp,
    radius: { enable: true, addr: '127.0.0.1', port, secret: SECRET, timeout_ms: 1000, retries: 1, ...radius },
  });
  devices.push(d);
  return { d, c: new DeviceClient(d.url) };
}

async function rawAuth(url: string, name: string, password: string): Promise<string> {
  const r = await fetch(`${url}/engine.htm`, { method: 'POST', body: new URLSearchParams({ querytype: 'auth', name, h: sha1Hex(password) }) });
  return r.text();
}

describe('RADIUS login through the emulator (seed username01, password hash = SHA-1 of "guest")', () => {
  it('from NAS 192.168.1.88: full rights in the auth XML', async () => {
    const { d } = await device('192.168.1.88');
    expect(await rawAuth(d.url, 'username01', 'guest')).toMatch(
      /^<user id="0" k="[0-9a-f]{32}" name="username01" sread="all," swrite="all," cread="all," cwrite="all," gread="all," gwrite="all,"\/>$/,
    );
  });

  it('from NAS 192.168.1.99: the restricted swrite and gwrite of the second entry', async () => {
    const { c } = await device('192.168.1.99');
    const u = await c.login('username01', 'guest');
    expect(u).toMatchObject({
      id: 0, name: 'username01', sread: 'all,', swrite: 'devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,',
      cread: 'all,', cwrite: 'all,', gread: 'all,', gwrite: '3001,3002,',
    });
  });

  it('also over a JSON body', async () => {
    const { d } = await device('192.168.1.88');
    const u = await new DeviceClient(d.url, { json: true }).login('username01', 'guest');
    expect(u.swrite).toBe('all,');
  });

  it('refuses a wrong password (Access-Reject) with authorization error', async () => {
    const { c } = await device('192.168.1.88');
    expect(await refused(c.login('username01', 'wrong'))).toBe('authorization error');
    expect(await refused(c.login('nobody', 'guest'))).toBe('authorization error');
  });

  it('refuses cleanly when the RADIUS server is down', async () => {
    const deadPort = await freeUdpPort();
    const { c } = await device('192.168.1.88', { port: deadPort, timeout_ms: 200, retries: 1 });
    expect(await refused(c.login('username01', 'guest'))).toBe('authorization error');
    expect((await c.login('guest', 'guest')).name).toBe('guest');
  });

  it('refuses when the device has the wrong shared secret (unverifiable answer)', async () => {
    const { c } = await device('192.168.1.88', { secret: 'not-the-secret', timeout_ms: 300, retries: 0 });
    expect(await refused(c.login('username01', 'guest'))).toBe('authorization error');
  });

  it('logs the local guest in without asking RADIUS, and never falls back for a local name', async () => {
    // RADIUS points at a port nobody answers with a long timeout: a RADIUS attempt would show.
    const { c } = await device('192.168.1.88', { port: 9, timeout_ms: 3000, retries: 0 });
    const t0 = Date.now();
    expect((await c.login('guest', 'guest')).sread).toBe('all,');
    expect(await refused(c.login('guest', 'wrong'))).toBe('authorization error');
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});

describe('what a RADIUS session may do', () => {
  it('refuses adduser, user edits and deluser to a RADIUS user even with swrite all', async () => {
    const { c } = await device('192.168.1.88');
    const r = await c.login('username01', 'guest');
    expect(r.swrite).toBe('all,');
    expect(await refused(c.addUser(r.k, { name: 'new', h: sha1Hex('x') }))).toBe('access error');
    expect(await refused(c.addUser(r.k, { id: 1, swrite: 'log,' }))).toBe('access error');
    expect(await refused(c.delUser(r.k, 1))).toBe('access error');
    expect((await c.getUsers(r.k)).map((u) => u.name)).toEqual(['guest']);
  });

  it('applies the RADIUS lists: system write from 192.168.1.99 allows getradius/setradius, view-only lists do not', async () => {
    const { c } = await device('192.168.1.99');
    const u = await c.login('username01', 'guest');
    expect(await c.getRadius(u.k)).toEqual({ enable: true, addr: '127.0.0.1', port });
    const v = await c.login('viewer', 'viewer');
    expect(v).toMatchObject({ sread: 'view,log,', swrite: '', gread: '', gwrite: '' });
    expect(await refused(c.getRadius(v.k))).toBe('access error');
    expect(await refused(c.setRadius(v.k, { enable: false }))).toBe('access error');
    expect(await c.getUsers(v.k)).toEqual([]);
    await c.setRadius(u.k, { enable: false });
    expect(await refused(c.getUsers(v.k))).toBe('authorization error');
    expect(await refused(c.login('username01', 'guest'))).toBe('authorization error');
  });
});

describe('local administration next to RADIUS', () => {
  it('deluser leaves the row with Valid = 0, and self-delete is refused', async () => {
    const { d, c } = await device('192.168.1.88');
    const { k, id } = await c.login('guest', 'guest');
    const op = await c.addUser(k, { name: 'operator', h: sha1Hex('op'), sread: 'users,', swrite: '' });
    const opSession = await c.login('operator', 'op');
    await c.delUser(k, op.id);
    const db = new Database(d.dbFile, { readonly: true });
    expect(db.prepare('SELECT ID, Valid, Name, SRead FROM SkyControlUsers ORDER BY ID').all()).toEqual([
      { ID: 1, Valid: 1, Name: 'guest', SRead: 'all,' },
      { ID: op.id, Valid: 0, Name: 'operator', SRead: 'users,' },
    ]);
    db.close();
    expect(await refused(c.getUsers(opSession.k))).toBe('authorization error');
    expect(await refused(c.delUser(k, id))).toBe('error');
  });

  it('setradius from a RADIUS-less device ends every session and makes RADIUS logins work', async () => {
    const { c } = await device('192.168.1.88', { enable: false });
    expect(await refused(c.login('username01', 'guest'))).toBe('authorization error');
    const a = await c.login('guest', 'guest');
    const b = await c.login('guest', 'guest');
    await c.setRadius(a.k, { enable: true, addr: '127.0.0.1', port, secret: SECRET });
    expect(await refused(c.getUsers(a.k))).toBe('authorization error');
    expect(await refused(c.getUsers(b.k))).toBe('authorization error');
    expect((await c.login('username01', 'guest')).gwrite).toBe('all,');
  });

  it('permission rules for local users hold on a RADIUS-enabled device', async () => {
    const { c } = await device('192.168.1.88');
    const { k } = await c.login('guest', 'guest');
    await c.addUser(k, { name: 'reader', h: sha1Hex('r'), sread: 'users,system,' });
    await c.addUser(k, { name: 'plain', h: sha1Hex('p'), sread: 'log,' });
    const reader = await c.login('reader', 'r');
    const plain = await c.login('plain', 'p');
    expect((await c.getUsers(reader.k)).map((u) => u.name)).toEqual(['guest', 'reader', 'plain']);
    expect(await refused(c.addUser(reader.k, { name: 'x', h: 'h' }))).toBe('access error');
    expect(await c.getRadius(reader.k)).toMatchObject({ enable: true });
    expect(await refused(c.setRadius(reader.k, { enable: false }))).toBe('access error');
    expect((await c.getUsers(plain.k)).map((u) => u.name)).toEqual(['plain']);
    expect(await refused(c.getUsers(plain.k, 1))).toBe('access error');
    expect(await refused(c.getRadius(plain.k))).toBe('access error');
    expect(await refused(c.addUser(k, { name: 'bad', h: 'h', swrite: 'firmware,' }))).toBe('error');
  });
});
