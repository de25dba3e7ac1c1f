import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RADIUS_PASSWORD, postgresTestsEnabled, startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';

/** The private PostgreSQL cluster every PostgreSQL test builds on. */
const enabled = postgresTestsEnabled('the PostgreSQL cluster harness test');

describe.skipIf(!enabled)('private PostgreSQL cluster', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => { cluster = await startPostgres(); }, 120_000);
  afterAll(() => cluster?.destroy());

  it('holds FreeRADIUS\'s tables, owned by the radius role', () => {
    const tables = cluster.psql("SELECT tablename || ':' || tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").trim().split('\n');
    expect(tables).toEqual(['nas:radius', 'nasreload:radius', 'radacct:radius', 'radcheck:radius', 'radgroupcheck:radius',
      'radgroupreply:radius', 'radpostauth:radius', 'radreply:radius', 'radusergroup:radius']);
  });

  it('accepts the radius role over TCP with its password and refuses a wrong one', async () => {
    const ok = new pg.Client({ connectionString: cluster.url });
    await ok.connect();
    await ok.query("INSERT INTO radcheck (username, attribute, op, value) VALUES ('alice', 'Cleartext-Password', ':=', 'x')");
    expect((await ok.query('SELECT count(*)::int AS n FROM radcheck')).rows[0].n).toBe(1);
    await ok.end();
    const bad = new pg.Client({ connectionString: cluster.url.replace(`:${RADIUS_PASSWORD}@`, ':wrong@') });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('stops and starts again on the same port with its data', () => {
    cluster.stop();
    expect(cluster.running).toBe(false);
    cluster.start();
    expect(cluster.psql("SELECT value FROM radcheck WHERE username = 'alice'").trim()).toBe('x');
  });
});
