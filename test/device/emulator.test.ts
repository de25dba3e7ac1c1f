import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceClient } from '../../src/device/client.js';
import type { PermissionLists } from '../../src/device/permissions.js';
import { sha1Hex } from '../../src/device/password-hash.js';
import { refused, startTestDevice, type TestDevice } from './start-device.js';

const devices: TestDevice[] = [];
afterEach(async () => { while (devices.length) await devices.pop()!.dispose(); });

async function device(overrides: Record<string, unknown> = {}, opts = {}, dir?: string): Promise<{ d: TestDevice; c: DeviceClient }> {
  const d = await startTestDevice(overrides, opts, dir);
  devices.push(d);
  return { d, c: new DeviceClient(d.url) };
}

async function post(url: string, body: string, type = 'application/x-www-form-urlencoded'): Promise<{ status: number; text: string }> {
  const r = await fetch(`${url}/engine.htm`, { method: 'POST', headers: { 'Content-Type': type }, body });
  return { status: r.status, text: await r.text() };
}

const NONE: PermissionLists = { sread: '', swrite: '', cread: '', cwrite: '', gread: '', gwrite: '' };

/** Creates a local user with `lists` as guest and logs them in; returns their session key and id. */
async function userWith(c: DeviceClient, name: string, lists: Partial<PermissionLists>): Promise<{ k: string; id: number }> {
  const admin = await c.login('guest', 'guest');
  const u = await c.addUser(admin.k, { name, h: sha1Hex(`${name}-pw`), ...NONE, ...lists });
  const s = await c.login(name, `${name}-pw`);
  expect(s.id).toBe(u.id);
  return { k: s.k, id: u.id };
}

describe('fresh device', () => {
  it('holds only guest (SHA-1 of "guest", full rights) in SkyControlUsers with the manual\'s columns', async () => {
    const { d, c } = await device();
    const u = await c.login('guest', 'guest');
    expect(u).toMatchObject({ id: 1, name: 'guest', sread: 'all,', swrite: 'all,', cread: 'all,', cwrite: 'all,', gread: 'all,', gwrite: 'all,' });
    expect(u.k).toMatch(/^[0-9a-f]{32}$/);
    const db = new Database(d.dbFile, { readonly: true });
    const cols = (db.prepare('PRAGMA table_info(SkyControlUsers)').all() as { name: string }[]).map((r) => r.name);
    expect(cols).toEqual(['ID', 'Valid', 'Name', 'Pass', 'RegDate', 'SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite', 'RFU1', 'RFU2']);
    const rows = db.prepare('SELECT ID, Valid, Name, Pass FROM SkyControlUsers').all();
    expect(rows).toEqual([{ ID: 1, Valid: 1, Name: 'guest', Pass: '35675e68f4b5af7b995d9205ad0fc43842f16450' }]);
    db.close();
  });

  it('answers the auth XML in the manual\'s attribute order', async () => {
    const { d } = await device();
    const r = await post(d.url, `querytype=auth&name=guest&h=${sha1Hex('guest')}`);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^<user id="1" k="[0-9a-f]{32}" name="guest" sread="all," swrite="all," cread="all," cwrite="all," gread="all," gwrite="all,"\/>$/);
  });
});

describe('login and sessions', () => {
  it('refuses a wrong hash, an unknown user (RADIUS off) and missing fields', async () => {
    const { c } = await device();
    expect(await refused(c.login('guest', 'nope'))).toBe('authorization error');
    expect(await refused(c.login('nobody', 'x'))).toBe('authorization error');
    expect(await refused(c.call('auth', { name: 'guest' }))).toBe('some parameters are not specified');
  });

  it('answers invalid request for a missing or unknown querytype', async () => {
    const { d, c } = await device();
    expect(await refused(c.call('frobnicate'))).toBe('invalid request');
    expect((await post(d.url, 'name=guest')).text).toBe('<error type="invalid request"/>');
  });

  it('accepts a JSON body (Content-Type: application/json) like newer devices', async () => {
    const { d } = await device();
    const c = new DeviceClient(d.url, { json: true });
    const u = await c.login('guest', 'guest');
    expect(u.name).toBe('guest');
    expect((await c.getUsers(u.k)).map((x) => x.name)).toEqual(['guest']);
    expect((await post(d.url, '{"querytype":', 'application/json')).status).toBe(400);
  });

  it('needs a live key: none, unknown, closed and idle-expired keys are authorization errors', async () => {
    let clock = 1_000_000;
    const { c } = await device({ session_idle_seconds: 60 }, { now: () => clock });
    expect(await refused(c.call('getuser'))).toBe('authorization error');
    expect(await refused(c.getUsers('0123456789abcdef0123456789abcdef'))).toBe('authorization error');
    const a = await c.login('guest', 'guest');
    await c.authclose(a.k);
    expect(await refused(c.getUsers(a.k))).toBe('authorization error');
    const b = await c.login('guest', 'guest');
    clock += 59_000;
    expect(await c.getUsers(b.k)).toHaveLength(1); // a request restarts the idle time
    clock += 60_000;
    expect(await c.getUsers(b.k)).toHaveLength(1);
    clock += 60_001;
    expect(await refused(c.getUsers(b.k))).toBe('authorization error');
  });

  it('keeps earlier sessions of a user open when they log in again (simultaneous access)', async () => {
    const { c } = await device();
    const a = await c.login('guest', 'guest');
    const b = await c.login('guest', 'guest');
    expect(a.k).not.toBe(b.k);
    expect(await c.getUsers(a.k)).toHaveLength(1);
    expect(await c.getUsers(b.k)).toHaveLength(1);
  });

  it('ends earlier sessions on a new login when replace_sessions_on_login is set', async () => {
    const { c } = await device({ replace_sessions_on_login: true });
    const a = await c.login('guest', 'guest');
    const b = await c.login('guest', 'guest');
    expect(await refused(c.getUsers(a.k))).toBe('authorization error');
    expect(await c.getUsers(b.k)).toHaveLength(1);
  });
});

describe('adduser / getuser / deluser', () => {
  it('creates and modifies users; getuser never shows passwords', async () => {
    const { d, c } = await device();
    const { k } = await c.login('guest', 'guest');
    const u = await c.addUser(k, { name: 'operator', h: sha1Hex('op'), sread: 'all,', swrite: 'elements,', cread: 'all,', cwrite: '', gread: '3001, 3002,', gwrite: '3001,' });
    expect(u).toEqual({ id: 2, name: 'operator', sread: 'all,', swrite: 'elements,', cread: 'all,', cwrite: '', gread: '3001, 3002,', gwrite: '3001,' });
    const raw = await post(d.url, `querytype=getuser&k=${k}`);
    expect(raw.text).not.toMatch(/pass|[0-9a-f]{40}/i);
    expect((await c.getUsers(k)).map((x) => x.name)).toEqual(['guest', 'operator']);
    const changed = await c.addUser(k, { id: 2, swrite: 'elements,log,' });
    expect(changed).toMatchObject({ id: 2, name: 'operator', swrite: 'elements,log,', gread: '3001, 3002,' });
    expect((await c.login('operator', 'op')).swrite).toBe('elements,log,');
    await c.addUser(k, { id: 2, h: sha1Hex('op2') });
    expect(await refused(c.login('operator', 'op'))).toBe('authorization error');
    expect((await c.login('operator', 'op2')).name).toBe('operator');
  });

  it('validates adduser: unknown resource ids, bad group lists, taken names, missing fields', async () => {
    const { c } = await device();
    const { k } = await c.login('guest', 'guest');
    expect(await refused(c.addUser(k, { name: 'x', h: 'h', swrite: 'elements,firmware,' }))).toBe('error');
    expect(await refused(c.addUser(k, { name: 'x', h: 'h', sread: 'languages,' }))).toBe('error');
    expect(await refused(c.addUser(k, { name: 'x', h: 'h', gread: '3001,-2,' }))).toBe('error');
    expect(await refused(c.addUser(k, { name: 'x', h: 'h', gwrite: 'some,' }))).toBe('error');
    expect(await refused(c.addUser(k, { name: 'guest', h: 'h' }))).toBe('error');
    expect(await refused(c.addUser(k, { name: 'x' }))).toBe('some parameters are not specified');
    expect(await refused(c.addUser(k, { id: 99, name: 'x' }))).toBe('error');
    const ok = await c.addUser(k, { name: 'x', h: 'h', sread: ' languges , all ,', gread: 'none', gwrite: 'all,3001,' });
    expect(ok.sread).toBe(' languges , all ,');
  });

  it('deluser sets Valid = 0 and keeps the row; the user can no longer log in or be listed', async () => {
    const { d, c } = await device();
    const victim = await userWith(c, 'victim', { sread: 'all,' });
    const { k } = await c.login('guest', 'guest');
    await c.delUser(k, victim.id);
    const db = new Database(d.dbFile, { readonly: true });
    expect(db.prepare('SELECT Valid, Name FROM SkyControlUsers WHERE ID = ?').get(victim.id)).toEqual({ Valid: 0, Name: 'victim' });
    db.close();
    expect((await c.getUsers(k)).map((u) => u.name)).toEqual(['guest']);
    expect(await refused(c.getUsers(k, victim.id))).toBe('error');
    expect(await refused(c.login('victim', 'victim-pw'))).toBe('authorization error');
    expect(await refused(c.getUsers(victim.k))).toBe('authorization error');
    expect(await refused(c.delUser(k, victim.id))).toBe('error');
    expect(await refused(c.addUser(k, { name: 'victim', h: 'h' }))).toBe('error');
  });

  it('refuses self-delete', async () => {
    const { c } = await device();
    const { k, id } = await c.login('guest', 'guest');
    expect(await refused(c.delUser(k, id))).toBe('error');
    expect(await c.getUsers(k)).toHaveLength(1);
  });
});

describe('permission rules', () => {
  it('getuser: users in sread or swrite lists everyone; without it only your own record', async () => {
    const { c } = await device();
    const reader = await userWith(c, 'reader', { sread: 'users,' });
    const writer = await userWith(c, 'writer', { swrite: 'users,' });
    const plain = await userWith(c, 'plain', { sread: 'log,view,' });
    expect((await c.getUsers(reader.k)).map((u) => u.name)).toEqual(['guest', 'reader', 'writer', 'plain']);
    expect((await c.getUsers(writer.k)).map((u) => u.name)).toEqual(['guest', 'reader', 'writer', 'plain']);
    expect((await c.getUsers(plain.k)).map((u) => u.name)).toEqual(['plain']);
    expect((await c.getUsers(plain.k, plain.id)).map((u) => u.name)).toEqual(['plain']);
    expect(await refused(c.getUsers(plain.k, 1))).toBe('access error');
  });

  it('adduser and deluser need users in swrite (sread is not enough)', async () => {
    const { c } = await device();
    const reader = await userWith(c, 'reader', { sread: 'users,all,' });
    const writer = await userWith(c, 'writer', { swrite: ' users ,' });
    expect(await refused(c.addUser(reader.k, { name: 'n1', h: 'h' }))).toBe('access error');
    expect(await refused(c.delUser(reader.k, writer.id))).toBe('access error');
    const n2 = await c.addUser(writer.k, { name: 'n2', h: 'h' });
    await c.delUser(writer.k, n2.id);
    expect((await c.getUsers(writer.k)).map((u) => u.name)).not.toContain('n2');
  });

  it('swrite "all," grants user and system writes', async () => {
    const { c } = await device();
    const admin = await userWith(c, 'admin', { swrite: 'all,' });
    await c.addUser(admin.k, { name: 'n', h: 'h' });
    expect(await c.getRadius(admin.k)).toEqual({ enable: false });
  });

  it('setradius needs system in swrite; getradius needs system in sread or swrite', async () => {
    const { c } = await device();
    const sysReader = await userWith(c, 'sysreader', { sread: 'system,' });
    const nobody = await userWith(c, 'nobody', { sread: 'log,', swrite: 'log,' });
    expect(await c.getRadius(sysReader.k)).toEqual({ enable: false });
    expect(await refused(c.getRadius(nobody.k))).toBe('access error');
    expect(await refused(c.setRadius(sysReader.k, { enable: false }))).toBe('access error');
    const sysWriter = await userWith(c, 'syswriter', { swrite: 'system,' });
    expect(await c.getRadius(sysWriter.k)).toEqual({ enable: false });
    await c.setRadius(sysWriter.k, { enable: true, addr: '127.0.0.1', port: 1812, secret: 's' });
  });

  it('a RADIUS-authenticated user can neither create, edit nor delete local users, even with swrite all', async () => {
    const all = 'all,';
    const { c } = await device(
      { radius: { enable: true, addr: '127.0.0.1', port: 1812, secret: 'x' } },
      { login: async () => ({ lists: { sread: all, swrite: all, cread: all, cwrite: all, gread: all, gwrite: all }, rfu1: '', rfu2: '' }) },
    );
    const r = await c.login('remote', 'pw');
    expect(r).toMatchObject({ id: 0, name: 'remote', swrite: 'all,' });
    expect(await refused(c.addUser(r.k, { name: 'n', h: 'h' }))).toBe('access error');
    expect(await refused(c.addUser(r.k, { id: 1, swrite: '' }))).toBe('access error');
    expect(await refused(c.delUser(r.k, 1))).toBe('access error');
    expect((await c.getUsers(r.k)).map((u) => u.name)).toEqual(['guest']);
    expect(await c.getRadius(r.k)).toEqual({ enable: true, addr: '127.0.0.1', port: 1812 });
  });

  it('a local name never falls back to RADIUS, and a blocked local name is refused', async () => {
    let calls = 0;
    const { c } = await device(
      { radius: { enable: true, addr: '127.0.0.1', port: 1812, secret: 'x' } },
      { login: async () => { calls++; return { lists: { ...NONE, sread: 'all,' }, rfu1: '', rfu2: '' }; } },
    );
    expect(await refused(c.login('guest', 'wrong'))).toBe('authorization error');
    const v = await userWith(c, 'gone', {});
    const { k } = await c.login('guest', 'guest');
    await c.delUser(k, v.id);
    expect(await refused(c.login('gone', 'gone-pw'))).toBe('authorization error');
    expect(calls).toBe(0);
    await c.login('elsewhere', 'pw');
    expect(calls).toBe(1);
  });
});

describe('users write is not full admin (nobody grants what he does not hold)', () => {
  it('a users-writer cannot grant himself all, change guest\'s password, delete guest or disable RADIUS', async () => {
    const { c } = await device({ radius: { enable: true, addr: '127.0.0.1', port: 1812, secret: 'x' } });
    const w = await userWith(c, 'writer', { sread: 'log,', swrite: 'users,' });
    expect(await refused(c.addUser(w.k, { id: w.id, swrite: 'all,' }))).toBe('access error');
    expect(await refused(c.addUser(w.k, { id: w.id, swrite: 'users,system,' }))).toBe('access error');
    expect(await refused(c.addUser(w.k, { id: 1, h: sha1Hex('mine') }))).toBe('access error');
    expect(await refused(c.addUser(w.k, { id: 1, swrite: '' }))).toBe('access error');
    expect(await refused(c.delUser(w.k, 1))).toBe('access error');
    expect(await refused(c.addUser(w.k, { name: 'crony', h: 'h', ...NONE, gwrite: 'all,' }))).toBe('access error');
    expect(await refused(c.setRadius(w.k, { enable: false }))).toBe('access error');
    // nothing changed: guest still logs in with its password and keeps its rights; RADIUS is on
    const guest = await c.login('guest', 'guest');
    expect(guest).toMatchObject({ swrite: 'all,', gwrite: 'all,' });
    expect(await c.getRadius(guest.k)).toMatchObject({ enable: true });
    expect((await c.getUsers(guest.k)).map((u) => u.name)).toEqual(['guest', 'writer']);
  });

  it('what he holds he may grant, and users holding no more than him he may change or delete', async () => {
    const { c } = await device();
    const w = await userWith(c, 'writer', { sread: 'log,', swrite: 'users,view,', gwrite: '3001,' });
    const made = await c.addUser(w.k, { name: 'helper', h: sha1Hex('helper-pw'), ...NONE, sread: 'users,log,view,', swrite: 'view,', gread: '3001,none,' });
    expect(made).toMatchObject({ sread: 'users,log,view,', swrite: 'view,', gread: '3001,none,' });
    const changed = await c.addUser(w.k, { id: made.id, h: sha1Hex('new-pw'), swrite: '' });
    expect(changed.swrite).toBe('');
    expect((await c.login('helper', 'new-pw')).name).toBe('helper');
    await c.delUser(w.k, made.id);
    // a peer holding one right more (log write) is out of reach
    const peer = await userWith(c, 'peer', { swrite: 'users,log,' });
    expect(await refused(c.addUser(w.k, { id: peer.id, h: sha1Hex('x') }))).toBe('access error');
  });
});

describe('login names', () => {
  it('a name with NUL or another control character is refused before the local table or RADIUS is asked', async () => {
    let calls = 0;
    const { c } = await device(
      { radius: { enable: true, addr: '127.0.0.1', port: 1812, secret: 'x' } },
      { login: async () => { calls++; return { lists: { ...NONE, sread: 'all,', swrite: 'all,' }, rfu1: '', rfu2: '' }; } },
    );
    const v = await userWith(c, 'alice', {});
    const { k } = await c.login('guest', 'guest');
    await c.delUser(k, v.id);
    for (const name of ['alice\u0000', 'alice\u0000x', 'guest\u0000', 'ali\nce', 'alice\u001b[0m', 'alice\u007f']) {
      expect(await refused(c.login(name, 'alice-pw')), JSON.stringify(name)).toBe('authorization error');
    }
    expect(calls).toBe(0);
    await c.login('bob', 'pw');
    expect(calls).toBe(1);
  });
});

describe('setradius / getradius', () => {
  it('ends every session, takes effect, and survives a restart', async () => {
    const { d, c } = await device();
    const a = await c.login('guest', 'guest');
    const b = await c.login('guest', 'guest');
    await c.setRadius(a.k, { enable: true, addr: '192.0.2.7', port: 11812, secret: 'sekret' });
    expect(await refused(c.getUsers(a.k))).toBe('authorization error');
    expect(await refused(c.getUsers(b.k))).toBe('authorization error');
    const k = (await c.login('guest', 'guest')).k;
    expect(await c.getRadius(k)).toEqual({ enable: true, addr: '192.0.2.7', port: 11812 });
    const raw = await post(d.url, `querytype=getradius&k=${k}`);
    expect(raw.text).toBe('<radius enable="1" addr="192.0.2.7" port="11812"/>');
    await d.close();
    devices.pop();
    const again = await device({}, {}, d.dir);
    const k2 = (await again.c.login('guest', 'guest')).k;
    expect(await again.c.getRadius(k2)).toEqual({ enable: true, addr: '192.0.2.7', port: 11812 });
    await again.c.setRadius(k2, { enable: false });
    const k3 = (await again.c.login('guest', 'guest')).k;
    expect((await post(again.d.url, `querytype=getradius&k=${k3}`)).text).toBe('<radius enable="0"/>');
  });

  it('validates setradius fields', async () => {
    const { c } = await device();
    const { k } = await c.login('guest', 'guest');
    expect(await refused(c.call('setradius', { k }))).toBe('some parameters are not specified');
    expect(await refused(c.call('setradius', { k, enable: 1, addr: '10.0.0.1' }))).toBe('some parameters are not specified');
    expect(await refused(c.call('setradius', { k, enable: 2 }))).toBe('error');
    expect(await refused(c.call('setradius', { k, enable: 1, addr: '10.0.0.1', port: 70000, secret: 's' }))).toBe('error');
    expect(await c.getRadius(k)).toEqual({ enable: false });
  });
});

describe('HTTP and XML', () => {
  it('escapes every value in replies', async () => {
    const { d, c } = await device();
    const { k } = await c.login('guest', 'guest');
    const name = `a<b&"c'>`;
    await c.addUser(k, { name, h: 'h', cread: '<x>&"' });
    const raw = await post(d.url, `querytype=getuser&k=${k}&id=2`);
    expect(raw.text).toContain('name="a&lt;b&amp;&quot;c&apos;&gt;"');
    expect((await c.getUsers(k, 2))[0]).toMatchObject({ name, cread: '<x>&"' });
  });

  it('serves only POST /engine.htm and bounds the body', async () => {
    const { d } = await device();
    expect((await fetch(`${d.url}/engine.htm`)).status).toBe(405);
    expect((await fetch(`${d.url}/other`, { method: 'POST' })).status).toBe(404);
    expect((await post(d.url, `querytype=auth&name=${'x'.repeat(70_000)}`)).status).toBe(413);
    expect((await post(d.url, 'querytype=auth', 'application/xml')).status).toBe(415);
  });
});
