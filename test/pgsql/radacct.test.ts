import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../../src/bench/free-ports.js';
import { startFreeRadius, type RunningFreeRadius } from '../../src/bench/freeradius-runner.js';
import {
  FREERADIUS_PG_SCHEMA, RADIUS_PASSWORD, RADIUS_USER, postgresTestsEnabled, startPostgres, type PostgresCluster,
} from '../../src/bench/postgres-cluster.js';
import { type RunningServer, startServer } from '../../src/server/server.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';
import { RadacctSink } from '../../src/store/pgsql/radacct-sink.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { A, type RawAttr, UdpClient, buildRequest } from '../support/raw-radius.js';
import { eventually } from '../support/eventually.js';

/**
 * Accounting into radacct: the same Accounting-Requests sent to FreeRADIUS 3.2.1 (rlm_sql
 * postgresql, stock queries, into database radius_fr) and to our server (sql_accounting, into
 * database radius) must leave the same rows, column by column; retransmissions add nothing;
 * while PostgreSQL is down records are spooled, acknowledged and replayed in order.
 */

const pgOk = postgresTestsEnabled('the radacct tests');
const frOk = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');
const SECRET = 'testing123';

const u32 = (t: number, n: number): RawAttr => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return [t, b]; };
const str = (t: number, s: string): RawAttr => [t, Buffer.from(s)];
const ip = (t: number, a: string): RawAttr => [t, Buffer.from(a.split('.').map(Number))];

const T0 = 1_764_000_000;
const STATUS = { start: 1, stop: 2, interim: 3, on: 7, off: 8 };

function acct(status: number, session: string, extra: RawAttr[] = [], user = 'alice', nas = '10.1.2.3'): RawAttr[] {
  return [A.acctStatusType(status), A.acctSessionId(session), A.userName(user), A.nasIp(nas), ...extra];
}

/** The packets both servers get, in order. */
function scenario(): RawAttr[][] {
  return [
    acct(STATUS.start, 's1', [A.nasPort(7), u32(61, 15), u32(45, 1), u32(6, 2), u32(7, 1), ip(8, '192.0.2.10'), str(31, 'AB-42'), str(30, 'hub'), str(77, '100Mbps'), u32(55, T0)]),
    acct(STATUS.interim, 's1', [A.nasPort(7), u32(46, 60), u32(42, 1000), u32(52, 2), u32(43, 5000), u32(53, 1), ip(8, '192.0.2.10'), u32(55, T0 + 60)]),
    acct(STATUS.stop, 's1', [A.nasPort(7), u32(46, 120), u32(42, 2000), u32(52, 3), u32(43, 7000), u32(49, 1), u32(55, T0 + 120)]),
    // a Start seen again after the Stop (late duplicate with a new id): only the times change
    acct(STATUS.start, 's1', [A.nasPort(7), u32(55, T0 + 130)]),
    // interim without a start: inserted
    acct(STATUS.interim, 's2', [u32(46, 30), u32(42, 10), u32(55, T0 + 200)], "o'brien"),
    // stop without anything before: inserted with start = stop - session time
    acct(STATUS.stop, 's3', [u32(46, 50), u32(49, 4), u32(55, T0 + 300)], 'bob'),
    // session keyed on a server-issued Class
    acct(STATUS.start, 's4', [str(25, 'ai:0123456789abcdef0123456789abcdef'), u32(55, T0 + 400)], 'carol'),
    acct(STATUS.start, 's5', [u32(55, T0 + 450)], 'dave', '10.9.9.9'),
    // the NAS 10.1.2.3 reboots: its open sessions (s4) are closed
    acct(STATUS.on, '', [u32(55, T0 + 500)], ''),
  ];
}

const COLUMNS = `acctsessionid, acctuniqueid, username, realm, nasipaddress, nasportid, nasporttype, acctstarttime, acctupdatetime,
  acctstoptime, acctinterval, acctsessiontime, acctauthentic, connectinfo_start, connectinfo_stop, acctinputoctets, acctoutputoctets,
  calledstationid, callingstationid, acctterminatecause, servicetype, framedprotocol, framedipaddress, framedipv6address,
  framedipv6prefix, framedinterfaceid, delegatedipv6prefix, class`;

async function send(client: UdpClient, port: number, attrs: RawAttr[], id?: number): Promise<boolean> {
  const req = buildRequest({ code: 4, secret: SECRET, attrs, ...(id !== undefined ? { id } : {}) });
  client.send(req.buf, port);
  return (await client.next(5000)) !== undefined;
}

/** True once `f` holds, false if it does not within `ms`. */
const within = (ms: number, f: () => boolean): Promise<boolean> => eventually(f, ms);

describe.skipIf(!pgOk)('accounting into radacct (sql_accounting)', () => {
  let pgc: PostgresCluster;
  let dir: string;
  let server: RunningServer;
  let port: number;
  let fr: RunningFreeRadius | undefined;
  let frPort = 0;
  let ours: UdpClient;
  let theirs: UdpClient;

  beforeAll(async () => {
    pgc = await startPostgres();
    pgc.psql(`CREATE DATABASE radius_fr OWNER ${RADIUS_USER}`, 'postgres');
    pgc.psql(`SET ROLE ${RADIUS_USER};\n${readFileSync(FREERADIUS_PG_SCHEMA, 'utf8')}`, 'radius_fr');
    dir = mkdtempSync(join(tmpdir(), 'vr-acct-'));
    writeFileSync(join(dir, 'authorize'), '');
    writeFileSync(join(dir, 'radiusd.yaml'), `listen:
  - { type: acct, address: 127.0.0.1, port: 0 }
clients:
  - { name: lab, address: 127.0.0.0/8, secret: ${SECRET} }
users: { files: [ ./authorize ] }
sql_accounting:
  url: ${JSON.stringify(pgc.url)}
  spool: ./spool
  timeout: 1
log: { level: warn }
workers: 1
`);
    server = await startServer(join(dir, 'radiusd.yaml'), { logger: pino({ level: 'silent' }), watch: false });
    port = server.addresses()[0]!.port;
    ours = await UdpClient.open();
    theirs = await UdpClient.open();
    if (frOk) {
      frPort = await freeUdpPort();
      fr = await startFreeRadius({
        usersFile: join(dir, 'authorize'), secret: SECRET, dictionary: 'dictionaries/dictionary', acctPort: frPort,
        sql: { host: '127.0.0.1', port: pgc.port, user: RADIUS_USER, password: RADIUS_PASSWORD, database: 'radius_fr' },
      });
    }
  }, 120_000);

  afterAll(async () => {
    ours?.close();
    theirs?.close();
    await fr?.stop();
    await server?.close();
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const rows = (db = 'radius') => pgc.psql(`SELECT ${COLUMNS} FROM radacct ORDER BY acctuniqueid`, db).trim().split('\n').filter(Boolean);

  it.skipIf(!frOk)('writes the rows FreeRADIUS writes for the same packets, column by column', async () => {
    for (const attrs of scenario()) {
      const [a, b] = await Promise.all([send(ours, port, attrs), send(theirs, frPort, attrs)]);
      expect(a).toBe(true);
      expect(b).toBe(true);
    }
    const mine = rows();
    expect(mine.length).toBe(5);
    expect(mine).toEqual(rows('radius_fr'));
    // Gigawords: (3 << 32) + 2000 in, (0 << 32) + 7000 out after the stop (no gigawords in it)
    expect(pgc.psql("SELECT acctinputoctets, acctoutputoctets, acctterminatecause, acctstoptime IS NOT NULL FROM radacct WHERE acctsessionid = 's1'").trim())
      .toBe(`${3 * 2 ** 32 + 2000}|7000|User-Request|t`);
    // the user name is escaped as rlm_sql escapes it
    expect(pgc.psql("SELECT username FROM radacct WHERE acctsessionid = 's2'").trim()).toBe('o=27brien');
  });

  it('a retransmitted Accounting-Request is answered again and adds no row', async () => {
    pgc.psql('DELETE FROM radacct');
    const start = acct(STATUS.start, 'r1', [u32(55, T0 + 1000)]);
    const req = buildRequest({ code: 4, secret: SECRET, attrs: start, id: 77 });
    for (let i = 0; i < 3; i++) {
      ours.send(req.buf, port);
      expect(await ours.next(5000)).toBeDefined();
    }
    // the same record again with another identifier (a NAS that gave up and re-sent)
    expect(await send(ours, port, start, 78)).toBe(true);
    expect(pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid = 'r1'").trim()).toBe('1');
  });

  it('database down: records are spooled and acknowledged, then replayed in order: sent = acknowledged = rows', async () => {
    pgc.psql('DELETE FROM radacct');
    pgc.stop('immediate');
    let acked = 0;
    const sent = 40;
    try {
      for (let i = 0; i < sent / 2; i++) {
        if (await send(ours, port, acct(STATUS.start, `o${i}`, [u32(55, T0 + 2000 + i)]))) acked++;
        // the stop of the same session right after: replay must keep the order (row ends closed)
        if (await send(ours, port, acct(STATUS.stop, `o${i}`, [u32(46, 5), u32(49, 1), u32(55, T0 + 2005 + i)]))) acked++;
      }
      expect(acked).toBe(sent);
      const spools = readdirSync(join(dir, 'spool')).filter((f) => /^radacct-\d+\.spool$/.test(f));
      expect(spools.length).toBe(1);
      expect(readFileSync(join(dir, 'spool', spools[0]!), 'utf8').trim().split('\n').length).toBe(sent);
    } finally {
      pgc.start();
    }
    expect(await within(15_000, () => pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid LIKE 'o%'").trim() === String(sent / 2))).toBe(true);
    expect(pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid LIKE 'o%' AND acctstoptime IS NOT NULL AND acctsessiontime = 5").trim()).toBe(String(sent / 2));
    expect(await within(5000, () => readdirSync(join(dir, 'spool')).length === 0)).toBe(true);
    // and direct writes again
    expect(await send(ours, port, acct(STATUS.start, 'after', [u32(55, T0 + 3000)]))).toBe(true);
    expect(pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid = 'after'").trim()).toBe('1');
  }, 60_000);

  it('database down and the spool not writable: nothing is acknowledged', async () => {
    pgc.stop('immediate');
    const spoolDir = join(dir, 'spool');
    rmSync(spoolDir, { recursive: true, force: true });
    writeFileSync(spoolDir, 'not a directory');
    try {
      expect(await send(ours, port, acct(STATUS.start, 'lost', [u32(55, T0 + 4000)]))).toBe(false);
    } finally {
      rmSync(spoolDir, { force: true });
      pgc.start();
    }
    // the NAS retransmits: once the database is back the record is kept and acknowledged
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) ok = await send(ours, port, acct(STATUS.start, 'lost', [u32(55, T0 + 4000)]), 99);
    expect(ok).toBe(true);
    expect(await within(5000, () => pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid = 'lost'").trim() === '1')).toBe(true);
  }, 60_000);

  it('a spool left by a process that is gone (earlier run, dead worker) is adopted and replayed', async () => {
    const spoolDir = join(dir, 'orphans');
    mkdirSync(spoolDir, { recursive: true });
    const hex = (b: Buffer) => b.toString('hex');
    const u = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return hex(b); };
    const line = JSON.stringify({ t: Date.now(), src: '127.0.0.1', c: 'lab', a: [[0, 40, u(1)], [0, 44, hex(Buffer.from('orph'))], [0, 1, hex(Buffer.from('zed'))], [0, 4, '0a010203'], [0, 55, u(T0 + 5000)]] });
    // pid 2^22 + 1 is above Linux's pid_max default range in use here: no such process
    writeFileSync(join(spoolDir, 'radacct-4194305.spool'), `${line}\n`);
    const sink = new RadacctSink(loadDictionary('dictionaries/dictionary'), { url: pgc.url, spoolDir, timeoutMs: 1000 });
    try {
      expect(sink.spoolRecords).toBe(1);
      expect(await within(10_000, () => pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid = 'orph'").trim() === '1')).toBe(true);
      expect(await within(5000, () => readdirSync(spoolDir).length === 0)).toBe(true);
    } finally {
      await sink.close();
    }
  });
});
