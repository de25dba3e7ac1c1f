import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled, startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { repoRoot } from '../server/test-server.js';
import { addAccounts, ApiClient, PASSWORDS } from './admin-rig.js';

/**
 * With the PostgreSQL store (users.sql, FreeRADIUS's rlm_sql tables): effective rights include
 * what radcheck / radreply / radgroup* give each NAS, by the same module the request path runs;
 * the Users page says the store is not edited here (and why) instead of failing.
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

  it('the Users page names the SQL store as not editable here instead of failing', async () => {
    const r = await api.get('/api/users');
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('store_read_only');
    expect(r.body.error.message).toMatch(/users\.sql.*radcheck/);
  });
});
