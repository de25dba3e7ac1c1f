import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RADIUS_PASSWORD, postgresTestsEnabled, startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { repoRoot } from '../server/test-server.js';
import { addAccounts, ApiClient, PASSWORDS } from './admin-rig.js';

/**
 * With the PostgreSQL store (users.sql, FreeRADIUS's rlm_sql tables): effective rights include
 * what radcheck / radreply / radgroup* give each NAS, by the same module the request path runs;
 * users are added, edited, disabled and deleted in those tables through the REST API, with the
 * rows the `users` CLI writes, audited as with the SQLite store.
 */
const enabled = postgresTestsEnabled('the admin PostgreSQL tests');

describe.skipIf(!enabled)('admin with users.sql', () => {
  let pgc: PostgresCluster;
  let dir: string;
  let server: RunningServer;
  let api: ApiClient;

  beforeAll(async () => {
    pgc = await startPostgres();
    pgc.psql(`
INSERT INTO radcheck (username, attribute, op, value) VALUES ('pguser', 'Cleartext-Password', ':=', 'pgpass');
INSERT INTO radreply (username, attribute, op, value) VALUES ('pguser', 'SRead', '=', 'view,');
INSERT INTO radusergroup (username, groupname, priority) VALUES ('pguser', 'nas21', 1);
INSERT INTO radgroupcheck (groupname, attribute, op, value) VALUES ('nas21', 'NAS-IP-Address', '==', '127.0.0.21');
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('nas21', 'SWrite', '=', 'all,');
`);
    dir = mkdtempSync(join(tmpdir(), 'vr-admin-pg-'));
    copyFileSync(join(repoRoot, 'config/authorize'), join(dir, 'authorize'));
    writeFileSync(join(dir, 'radiusd.yaml'), `listen: [{ type: auth, address: 127.0.0.1, port: 0 }]
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
clients:
  - { name: lab, address: 127.0.0.0/8, secret: testing123 }
  - { name: dev-a, address: 127.0.0.21, secret: secret-a-0123456 }
users:
  files: [ ./authorize ]
  sql: { url: ${JSON.stringify(pgc.url)} }
log: { level: warn }
security: { reject_delay: 0 }
workers: 1
admin: { listen: 127.0.0.1:0 }
`);
    await addAccounts(join(dir, 'admin.sqlite'));
    server = await startServer(join(dir, 'radiusd.yaml'), { logger: pino({ level: 'silent' }), watch: false });
    api = new ApiClient(server.adminUrl()!, readFileSync(join(dir, 'admin-cert.pem'), 'utf8'));
    expect((await api.login('editor', PASSWORDS.editor)).status).toBe(200);
  }, 120_000);

  const rows = (sql: string): string[] => pgc.psql(sql).trim().split('\n').filter(Boolean);
  /** Polls `f` for up to 3 s (the server picks SQL changes up by polling). */
  const eventually = async (f: () => Promise<boolean>): Promise<boolean> => {
    for (const start = Date.now(); Date.now() - start < 3000;) {
      if (await f()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  };

  afterAll(async () => {
    await server?.close();
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('effective rights come from the SQL tables, per NAS, as the server answers them', async () => {
    const rows = (await api.get('/api/users/pguser/rights')).body.devices;
    const by = Object.fromEntries(rows.map((d: { nas: string; lists: object; entries: string[] }) => [d.nas, d]));
    expect(by['127.0.0.21'].lists).toEqual({ sread: 'view,', swrite: 'all,' });
    expect(by['0.0.0.0'].lists).toEqual({ sread: 'view,' });
    expect(by['127.0.0.21'].entries.join(' ')).toMatch(/sql/);
    const t = await api.post('/api/test-login', { user: 'pguser', password: 'pgpass', device: false, nas: '127.0.0.21' });
    expect(t.body.code).toBe('Access-Accept');
    expect(t.body.lines).toContain('\tSWrite = "all,"');
  });

  it('adds, edits, disables and deletes users in the SQL tables through the REST API, audited as for SQLite', async () => {
    const created = await api.post('/api/users', {
      name: 'web1', password: { kind: 'device', value: 'guest' },
      lists: { sread: 'all', swrite: 'view,log', gread: 'all' },
      overrides: [{ nas: '127.0.0.21', lists: { sread: 'all', swrite: 'all', gread: 'all' } }],
    });
    expect(created.status).toBe(201);
    expect(created.body.entries.map((e: { nas?: string }) => e.nas ?? 'any')).toEqual(['127.0.0.21', 'any']);
    expect((await api.post('/api/users', { name: 'web1', password: { kind: 'device', value: 'x' }, lists: {}, overrides: [] })).status).toBe(409);
    // the CLI's layout: the password once in radcheck, one own group per entry
    expect(rows("SELECT attribute, op FROM radcheck WHERE username = 'web1' ORDER BY id")).toEqual(['SSHA2-512-Password|:=']);
    expect(rows("SELECT groupname, priority FROM radusergroup WHERE username = 'web1' ORDER BY priority"))
      .toEqual(['vutlan-radius:web1:1|1', 'vutlan-radius:web1:2|2']);
    expect(rows("SELECT attribute, op, value FROM radgroupreply WHERE groupname = 'vutlan-radius:web1:1' ORDER BY id"))
      .toEqual(['SRead|=|all,', 'SWrite|=|all,', 'GRead|=|all,']);
    expect((await api.get('/api/users?search=web')).body.users).toEqual([{ name: 'web1', enabled: true, nas: ['127.0.0.21'], password: 'SSHA2-512-Password' }]);
    const login = async (nas: string) => (await api.post('/api/test-login', { user: 'web1', password: 'guest', device: true, nas })).body;
    expect(await eventually(async () => (await login('127.0.0.21')).code === 'Access-Accept')).toBe(true);
    expect((await login('127.0.0.21')).lines).toContain('\tSWrite = "all,"');
    expect((await login('10.0.0.9')).lines).toContain('\tSWrite = "view,log,"');

    const edited = await api.put('/api/users/web1', { enabled: true, lists: { sread: 'view' }, overrides: [] });
    expect(edited.status).toBe(200);
    expect(edited.body.entries.map((e: { nas?: string; lists: object }) => [e.nas ?? 'any', e.lists])).toEqual([['any', { sread: 'view,' }]]);
    // back to one entry: radcheck + radreply, no groups left behind
    expect(rows("SELECT attribute, op, value FROM radreply WHERE username = 'web1' ORDER BY id")).toEqual(['SRead|=|view,']);
    expect(rows("SELECT count(*) FROM radgroupreply WHERE groupname LIKE 'vutlan-radius:web1:%'")).toEqual(['0']);

    expect((await api.post('/api/users/web1/disable')).body.valid).toBe(false);
    expect(rows("SELECT attribute, op, value FROM radcheck WHERE username = 'web1' AND attribute = 'Auth-Type'")).toEqual(['Auth-Type|:=|Reject']);
    expect(await eventually(async () => (await login('10.0.0.9')).code === 'Access-Reject')).toBe(true);
    expect((await api.post('/api/users/web1/enable')).body.valid).toBe(true);
    expect(await eventually(async () => (await login('10.0.0.9')).code === 'Access-Accept')).toBe(true);

    // a user in a shared group (daloRADIUS's): edited, the membership and the group stay
    const pg = await api.put('/api/users/pguser', { enabled: true, lists: { sread: 'all' }, overrides: [] });
    expect(pg.status).toBe(200);
    expect(pg.body.entries.map((e: { group?: string }) => e.group ?? 'own')).toEqual(['own', 'nas21']);
    expect(rows("SELECT groupname FROM radusergroup WHERE username = 'pguser'")).toEqual(['nas21']);
    expect(rows("SELECT attribute, value FROM radgroupreply WHERE groupname = 'nas21'")).toEqual(['SWrite|all,']);
    const nasOverride = await api.put('/api/users/pguser', { enabled: true, lists: {}, overrides: [{ nas: '127.0.0.22', lists: { sread: 'all' } }] });
    expect(nasOverride.status).toBe(400);
    expect(nasOverride.body.error.message).toMatch(/groups managed outside vutlan-radius/);

    expect((await api.delete('/api/users/web1')).status).toBe(200);
    expect((await api.get('/api/users/web1')).status).toBe(404);
    expect(rows("SELECT count(*) FROM radcheck WHERE username = 'web1'")).toEqual(['0']);

    const admin = new ApiClient(server.adminUrl()!, readFileSync(join(dir, 'admin-cert.pem'), 'utf8'));
    expect((await admin.login('admin', PASSWORDS.admin)).status).toBe(200);
    const audit = (await admin.get('/api/audit?limit=1000')).body.records
      .filter((r: { target: string; action: string }) => r.target === 'web1' && r.action.startsWith('user_'));
    expect(audit.map((r: { action: string }) => r.action)).toEqual(['user_delete', 'user_enable', 'user_disable', 'user_update', 'user_create']);
    expect(audit.find((r: { action: string }) => r.action === 'user_update').before.entries[1].lists.swrite).toBe('view,log,');
    expect(JSON.stringify(audit)).not.toMatch(/guest|[A-Za-z0-9+/]{40,}/);
  }, 60_000);

  it('the database down: a change is refused with 503 and nothing is written; back: the next change works', async () => {
    pgc.stop();
    try {
      const r = await api.post('/api/users', { name: 'late1', password: { kind: 'device', value: 'guest' }, lists: { sread: 'all' }, overrides: [] });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('store_unavailable');
      expect(r.body.error.message).toMatch(/PostgreSQL at postgresql:\/\/radius:\*\*\*@.*nothing was changed/);
      expect(JSON.stringify(r.body)).not.toContain(RADIUS_PASSWORD);
      expect((await api.get('/api/users')).status).toBe(503);
    } finally {
      pgc.start();
    }
    expect(rows("SELECT count(*) FROM radcheck WHERE username = 'late1'")).toEqual(['0']);
    const again = await api.post('/api/users', { name: 'late1', password: { kind: 'device', value: 'guest' }, lists: { sread: 'all' }, overrides: [] });
    expect(again.status).toBe(201);
    expect(rows("SELECT attribute FROM radcheck WHERE username = 'late1'")).toEqual(['SSHA2-512-Password']);
  }, 60_000);
});
