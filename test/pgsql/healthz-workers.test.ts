import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled, startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { startCliServe } from '../server/cli-serve.js';
import { httpGet } from '../server/http-get.js';
import { A, type RawAttr, UdpClient, buildRequest } from '../support/raw-radius.js';

/**
 * With `workers: 2` the primary serves /healthz, and each worker has its own PostgreSQL user
 * source and radacct sink: the primary must show their state (`components.sql`,
 * `components.radacct`) as a single process does: database down -> sql `unreachable` (degraded),
 * records spooled by any worker counted, past max_stale `refusing` (503); database back -> ok.
 */

const enabled = postgresTestsEnabled('the /healthz with workers test');
const SECRET = 'testing123';

interface Health {
  status: string;
  components?: {
    sql?: { status: string; age_s: number; workers_not_up?: number; error?: string };
    radacct?: { status: string; spool_records: number; workers_not_up?: number };
  };
}

const u32 = (t: number, n: number): RawAttr => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return [t, b]; };

async function eventually(ms: number, f: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return f();
}

describe.skipIf(!enabled)('/healthz with workers: 2 on PostgreSQL (users.sql + sql_accounting)', () => {
  let pgc: PostgresCluster;
  let dir: string;
  let child: ChildProcess | undefined;
  let metricsUrl = '';
  let acctPort = 0;
  let authPort = 0;

  const health = async (): Promise<{ code: number; body: Health }> => {
    const r = await httpGet(`${metricsUrl}/healthz`);
    return { code: r.status, body: JSON.parse(r.body) as Health };
  };

  beforeAll(async () => {
    pgc = await startPostgres();
    pgc.psql("INSERT INTO radcheck (username, attribute, op, value) VALUES ('alice', 'Cleartext-Password', ':=', 'alicepw');");
    dir = mkdtempSync(join(tmpdir(), 'vr-healthz-workers-'));
    const server = await startCliServe(dir, [
      'listen:',
      '  - { type: auth, address: 127.0.0.1, port: 0 }',
      '  - { type: acct, address: 127.0.0.1, port: 0 }',
      `clients: [{ name: lab, address: 127.0.0.0/8, secret: ${SECRET} }]`,
      `users: { sql: { url: ${JSON.stringify(pgc.url)}, poll_interval: 0.1, max_stale: 6, timeout: 1 } }`,
      'sql_accounting: { spool: ./spool, timeout: 1 }',
      'log: { level: info }',
      'security: { reject_delay: 0 }',
      'metrics: { listen: "127.0.0.1:0" }',
      'workers: 2',
    ], /"metrics":"http:\/\/127\.0\.0\.1:\d+"/, 60_000);
    child = server.child;
    const out = server.output();
    metricsUrl = /"metrics":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)![1]!;
    authPort = Number(/"auth 127\.0\.0\.1:(\d+)"/.exec(out)![1]);
    acctPort = Number(/"acct 127\.0\.0\.1:(\d+)"/.exec(out)![1]);
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => { const t = setTimeout(r, 10_000); child!.once('exit', () => { clearTimeout(t); r(undefined); }); });
    }
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the workers\' sql and radacct state: up, down (degraded, spooling), refusing (503), back to ok', async () => {
    const client = await UdpClient.open();
    try {
      expect(await eventually(10_000, async () => {
        const h = await health();
        return h.code === 200 && h.body.status === 'ok' && h.body.components?.sql?.status === 'up' && h.body.components?.radacct?.status === 'up';
      })).toBe(true);
      const login = buildRequest({ secret: SECRET, attrs: [A.userName('alice'), A.nasIp('127.0.0.1')], password: 'alicepw', ma: true });
      expect((await client.request(login.buf, authPort))?.[0]).toBe(2);

      pgc.stop('immediate');
      // every worker loses its connection: both say so, the server is degraded but answers from the cache
      expect(await eventually(10_000, async () => {
        const h = await health();
        return h.code === 200 && h.body.status === 'degraded' && h.body.components?.sql?.status === 'unreachable' && h.body.components.sql.workers_not_up === 2;
      })).toBe(true);
      expect((await health()).body.components?.sql?.error).toBeTruthy();
      // accounting records are spooled by whichever worker gets them; the primary counts them all
      const records = 12;
      for (let i = 0; i < records; i++) {
        const req = buildRequest({ secret: SECRET, code: 4, attrs: [A.acctStatusType(1), A.acctSessionId(`hz${i}`), A.userName('alice'), A.nasIp('10.1.2.3'), u32(55, 1_764_000_000 + i)] });
        expect(await client.request(req.buf, acctPort)).toBeDefined();
      }
      expect(await eventually(5000, async () => {
        const r = (await health()).body.components?.radacct;
        return r?.status === 'spooling' && r.spool_records === records;
      })).toBe(true);
      // past max_stale: requests are refused, /healthz says failing with 503
      expect(await eventually(15_000, async () => {
        const h = await health();
        return h.code === 503 && h.body.status === 'failing' && h.body.components?.sql?.status === 'refusing';
      })).toBe(true);
    } finally {
      if (!pgc.running) pgc.start();
      client.close();
    }
    expect(await eventually(20_000, async () => {
      const h = await health();
      return h.code === 200 && h.body.status === 'ok' && h.body.components?.sql?.status === 'up' &&
        h.body.components?.radacct?.status === 'up' && h.body.components.radacct.spool_records === 0;
    })).toBe(true);
    expect(pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid LIKE 'hz%'").trim()).toBe('12');
  }, 90_000);
});
