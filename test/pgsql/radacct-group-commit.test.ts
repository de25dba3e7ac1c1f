import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { postgresTestsEnabled, startPostgres, type PostgresCluster } from '../../src/bench/postgres-cluster.js';
import type { AccountingRecord } from '../../src/server/accounting-sink.js';
import type { Avp } from '../../src/protocol/attribute.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { RadacctSink } from '../../src/store/pgsql/radacct-sink.js';

/**
 * Group commit in the radacct sink: many records in flight share transactions (pipelined
 * inside), and still every record is acknowledged only once the commit that holds it returned,
 * records of one session keep their order (also across a database outage and the spool
 * replay), a record seen twice leaves one row, and a failing statement in a batch does not
 * cost the other records of that batch their rows.
 */

const enabled = postgresTestsEnabled('the radacct group-commit tests');
const dict = loadDictionary('dictionaries/dictionary');
const T0 = 1_764_000_000;

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function avp(type: number, value: Buffer): Avp {
  return { def: dict.attributeByCode(0, type)!, value };
}

let seq = 0;
/** An Accounting-Request as the pipeline hands it to a sink. */
function record(status: 'start' | 'interim' | 'stop' | 'on', session: string, extra: Avp[] = [], user = 'alice'): AccountingRecord {
  const code = { start: 1, stop: 2, interim: 3, on: 7 }[status];
  const avps = [avp(40, u32(code)), avp(44, Buffer.from(session)), ...(user ? [avp(1, Buffer.from(user))] : []), avp(4, Buffer.from([10, 1, 2, 3])), ...extra];
  seq++;
  return { key: `k${seq}`, time: new Date(), client: 'lab', src: '127.0.0.1', srcPort: 1000, identifier: seq & 255, attributes: {}, avps };
}

/** Start, Interim-Update, Stop of one session, issued back to back (the sink gets all three before any commit). */
function sessionRecords(session: string, i: number): AccountingRecord[] {
  return [
    record('start', session, [avp(55, u32(T0 + i))]),
    record('interim', session, [avp(46, u32(60)), avp(42, u32(1000 + i)), avp(55, u32(T0 + i + 60))]),
    record('stop', session, [avp(46, u32(120)), avp(42, u32(2000 + i)), avp(49, u32(1)), avp(55, u32(T0 + i + 120))]),
  ];
}

describe.skipIf(!enabled)('radacct sink: group commit', () => {
  let pgc: PostgresCluster;
  let dir: string;
  let checker: pg.Client;

  beforeAll(async () => {
    // durable commits: the outage test stops the cluster with 'immediate' (a crash), and a
    // commit acknowledged with synchronous_commit off could be lost by PostgreSQL itself
    pgc = await startPostgres({ settings: { fsync: 'on', synchronous_commit: 'on' } });
    dir = mkdtempSync(join(tmpdir(), 'vr-acct-gc-'));
    checker = new pg.Client({ connectionString: pgc.url });
    // the outage test stops the cluster under it; it is not used after that
    checker.on('error', () => undefined);
    await checker.connect();
  }, 120_000);

  afterAll(async () => {
    await checker?.end().catch(() => undefined);
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    if (!pgc.running) pgc.start();
    pgc.psql('DELETE FROM radacct');
  });

  /** Rows of the sessions named `prefix...`, and how many of them are not closed with the Stop's values. */
  const closedRows = (prefix: string): { n: number; wrong: number } => {
    const [n, wrong] = pgc.psql(`SELECT count(*), count(*) FILTER (WHERE acctstoptime IS NULL OR acctsessiontime <> 120
        OR acctterminatecause <> 'User-Request' OR acctinputoctets <> 2000 + extract(epoch FROM acctstarttime)::bigint - ${T0})
      FROM radacct WHERE acctsessionid LIKE '${prefix}%'`).trim().split('|').map(Number);
    return { n: n!, wrong: wrong! };
  };

  it('acknowledges each record only after the commit that holds it, many records per transaction, order per session kept', async () => {
    const sink = new RadacctSink(dict, { url: pgc.url, spoolDir: join(dir, 'spool-a'), timeoutMs: 2000 });
    try {
      const sessions = 300;
      const checks: Promise<string | undefined>[] = [];
      const acks: Promise<void>[] = [];
      for (let i = 0; i < sessions; i++) {
        const [start, interim, stop] = sessionRecords(`gc${i}`, i);
        // when the Start is acknowledged its row is visible to any other connection; when the
        // Stop is, the row is closed with the Stop's values
        acks.push(sink.record(start!).then(() => { checks.push(rowState(`gc${i}`).then((s) => (s === undefined ? `gc${i}: no row after its Start was acknowledged` : undefined))); }));
        acks.push(sink.record(interim!));
        acks.push(sink.record(stop!).then(() => { checks.push(rowState(`gc${i}`).then((s) => (s !== 'closed 120' ? `gc${i}: ${s} after its Stop was acknowledged` : undefined))); }));
      }
      await Promise.all(acks);
      expect((await Promise.all(checks)).filter(Boolean)).toEqual([]);
      expect(closedRows('gc')).toEqual({ n: sessions, wrong: 0 });
      expect(sink.counts.committed).toBe(sessions * 3);
      // group commit: far fewer transactions than records
      expect(sink.counts.transactions).toBeLessThan(sessions);
    } finally {
      await sink.close();
    }
  });

  async function rowState(session: string): Promise<string | undefined> {
    const r = await checker.query<{ closed: boolean; t: string }>('SELECT acctstoptime IS NOT NULL AS closed, acctsessiontime::text AS t FROM radacct WHERE acctsessionid = $1', [session]);
    const row = r.rows[0];
    return row ? `${row.closed ? 'closed' : 'open'} ${row.t}` : undefined;
  }

  it('a record given twice in one batch (a NAS resending with a new identifier) leaves one row', async () => {
    const sink = new RadacctSink(dict, { url: pgc.url, spoolDir: join(dir, 'spool-b'), timeoutMs: 2000 });
    try {
      const start = record('start', 'dup1', [avp(55, u32(T0))]);
      await Promise.all([sink.record(start), sink.record({ ...start, key: 'again' }), sink.record({ ...start, key: 'again2' })]);
      expect(pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid = 'dup1'").trim()).toBe('1');
    } finally {
      await sink.close();
    }
  });

  it('an Accounting-On in the middle of a batch closes the sessions before it, not those after it', async () => {
    const sink = new RadacctSink(dict, { url: pgc.url, spoolDir: join(dir, 'spool-c'), timeoutMs: 2000 });
    try {
      await Promise.all([
        sink.record(record('start', 'on-before', [avp(55, u32(T0))])),
        sink.record(record('on', '', [avp(55, u32(T0 + 10))], '')),
        // started before the On's time: closed by it too, were it run after this record
        sink.record(record('start', 'on-after', [avp(55, u32(T0 + 5))])),
      ]);
      expect(pgc.psql("SELECT acctsessionid || ':' || (acctstoptime IS NOT NULL) FROM radacct WHERE acctsessionid LIKE 'on-%' ORDER BY 1").trim().split('\n'))
        .toEqual(['on-after:false', 'on-before:true']);
    } finally {
      await sink.close();
    }
  });

  it('a statement failing in a batch: the batch runs again statement by statement and the other records keep their rows', async () => {
    const sink = new RadacctSink(dict, { url: pgc.url, spoolDir: join(dir, 'spool-d'), timeoutMs: 2000 });
    pgc.psql("ALTER TABLE radacct ADD CONSTRAINT test_no_mallory CHECK (username <> 'mallory')");
    try {
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => sink.record(record('start', `fb${i}`, [avp(55, u32(T0 + i))]))),
        sink.record(record('start', 'fb-bad', [avp(55, u32(T0))], 'mallory')),
        ...Array.from({ length: 20 }, (_, i) => sink.record(record('start', `fb${i + 20}`, [avp(55, u32(T0 + i))]))),
      ]);
      expect(pgc.psql("SELECT count(*) FROM radacct WHERE acctsessionid LIKE 'fb%'").trim()).toBe('40');
    } finally {
      pgc.psql('ALTER TABLE radacct DROP CONSTRAINT test_no_mallory');
      await sink.close();
    }
  });

  it('database stopped under load: every record acknowledged, spooled ones replayed in order, one closed row per session', async () => {
    const spoolDir = join(dir, 'spool-e');
    const sink = new RadacctSink(dict, { url: pgc.url, spoolDir, timeoutMs: 1000 });
    try {
      const sessions = 400;
      const acks: Promise<void>[] = [];
      for (let i = 0; i < sessions; i++) {
        for (const r of sessionRecords(`out${i}`, i)) acks.push(sink.record(r));
        // the database goes away while records are in flight, and comes back
        if (i === sessions / 4) pgc.stop('immediate');
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      await Promise.all(acks);
      expect(sink.counts.spooled).toBeGreaterThan(0);
      pgc.start();
      const deadline = Date.now() + 30_000;
      while (sink.spoolRecords > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(sink.spoolRecords).toBe(0);
      expect(sink.counts.committed + sink.counts.spooled).toBe(sessions * 3);
      expect(sink.counts.replayed).toBe(sink.counts.spooled);
      expect(closedRows('out')).toEqual({ n: sessions, wrong: 0 });
      expect(readdirSync(spoolDir)).toEqual([]);
    } finally {
      if (!pgc.running) pgc.start();
      await sink.close();
    }
  }, 90_000);
});
