import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeLogInstallSql } from '../../src/store/pgsql/change-log.js';
import { postgresTestsEnabled, startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { httpGet } from '../server/http-get.js';
import { A, UdpClient, buildRequest, parseReply, vutlan } from '../server/raw-radius.js';

/**
 * The PostgreSQL user source end to end: our server started on a config with `users.sql`,
 * answering Access-Requests from FreeRADIUS's tables; rows changed with psql (another tool)
 * answered within a second without reload; the database stopped and started under it.
 */

const enabled = postgresTestsEnabled('the PostgreSQL user source tests');
const SECRET = 'testing123';

interface Logged { level: number; msg: string }

async function ask(client: UdpClient, port: number, user: string, password: string): Promise<{ code: number; vutlan: Record<string, string>; replyMessage?: string }> {
  const req = buildRequest({ secret: SECRET, attrs: [A.userName(user), A.nasIp('127.0.0.1')], password, ma: true });
  client.send(req.buf, port);
  const raw = await client.next(5000);
  if (!raw) throw new Error(`no reply for ${user}`);
  const r = parseReply(raw, req.authenticator, SECRET);
  expect(r.responseAuthenticatorOk).toBe(true);
  const rm = r.attrs.find(([t]) => t === 18);
  return { code: r.code, vutlan: vutlan(r), ...(rm ? { replyMessage: rm[1].toString() } : {}) };
}

/** Polls `f` until it returns true or `ms` passed; returns the milliseconds it took (-1: never). */
async function within(ms: number, f: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await f()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 20));
  }
  return -1;
}

describe.skipIf(!enabled)('PostgreSQL user source (users.sql)', () => {
  let pgc: PostgresCluster;
  let dir: string;
  let server: RunningServer;
  let client: UdpClient;
  let port: number;
  const logs: Logged[] = [];

  function writeConfig(name: string, sql: string): string {
    const file = join(dir, name);
    writeFileSync(file, `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
clients:
  - { name: lab, address: 127.0.0.0/8, secret: ${SECRET} }
users:
  sql:
${sql}
log: { level: info, auth_fail: ./auth-fail.log }
security: { reject_delay: 0 }
metrics: { listen: "127.0.0.1:0" }
workers: 1
`);
    return file;
  }

  beforeAll(async () => {
    pgc = await startPostgres();
    pgc.psql(`
INSERT INTO radcheck (username, attribute, op, value) VALUES
  ('alice', 'Cleartext-Password', ':=', 'alicepw'),
  ('bob', 'Cleartext-Password', ':=', 'bobpw'),
  ('broken', 'Cleartext-Password', ':=', 'brokenpw'),
  ('empty', 'Cleartext-Password', ':=', 'emptypw');
INSERT INTO radreply (username, attribute, op, value) VALUES
  ('alice', 'SRead', '=', 'all,'), ('alice', 'SWrite', '=', 'users,'),
  ('broken', 'Vutlan-Typo-Attr', '=', 'x'),
  ('empty', 'RFU2', '=', '');
INSERT INTO radusergroup (username, groupname, priority) VALUES ('bob', 'viewers', 1);
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('viewers', 'SRead', '=', 'view,'), ('viewers', 'GRead', '=', 'all');
`);
    dir = mkdtempSync(join(tmpdir(), 'vr-sql-'));
    const logger = pino({ level: 'info' }, { write: (line: string) => { const o = JSON.parse(line) as Logged; logs.push(o); } });
    const config = writeConfig('radiusd.yaml', `    url: ${JSON.stringify(pgc.url)}\n    install_triggers: true\n    poll_interval: 0.1\n    max_stale: 4\n    timeout: 1\n`);
    server = await startServer(config, { logger, watch: false });
    port = server.addresses()[0]!.port;
    client = await UdpClient.open();
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await server?.close();
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('answers from radcheck / radreply / groups like rlm_sql', async () => {
    expect(await ask(client, port, 'alice', 'alicepw')).toEqual({ code: 2, vutlan: { SRead: 'all,', SWrite: 'users,' } });
    expect((await ask(client, port, 'alice', 'wrong')).code).toBe(3);
    // bob has no radreply: his group's reply
    expect(await ask(client, port, 'bob', 'bobpw')).toEqual({ code: 2, vutlan: { SRead: 'view,', GRead: 'all' } });
    expect((await ask(client, port, 'nobody', 'x')).code).toBe(3);
  });

  it('rejects only the users whose rows do not parse, naming table and row id in the log', async () => {
    expect((await ask(client, port, 'broken', 'brokenpw')).code).toBe(3);
    expect((await ask(client, port, 'empty', 'emptypw')).code).toBe(3);
    expect((await ask(client, port, 'alice', 'alicepw')).code).toBe(2);
    const msgs = logs.map((l) => l.msg).join('\n');
    expect(msgs).toMatch(/radreply row id 3 \(broken\): .*Vutlan-Typo-Attr/);
    expect(msgs).toMatch(/radreply row id 4 \(empty\): empty value for vendor attribute RFU2/);
    const audit = () => readFileSync(join(dir, 'auth-fail.log'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, string>);
    expect(await within(3000, async () => audit().some((a) => a.user === 'broken'))).toBeGreaterThanOrEqual(0);
    expect(audit().find((a) => a.user === 'broken')).toMatchObject({ reason: 'store_error', action: 'reject' });
  });

  it('answers a change committed with psql within 1 s, without reload', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const pw = `carol-${i}`;
      pgc.psql(`DELETE FROM radcheck WHERE username = 'carol'; INSERT INTO radcheck (username, attribute, op, value) VALUES ('carol', 'Cleartext-Password', ':=', '${pw}')`);
      times.push(await within(3000, async () => (await ask(client, port, 'carol', pw)).code === 2));
    }
    for (const t of times) expect(t).toBeGreaterThanOrEqual(0);
    expect(Math.max(...times)).toBeLessThan(1000);
    pgc.psql("UPDATE radreply SET value = 'logs,' WHERE username = 'alice' AND attribute = 'SRead'");
    expect(await within(1000, async () => (await ask(client, port, 'alice', 'alicepw')).vutlan.SRead === 'logs,')).toBeGreaterThanOrEqual(0);
    pgc.psql("TRUNCATE radusergroup");
    expect(await within(1000, async () => (await ask(client, port, 'bob', 'bobpw')).vutlan.GRead === undefined)).toBeGreaterThanOrEqual(0);
  });

  it('database down: answers from cache up to max_stale, then refuses; back: reconnects and catches up', async () => {
    const health = async () => JSON.parse((await httpGet(`${server.metricsUrl()!}/healthz`)).body) as { status: string; components?: { sql?: { status: string } } };
    expect((await health()).status).toBe('ok');
    pgc.stop('immediate');
    try {
    // cached answers meanwhile
    expect(await within(3000, async () => (await health()).components?.sql?.status === 'unreachable')).toBeGreaterThanOrEqual(0);
    expect((await ask(client, port, 'alice', 'alicepw')).code).toBe(2);
    const metrics = (await httpGet(`${server.metricsUrl()!}/metrics`)).body;
    expect(metrics).toMatch(/^radius_sql_up 0$/m);
    // past max_stale (4 s): refused, /healthz 503
    expect(await within(8000, async () => (await ask(client, port, 'alice', 'alicepw')).code === 3)).toBeGreaterThanOrEqual(0);
    const h = await httpGet(`${server.metricsUrl()!}/healthz`);
    expect(h.status).toBe(503);
    expect(logs.map((l) => l.msg).join('\n')).toMatch(/PostgreSQL unreachable/);
    } finally {
      pgc.start();
    }
    // a change made while we were away is seen once we are back
    pgc.psql("UPDATE radcheck SET value = 'alice2' WHERE username = 'alice'");
    expect(await within(10_000, async () => (await ask(client, port, 'alice', 'alice2')).code === 2)).toBeGreaterThanOrEqual(0);
    expect((await health()).status).toBe('ok');
    expect(logs.map((l) => l.msg).join('\n')).toMatch(/PostgreSQL reachable again/);
  }, 60_000);

  it('without the change log: fingerprint polling also picks up a commit within 1 s', async () => {
    const cfg = writeConfig('fingerprint.yaml', `    url: ${JSON.stringify(pgc.url)}\n    changes: fingerprint\n    poll_interval: 0.1\n`);
    const s2 = await startServer(cfg, { logger: pino({ level: 'silent' }), watch: false });
    try {
      const p2 = s2.addresses()[0]!.port;
      pgc.psql("INSERT INTO radcheck (username, attribute, op, value) VALUES ('dave', 'Cleartext-Password', ':=', 'davepw')");
      expect(await within(1000, async () => (await ask(client, p2, 'dave', 'davepw')).code === 2)).toBeGreaterThanOrEqual(0);
    } finally {
      await s2.close();
    }
  });

  it('wrong credentials or URL: a clear error at start and in check', async () => {
    const bad = writeConfig('bad.yaml', `    url: ${JSON.stringify(pgc.url.replace(':radpass@', ':nope@'))}\n`);
    await expect(startServer(bad, { logger: pino({ level: 'silent' }), watch: false })).rejects.toThrow(/password authentication failed for user "radius"/);
    const r = spawnSync(process.execPath, ['dist/cli/vutlan-radius.js', 'check', '-c', bad], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot use PostgreSQL at postgresql:\/\/radius:\*\*\*@127\.0\.0\.1:\d+\/radius: password authentication failed/);
    expect(r.stderr).not.toContain('nope');
    const badUrl = writeConfig('badurl.yaml', '    url: "mysql://x@y/z"\n');
    const r2 = spawnSync(process.execPath, ['dist/cli/vutlan-radius.js', 'check', '-c', badUrl], { encoding: 'utf8' });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/badurl\.yaml:\d+: users\.sql\.url: the scheme must be postgresql:\/\//);
    const good = writeConfig('good.yaml', `    url: ${JSON.stringify(pgc.url)}\n`);
    const r3 = spawnSync(process.execPath, ['dist/cli/vutlan-radius.js', 'check', '-c', good], { encoding: 'utf8' });
    expect(r3.stderr).not.toMatch(/error|cannot/i);
    expect(r3.stdout).toMatch(/^OK: .*sql:postgresql:\/\/radius:\*\*\*@.* \(\d+ users, 2 with unparsable rows\)/);
    expect(r3.status).toBe(0);
  });

  it('the change-log SQL installs idempotently', () => {
    pgc.psql(changeLogInstallSql());
    expect(pgc.psql("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'vutlan_radius_changes_%'").trim()).toBe('24');
  });
});
