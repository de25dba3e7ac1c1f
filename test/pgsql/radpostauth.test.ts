import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { loadConfig } from '../../src/server/config.js';
import { ConfigError } from '../../src/server/config-error.js';
import type { RunningServer } from '../../src/server/server.js';
import { type PgServer, startPgServer } from './pg-server.js';
import { A, type UdpClient, buildRequest, parseReply } from '../support/raw-radius.js';
import { eventually } from '../support/eventually.js';

/**
 * sql_postauth: one radpostauth row per Access-Accept / Access-Reject, written off the request
 * path, never with the submitted password; a database outage delays rows but no login, and the
 * rows waiting are written when it is back.
 */

const pgOk = postgresTestsEnabled('the radpostauth tests');
const SECRET = 'testing123';
const GOOD = 'correct horse';
const WRONG = 'Tr0ub4dor&3';

/** True once `f` holds, false if it does not within `ms`. */
const within = (ms: number, f: () => boolean): Promise<boolean> => eventually(f, ms);

describe('sql_postauth configuration', () => {
  it('needs a url or users.sql to share, reported with file:line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-pa-cfg-'));
    try {
      writeFileSync(join(dir, 'authorize'), '');
      writeFileSync(join(dir, 'radiusd.yaml'), `clients:\n  - { name: lab, address: 127.0.0.1, secret: ${SECRET} }\nusers: { files: [ ./authorize ] }\nsql_postauth: {}\n`);
      let err: unknown;
      try {
        loadConfig(join(dir, 'radiusd.yaml'));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(String((err as Error).message)).toMatch(/radiusd\.yaml:4: sql_postauth: no url, and no users\.sql\.url to share; add sql_postauth\.url/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!pgOk)('post-auth rows into radpostauth (sql_postauth)', () => {
  let pgc: PostgresCluster;
  let server: RunningServer;
  let port: number;
  let client: UdpClient;

  let rig: PgServer | undefined;
  beforeAll(async () => {
    rig = await startPgServer({
      files: { authorize: `alice Cleartext-Password := "${GOOD}"\n\tClass := 0x73657373696f6e2d31\n` },
      config: (c) => `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
clients:
  - { name: lab, address: 127.0.0.0/8, secret: ${SECRET} }
users: { files: [ ./authorize ] }
sql_postauth:
  url: ${JSON.stringify(c.url)}
  timeout: 1
security: { reject_delay: 0 }
log: { level: warn }
workers: 1
`,
    });
    ({ pgc, server, port, client } = rig);
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
  });

  async function login(password: string, id?: number, authenticator?: Buffer): Promise<number | undefined> {
    const req = buildRequest({
      code: 1, secret: SECRET, password, attrs: [A.userName('alice'), [30, Buffer.from('vutlan-01')], [31, Buffer.from('10.0.0.7')]],
      ...(id !== undefined ? { id } : {}), ...(authenticator ? { authenticator } : {}),
    });
    client.send(req.buf, port);
    const raw = await client.next(5000);
    return raw ? parseReply(raw, req.authenticator, SECRET).code : undefined;
  }

  const count = () => Number(pgc.psql('SELECT count(*) FROM radpostauth').trim());

  it('writes one row per Accept and per Reject, with the stations and Class, and never the password', async () => {
    expect(await login(GOOD)).toBe(2);
    expect(await login(WRONG)).toBe(3);
    expect(await within(5000, () => count() === 2)).toBe(true);
    const rows = pgc.psql("SELECT username, pass IS NULL, reply, calledstationid, callingstationid, class, authdate > now() - interval '1 minute' FROM radpostauth ORDER BY id")
      .trim().split('\n');
    expect(rows).toEqual([
      'alice|t|Access-Accept|vutlan-01|10.0.0.7|0x73657373696f6e2d31|t',
      'alice|t|Access-Reject|vutlan-01|10.0.0.7||t',
    ]);
    const everything = pgc.psql('SELECT * FROM radpostauth');
    expect(everything).not.toContain(GOOD);
    expect(everything).not.toContain(WRONG);
  });

  it('a retransmission (same id and authenticator) adds no row', async () => {
    pgc.psql('DELETE FROM radpostauth');
    const authenticator = Buffer.alloc(16, 7);
    expect(await login(GOOD, 41, authenticator)).toBe(2);
    expect(await login(GOOD, 41, authenticator)).toBe(2);
    expect(await within(5000, () => count() === 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect(count()).toBe(1);
  });

  it('database down: logins are still answered, the outage shows, and the rows are written when it is back', async () => {
    pgc.psql('DELETE FROM radpostauth');
    pgc.stop('fast');
    try {
      for (let i = 0; i < 10; i++) expect(await login(i % 2 ? GOOD : WRONG)).toBe(i % 2 ? 2 : 3);
      expect(await within(10_000, () => server.problems().some((p) => /radpostauth: cannot write/.test(p)))).toBe(true);
      const problem = server.problems().find((p) => /radpostauth/.test(p))!;
      expect(problem).not.toContain('radpass');
      expect(problem).toMatch(/10 rows waiting/);
    } finally {
      pgc.start();
    }
    const back = await within(20_000, () => count() === 10);
    if (!back) console.log(JSON.stringify(server.problems()), pgc.psql('SELECT id, reply, authdate FROM radpostauth ORDER BY id'));
    expect(back).toBe(true);
    expect(await within(5000, () => !server.problems().some((p) => /radpostauth/.test(p)))).toBe(true);
    expect(pgc.psql("SELECT count(*) FROM radpostauth WHERE reply = 'Access-Accept'").trim()).toBe('5');
  }, 60_000);
});
