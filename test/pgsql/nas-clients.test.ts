import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { type PgServer, startPgServer } from './pg-server.js';
import { A, type UdpClient, buildRequest, parseReply } from '../support/raw-radius.js';
import { eventually } from '../support/eventually.js';

/** RADIUS clients from the nas table (users.sql.read_clients): added, changed and refined by SQL, no reload. */
const enabled = postgresTestsEnabled('the nas-table clients test');

describe.skipIf(!enabled)('clients from the nas table', () => {
  let pgc: PostgresCluster;
  let port: number;
  let client: UdpClient;

  const ask = async (secret: string, ma: boolean): Promise<number | undefined> => {
    const req = buildRequest({ secret, attrs: [A.userName('alice'), A.nasIp('127.0.0.1')], password: 'alicepw', ma });
    client.send(req.buf, port);
    const raw = await client.next(700);
    if (!raw) return undefined;
    expect(parseReply(raw, req.authenticator, secret).responseAuthenticatorOk).toBe(true);
    return raw[0];
  };
  const within = (ms: number, f: () => Promise<boolean>): Promise<boolean> => eventually(f, ms, 0);

  let rig: PgServer | undefined;
  beforeAll(async () => {
    // no clients in the file at all: every NAS comes from the database
    rig = await startPgServer({
      seedSql: "INSERT INTO radcheck (username, attribute, op, value) VALUES ('alice', 'Cleartext-Password', ':=', 'alicepw')",
      config: (c) => `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
users:
  sql: { url: ${JSON.stringify(c.url)}, read_clients: true, install_triggers: true, poll_interval: 0.1 }
log: { level: warn }
security: { reject_delay: 0 }
workers: 1
`,
    });
    ({ pgc, port, client } = rig);
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('an unknown NAS is dropped; a nas row inserted with psql is answered within a second', async () => {
    expect(await ask('nas-secret-0001', true)).toBeUndefined();
    pgc.psql("INSERT INTO nas (nasname, shortname, secret) VALUES ('127.0.0.0/8', 'lab', 'nas-secret-0001')");
    expect(await within(1500, async () => (await ask('nas-secret-0001', true)) === 2)).toBe(true);
  });

  it('a changed secret and a require_ma column (FreeRADIUS v4 schema) take effect without reload', async () => {
    pgc.psql("UPDATE nas SET secret = 'nas-secret-0002' WHERE shortname = 'lab'");
    expect(await within(1500, async () => (await ask('nas-secret-0002', true)) === 2)).toBe(true);
    expect(await ask('nas-secret-0001', true)).toBeUndefined();
    expect(await ask('nas-secret-0002', false)).toBe(2);
    pgc.psql("ALTER TABLE nas ADD COLUMN require_ma text NOT NULL DEFAULT 'auto'; UPDATE nas SET require_ma = 'yes'");
    expect(await within(1500, async () => (await ask('nas-secret-0002', false)) === undefined)).toBe(true);
    expect(await ask('nas-secret-0002', true)).toBe(2);
  });
});
