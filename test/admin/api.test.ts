import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI } from '../../src/admin/openapi.js';
import { runTest } from '../../src/cli/test-command.js';
import { CLI } from '../server/cli-serve.js';
import { ApiClient, signedIn, startAdminRig, type AdminRig } from './admin-rig.js';

/** Every operation of the API description, with a concrete path. */
const operations = Object.entries(OPENAPI.paths).flatMap(([path, ops]) =>
  Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path: path.replace('{name}', 'someone') })));
const PUBLIC = new Set(['GET /api/openapi.json', 'GET /api/session', 'POST /api/login', 'POST /api/logout']);
const mutating = operations.filter((o) => o.method !== 'GET' && !PUBLIC.has(`${o.method} ${o.path}`));

let rig: AdminRig;
beforeAll(async () => { rig = await startAdminRig(); });
afterAll(async () => { await rig?.stop(); });

const userBody = (name: string) => ({
  name,
  password: { kind: 'device', value: 'guest' },
  lists: { sread: 'all', swrite: 'view,log', gread: 'all', gwrite: '3001,3002' },
  overrides: [{ nas: '127.0.0.21', lists: { sread: 'all', swrite: 'all', gread: 'all', gwrite: 'all' } }],
});

describe('authentication and roles', () => {
  it('every endpoint but the public ones answers 401 without a session', async () => {
    const anon = new ApiClient(rig.url, rig.ca);
    for (const op of operations) {
      if (PUBLIC.has(`${op.method} ${op.path}`)) continue;
      const r = await anon.request(op.method, op.path, op.method === 'GET' || op.method === 'DELETE' ? undefined : {});
      expect(r.status, `${op.method} ${op.path}`).toBe(401);
      expect(r.body.error.code).toBe('unauthenticated');
    }
    expect((await anon.get('/api/openapi.json')).status).toBe(200);
  });

  it('every path routed is in the OpenAPI description and answers (not the catch-all 404)', async () => {
    const admin = await signedIn(rig, 'admin');
    for (const op of operations.filter((o) => o.method === 'GET')) {
      const r = await admin.get(op.path);
      expect(r.body?.error?.message ?? '', op.path).not.toMatch(/no such API endpoint/);
    }
  });

  it('a viewer reads but changes nothing', async () => {
    const editor = await signedIn(rig, 'editor');
    expect((await editor.post('/api/users', userBody('viewer-target'))).status).toBe(201);
    const viewer = await signedIn(rig, 'viewer');
    const configBefore = readFileSync(join(rig.dir, 'radiusd.yaml'), 'utf8');
    const usersBefore = (await viewer.get('/api/users')).body;
    expect(usersBefore.users.map((u: { name: string }) => u.name)).toContain('viewer-target');
    for (const op of mutating) {
      const path = op.path.replace('someone', 'viewer-target');
      const r = await viewer.request(op.method, path, op.method === 'DELETE' ? undefined : { ...userBody('x'), address: '127.0.0.99', nas: '127.0.0.21', user: 'x', role: 'admin', password: 'long-enough-password' });
      expect(r.status, `${op.method} ${path}`).toBe(403);
    }
    expect((await viewer.get('/api/users')).body).toEqual(usersBefore);
    expect((await viewer.get('/api/users/viewer-target')).body.valid).toBe(true);
    expect(readFileSync(join(rig.dir, 'radiusd.yaml'), 'utf8')).toBe(configBefore);
    expect((await signedIn(rig, 'admin').then((a) => a.get('/api/admins'))).body.admins).toHaveLength(3);
  });

  it('an editor manages users but not admins', async () => {
    const editor = await signedIn(rig, 'editor');
    expect((await editor.get('/api/admins')).status).toBe(403);
    expect((await editor.post('/api/admins', { name: 'evil', role: 'admin', password: 'long-enough-password' })).status).toBe(403);
    expect((await editor.request('PATCH', '/api/admins/editor', { role: 'admin' })).status).toBe(403);
    expect((await editor.delete('/api/admins/admin')).status).toBe(403);
    expect((await editor.get('/api/audit')).status).toBe(403);
    const admin = await signedIn(rig, 'admin');
    const admins = (await admin.get('/api/admins')).body.admins;
    expect(admins.find((a: { name: string }) => a.name === 'editor').role).toBe('editor');
    expect(admins.map((a: { name: string }) => a.name)).not.toContain('evil');
  });

  it('an admin manages admins; a role change applies to live sessions', async () => {
    const admin = await signedIn(rig, 'admin');
    expect((await admin.post('/api/admins', { name: 'temp', role: 'editor', password: 'short' })).body.error.fields[0].field).toBe('password');
    expect((await admin.post('/api/admins', { name: 'temp', role: 'editor', password: 'temp-password-1' })).status).toBe(201);
    const temp = new ApiClient(rig.url, rig.ca);
    expect((await temp.login('temp', 'temp-password-1')).status).toBe(200);
    expect((await temp.post('/api/reload')).status).toBe(200);
    expect((await admin.request('PATCH', '/api/admins/temp', { role: 'viewer' })).status).toBe(200);
    expect((await temp.post('/api/reload')).status).toBe(403);
    expect((await admin.delete('/api/admins/temp')).status).toBe(200);
    expect((await temp.get('/api/session')).body).toEqual({ signed_in: false });
    expect((await temp.get('/api/users')).status).toBe(401);
    expect((await admin.delete('/api/admins/admin')).status).toBe(400); // not yourself
  });

  it('a change without the CSRF token (or with a wrong one, or not JSON) is refused and changes nothing', async () => {
    const editor = await signedIn(rig, 'editor');
    const noToken = await editor.post('/api/users', userBody('csrf-victim'), { 'x-csrf-token': '' });
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('csrf');
    expect((await editor.post('/api/users', userBody('csrf-victim'), { 'x-csrf-token': 'A'.repeat(43) })).status).toBe(403);
    expect((await editor.request('DELETE', '/api/users/viewer-target', undefined, { 'x-csrf-token': '' })).status).toBe(403);
    const form = await editor.post('/api/users', 'name=csrf-victim', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    const crossOrigin = await editor.post('/api/users', userBody('csrf-victim'), { origin: 'https://evil.example' });
    expect(crossOrigin.status).toBe(403);
    expect((await editor.get('/api/users/csrf-victim')).status).toBe(404);
    expect((await editor.get('/api/users/viewer-target')).status).toBe(200);
  });
});

describe('users', () => {
  it('add, edit, disable, enable, delete; every change audited with before and after, never a password', async () => {
    const editor = await signedIn(rig, 'editor');
    const created = await editor.post('/api/users', userBody('op1'));
    expect(created.status).toBe(201);
    expect(created.body.entries.map((e: { nas?: string }) => e.nas ?? 'any')).toEqual(['127.0.0.21', 'any']);
    expect(created.body.entries[1].lists).toEqual({ sread: 'all,', swrite: 'view,log,', gread: 'all,', gwrite: '3001,3002,' });
    expect(JSON.stringify(created.body)).not.toMatch(/[A-Za-z0-9+/]{40,}/); // no hash in the answer
    expect((await editor.post('/api/users', userBody('op1'))).status).toBe(409);

    const edited = await editor.put('/api/users/op1', { enabled: true, lists: { sread: 'view' }, overrides: [{ nas: '127.0.0.22', lists: { sread: 'all' } }] });
    expect(edited.status).toBe(200);
    expect(edited.body.entries.map((e: { nas?: string; lists: object }) => [e.nas ?? 'any', e.lists])).toEqual([
      ['127.0.0.22', { sread: 'all,' }], ['any', { sread: 'view,' }],
    ]);
    expect((await editor.post('/api/users/op1/disable')).body.valid).toBe(false);
    expect((await editor.post('/api/users/op1/enable')).body.valid).toBe(true);
    expect((await editor.delete('/api/users/op1')).status).toBe(200);
    expect((await editor.get('/api/users/op1')).status).toBe(404);

    const admin = await signedIn(rig, 'admin');
    const audit = (await admin.get('/api/audit?limit=1000')).body.records.filter((r: { target: string }) => r.target === 'op1');
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['user_delete', 'user_enable', 'user_disable', 'user_update', 'user_create']);
    const update = audit.find((r: { action: string }) => r.action === 'user_update');
    expect(update.actor).toBe('editor');
    expect(update.before.entries[1].lists.swrite).toBe('view,log,');
    expect(update.after.entries[1].lists).toEqual({ sread: 'view,' });
    expect(audit[0].after).toBeNull();
    const file = readFileSync(join(rig.dir, 'admin-audit.log'), 'utf8');
    const lines = file.trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.target === 'op1');
    expect(lines.map((r) => r.action)).toEqual(['user_create', 'user_update', 'user_disable', 'user_enable', 'user_delete']);
    expect(file).not.toMatch(/SSHA2-512-Password"\s*:\s*"|guest|editor-pass/);
  });

  it('bad input gets the CLI\'s message next to the field, and nothing is half-saved', async () => {
    const editor = await signedIn(rig, 'editor');
    const db = join(mkdtempSync(join(tmpdir(), 'vr-cli-')), 'u.sqlite');
    const cli = (args: string[]) => spawnSync(process.execPath, [CLI, 'users', '--db', db, 'add', 'x', ...args], { encoding: 'utf8' }).stderr.split('\n')[0]!.replace(/^error: /, '').trim();
    try {
      const r = await editor.post('/api/users', {
        name: 'half', password: { kind: 'device', value: 'guest' },
        lists: { sread: 'all', swrite: 'bogus' },
        overrides: [{ nas: '127.0.0.21', lists: { gwrite: 'all,3001' } }, { nas: 'not-an-ip', lists: {} }],
      });
      expect(r.status).toBe(400);
      const fields = Object.fromEntries(r.body.error.fields.map((f: { field: string; message: string }) => [f.field, f.message]));
      expect(fields['lists.swrite']).toContain(cli(['--password', 'p', '--swrite', 'bogus']).replace(/^option '--swrite <list>' argument '[^']*' is invalid\. /, ''));
      expect(fields['lists.swrite']).toMatch(/^--swrite: unknown resource id "bogus"/);
      expect(fields['overrides.0.lists.gwrite']).toBe('--gwrite: all / none cannot be combined with other groups');
      expect(fields['overrides.1.nas']).toBe('--nas: "not-an-ip" is not an IPv4 or IPv6 address');
      expect(Object.keys(fields).sort()).toEqual(['lists.swrite', 'overrides.0.lists.gwrite', 'overrides.1.nas']);
      expect((await editor.get('/api/users/half')).status).toBe(404);

      const hex = await editor.post('/api/users', { name: 'half', password: { kind: 'sha1-hex', value: 'abc' } });
      expect(hex.body.error.fields).toEqual([{ field: 'password', message: cli(['--sha1-hex', 'abc']) }]);
      expect((await editor.post('/api/users', { name: 'DEFAULT', password: { kind: 'plain', value: 'x' } })).body.error.fields[0].field).toBe('name');
      expect((await editor.post('/api/users', { name: 'half', password: { kind: 'plain', value: 'x' }, lists: { rfu2: '' } })).body.error.fields)
        .toEqual([{ field: 'lists.rfu2', message: '--rfu2: empty value (an empty attribute is never stored; use --unset rfu2)' }]);

      expect((await editor.post('/api/users', userBody('keep'))).status).toBe(201);
      const before = (await editor.get('/api/users/keep')).body;
      const bad = await editor.put('/api/users/keep', { lists: { sread: 'all' }, overrides: [{ nas: '127.0.0.21', lists: { gread: '0' } }] });
      expect(bad.status).toBe(400);
      expect((await editor.get('/api/users/keep')).body).toEqual(before);
    } finally {
      rmSync(join(db, '..'), { recursive: true, force: true });
    }
  });

  it('the next request after a change sees it (the server reads the same store)', async () => {
    const editor = await signedIn(rig, 'editor');
    await editor.post('/api/users', userBody('live'));
    const send = async (nas: string) => runTest('live', sha1('guest'), {
      server: `127.0.0.1:${rig.auth}`, secret: 'testing123', nasIp: nas, timeout: '2', retries: '2', bindAddress: '127.0.0.1',
    }, () => undefined);
    expect((await send('127.0.0.21')).lines).toContain('\tSWrite = "all,"');
    expect((await send('127.0.0.99')).lines).toContain('\tSWrite = "view,log,"');
    await editor.put('/api/users/live', { lists: { swrite: 'system' }, overrides: [] });
    const after = await send('127.0.0.21');
    expect(after.lines).toContain('\tSWrite = "system,"');
    await editor.post('/api/users/live/disable');
    expect((await send('127.0.0.21')).code).toBe(3);
  });

  it('lists 100,000 users by pages and search', async () => {
    const { bulkInsertUsers } = await import('../../src/store/sqlite/bulk.js');
    bulkInsertUsers(join(rig.dir, 'users.sqlite'), { count: 100_000, prefix: 'bulk' });
    const viewer = await signedIn(rig, 'viewer');
    const all = (await viewer.get('/api/users?limit=50')).body;
    expect(all.total).toBeGreaterThanOrEqual(100_000);
    const last = (await viewer.get(`/api/users?offset=${all.total - 10}&limit=50`)).body;
    expect(last.users).toHaveLength(10);
    const found = (await viewer.get('/api/users?search=bulk009999')).body;
    expect(found.total).toBe(10);
    expect(found.users.map((u: { name: string }) => u.name)).toEqual(Array.from({ length: 10 }, (_, i) => `bulk009999${i}`));
    expect((await viewer.get('/api/users?search=%25')).body.total).toBe(0); // LIKE wildcards are literal
    expect((await viewer.get('/api/users?limit=100000')).status).toBe(400);
  }, 180_000); // inserting 100,000 users takes ~15 s on an idle 2-core machine, several times that under load
});

describe('devices, rights, test login, activity', () => {
  it('adds a client with a generated secret shown once; the server answers it right away', async () => {
    const editor = await signedIn(rig, 'editor');
    const r = await editor.post('/api/clients', { name: 'new-dev', address: '127.0.0.30', require_message_authenticator: 'yes' });
    expect(r.status).toBe(201);
    expect(r.body.secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const list = await editor.get('/api/clients');
    expect(list.text).not.toContain(r.body.secret);
    expect(list.body.clients.find((c: { name: string }) => c.name === 'new-dev')).toMatchObject({ address: '127.0.0.30/32', require_message_authenticator: 'yes' });
    expect(readFileSync(join(rig.dir, 'radiusd.yaml'), 'utf8')).toMatch(/^# test config/); // comments kept
    const reply = await runTest('username01', 'guest', {
      server: `127.0.0.1:${rig.auth}`, secret: r.body.secret, nasIp: '127.0.0.30', timeout: '2', retries: '2', bindAddress: '127.0.0.30',
    }, () => undefined);
    expect(reply.code).toBeDefined();
    expect((await editor.post('/api/clients', { name: 'new-dev', address: '127.0.0.31' })).body.error.fields[0].field).toBe('name');
    expect((await editor.post('/api/clients', { name: 'other', address: '127.0.0.30' })).body.error.fields[0].message).toMatch(/already client new-dev/);
    expect((await editor.post('/api/clients', { name: 'other', address: '300.1.2.3' })).body.error.fields[0].field).toBe('address');
    const seen = (await editor.get('/api/clients')).body.clients.find((c: { name: string }) => c.name === 'new-dev');
    expect(seen.requests).toBe(1);
    expect(seen.last_seen).not.toBeNull();
  });

  it('effective rights per device and a test login through the server', async () => {
    const editor = await signedIn(rig, 'editor');
    await editor.post('/api/users', userBody('rights'));
    const rights = (await editor.get('/api/users/rights/rights')).body.devices;
    const by = Object.fromEntries(rights.map((d: { nas: string; lists: object }) => [d.nas, d.lists]));
    expect(by['127.0.0.21']).toEqual({ sread: 'all,', swrite: 'all,', gread: 'all,', gwrite: 'all,' });
    expect(by['127.0.0.22']).toEqual({ sread: 'all,', swrite: 'view,log,', gread: 'all,', gwrite: '3001,3002,' });
    expect(by['0.0.0.0']).toEqual(by['127.0.0.22']);
    const t = await editor.post('/api/test-login', { user: 'rights', password: 'guest', nas: '127.0.0.22' });
    expect(t.body.code).toBe('Access-Accept');
    expect(t.body.lines).toContain('\tGWrite = "3001,3002,"');
    expect(t.body.client).toBe('dev-b');
    const wrong = await editor.post('/api/test-login', { user: 'rights', password: 'nope', nas: '192.168.1.88' });
    expect(wrong.body.code).toBe('Access-Reject');
    expect(wrong.body.client).toBe('lab');
    const fails = (await editor.get('/api/activity/failures?user=rights')).body.records;
    expect(fails[0]).toMatchObject({ user: 'rights', reason: 'wrong_password', nas_ip: '192.168.1.88' });
    expect((await editor.get('/api/activity/failures?user=rights&reason=no_matching_entry')).body.records).toEqual([]);
    const counters = (await editor.get('/api/activity/counters')).body;
    expect(counters.rejects).toBeGreaterThanOrEqual(1);
    expect(counters.accepts).toBeGreaterThanOrEqual(1);
  });

  it('reload status shows the last error with file:line, and the old config keeps serving', async () => {
    const editor = await signedIn(rig, 'editor');
    const file = join(rig.dir, 'authorize');
    const good = readFileSync(file, 'utf8');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${good}\nbroken Cleartext-Password := "x"\n\tRFU2 = ""\n`);
    try {
      const r = (await editor.post('/api/reload')).body;
      expect(r.ok).toBe(false);
      const status = (await editor.get('/api/status')).body.reload;
      expect(status.lastOk).toBe(false);
      expect(status.lastErrors.join('\n')).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: `));
    } finally {
      writeFileSync(file, good);
    }
    expect((await editor.post('/api/reload')).body.ok).toBe(true);
    expect((await editor.get('/api/status')).body.reload).toMatchObject({ lastOk: true, lastErrors: [] });
  });

  it('authorize-file users are shown read-only with the import command', async () => {
    const viewer = await signedIn(rig, 'viewer');
    const f = (await viewer.get('/api/files?search=username01')).body;
    expect(f.entries[0].name).toBe('username01');
    expect(f.entries[0].check.join(' ')).toContain('<hidden>');
    expect(JSON.stringify(f)).not.toContain('35675e68f4b5af7b995d9205ad0fc43842f16450');
    expect(f.import_command[0]).toMatch(/^vutlan-radius users --db .*users\.sqlite import .*authorize$/);
  });
});

function sha1(s: string): string {
  return createHash('sha1').update(s).digest('hex');
}
