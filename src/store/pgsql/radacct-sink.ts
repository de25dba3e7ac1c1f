import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { Avp } from '../../protocol/attribute.js';
import type { Dictionary } from '../../protocol/dictionary.js';
import { unknownAttributeDef } from '../../protocol/values.js';
import type { AccountingRecord, AccountingSink, SinkHealth } from '../../server/accounting-sink.js';
import { radacctScope, radacctStatements } from './radacct.js';
import { type SourceLogger, redactUrl } from './pg-source.js';

/**
 * Accounting into FreeRADIUS's `radacct` (radacct.ts has the queries), acknowledged only when
 * durable. Records are written by one loop, in arrival order, a batch per transaction (group
 * commit: the records that arrived while the previous commit ran share the next one, and each
 * is acknowledged only once that commit returned). Inside a transaction the statements of
 * records on different sessions are pipelined (runPipelined); a failing query makes the batch
 * run again with a savepoint around each statement, so it moves to the next as rlm_sql does.
 * While the database is unreachable a batch is appended to
 * a local spool file and fsync'ed instead, and acknowledged then; from that moment on every
 * record goes to the spool, so order is kept, until the loop has replayed the spool into the
 * database (FreeRADIUS's detail file + buffered-sql, built in). Replays are idempotent: the
 * queries are keyed on AcctUniqueId, so a record replayed twice after a crash changes nothing.
 */

export interface RadacctSinkOptions {
  url: string;
  /** Directory of the spool files (created if missing). */
  spoolDir: string;
  timeoutMs: number;
  /** Most records per transaction. */
  batch?: number;
}

/** What the queries need of an Accounting-Request (and what the spool keeps). */
interface AcctRecord {
  attributes: readonly Avp[];
  srcAddress: string;
  client: string;
  /** ms since the epoch */
  receivedAt: number;
}

interface Pending {
  record: AcctRecord;
  resolve(): void;
  reject(err: Error): void;
}

interface SpoolLine {
  t: number;
  src: string;
  c: string;
  /** [vendor, type, hex value, tag?] */
  a: [number, number, string, number?][];
}

function toLine(r: AcctRecord): string {
  return `${JSON.stringify({
    t: r.receivedAt, src: r.srcAddress, c: r.client,
    a: r.attributes.map((x): SpoolLine['a'][number] => (x.tag !== undefined ? [x.def.vendorId, x.def.type, x.value.toString('hex'), x.tag] : [x.def.vendorId, x.def.type, x.value.toString('hex')])),
  } satisfies SpoolLine)}\n`;
}

function fromLine(dict: Dictionary, line: string): AcctRecord {
  const l = JSON.parse(line) as SpoolLine;
  const attributes: Avp[] = l.a.map(([vendor, type, hex, tag]) => {
    const def = dict.attributeByCode(vendor, type) ?? unknownAttributeDef(vendor, type);
    return tag !== undefined ? { def, value: Buffer.from(hex, 'hex'), tag } : { def, value: Buffer.from(hex, 'hex') };
  });
  return { attributes, srcAddress: l.src, client: l.c, receivedAt: l.t };
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  // SQLSTATE class 08 (connection), 57P (shutdown), 53 (resources); node errors; pg's own
  return (typeof e.code === 'string' && (/^(08|57P|53)/.test(e.code) || /^E[A-Z]+$/.test(e.code))) ||
    /Connection terminated|timeout|not queryable|Client was closed/i.test(e.message ?? '');
}

/** A statement failed in the fast path (no savepoints): the batch is done again with them. */
class StatementFailed extends Error {}

type Settled = { ok: true; res: pg.QueryResult } | { ok: false; err: unknown };

/** A query's outcome as a value (queries of a pipeline are awaited together; none may go unhandled). */
function settle(p: Promise<pg.QueryResult>): Promise<Settled> {
  return p.then((res) => ({ ok: true as const, res }), (err: unknown) => ({ ok: false as const, err }));
}

const SILENT: SourceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class RadacctSink implements AccountingSink {
  readonly name = 'postgresql';
  private readonly queue: Pending[] = [];
  private client: pg.Client | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly loop: Promise<void>;
  private readonly live: string;
  private readonly replaying: string;
  private spooled = 0;
  private down = false;
  private nextTry = 0;
  /** Records committed to the database / appended to the spool / replayed from it; transactions committed. */
  readonly counts = { committed: 0, spooled: 0, replayed: 0, transactions: 0 };

  private lastError: string | undefined;
  private readonly where: string;

  constructor(private readonly dict: Dictionary, private readonly opts: RadacctSinkOptions, private readonly log: SourceLogger = SILENT) {
    this.where = `radacct:${redactUrl(opts.url)}`;
    mkdirSync(opts.spoolDir, { recursive: true, mode: 0o700 });
    // one spool per process: worker processes each have a sink, and a file has one writer
    this.live = join(opts.spoolDir, `radacct-${process.pid}.spool`);
    this.replaying = join(opts.spoolDir, `radacct-${process.pid}.replaying`);
    this.adoptOrphans();
    this.spooled = this.countLines(this.live) + this.countLines(this.replaying) +
      this.adopted().reduce((n, f) => n + this.countLines(f), 0);
    if (this.spooled > 0) log.warn({ sink: this.where, records: this.spooled }, 'accounting spool holds records from an earlier run: replaying them first');
    this.loop = this.run();
  }

  /** Records in the spool, not yet in the database. */
  get spoolRecords(): number {
    return this.spooled;
  }

  get databaseUp(): boolean {
    return !this.down;
  }

  /** Whether this sink was built for these settings (a reload keeps it then). */
  sameConfig(o: { url: string; spool: string; timeoutMs: number }): boolean {
    return o.url === this.opts.url && o.spool === this.opts.spoolDir && o.timeoutMs === this.opts.timeoutMs;
  }

  record(record: AccountingRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the radacct sink is closed'));
    if (!record.avps) return Promise.reject(new Error('the radacct sink needs the decoded attributes (record.avps)'));
    if (this.queue.length >= 100_000) return Promise.reject(new Error('the radacct sink is 100,000 records behind'));
    const r: AcctRecord = { attributes: record.avps, srcAddress: record.src, client: record.client, receivedAt: record.time.getTime() };
    return new Promise((resolve, reject) => {
      this.queue.push({ record: r, resolve, reject });
      this.wake?.();
    });
  }

  /** ok while records are kept (in the database, or in the spool while it is down). */
  health(): SinkHealth {
    return this.lastError ? { ok: false, reason: this.lastError } : { ok: true };
  }

  /** `up`, or `spooling` while records wait in the spool for the database. */
  state(): { status: 'up' | 'spooling'; spool_records: number } {
    return { status: this.spooled > 0 || this.down ? 'spooling' : 'up', spool_records: this.spooled };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop;
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  /**
   * Spool files of processes that are gone (a previous run, a worker that died) are renamed to
   * this process's adopted files, to be replayed before its own.
   */
  private adoptOrphans(): void {
    let names: string[];
    try {
      names = readdirSync(this.opts.spoolDir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const m = /^radacct(?:-(\d+))?\.(spool|replaying)$/.exec(name);
      if (!m || Number(m[1]) === process.pid) continue;
      if (m[1] !== undefined && alive(Number(m[1]))) continue;
      // a replaying file is older than the spool of the same process: it sorts first
      const to = join(this.opts.spoolDir, `radacct-${process.pid}.adopted-${Date.now()}-${m[2] === 'replaying' ? 0 : 1}-${name}`);
      try {
        renameSync(join(this.opts.spoolDir, name), to);
      } catch {
        // another process adopted it first
      }
    }
  }

  private adopted(): string[] {
    try {
      return readdirSync(this.opts.spoolDir).filter((n) => n.startsWith(`radacct-${process.pid}.adopted-`)).sort().map((n) => join(this.opts.spoolDir, n));
    } catch {
      return [];
    }
  }

  private countLines(path: string): number {
    if (!existsSync(path)) return 0;
    const text = readFileSync(path, 'utf8');
    let n = 0;
    for (const l of text.split('\n')) if (l.trim()) n++;
    return n;
  }

  private async run(): Promise<void> {
    while (!this.closed || this.queue.length > 0) {
      if (this.spooled > 0 && Date.now() >= this.nextTry) await this.replay();
      if (this.queue.length === 0) {
        if (this.closed) break;
        await new Promise<void>((r) => {
          const t = setTimeout(r, this.spooled > 0 ? 500 : 60_000);
          this.wake = () => { clearTimeout(t); r(); };
        });
        this.wake = undefined;
        continue;
      }
      const batch = this.queue.splice(0, this.opts.batch ?? 500);
      try {
        if (this.spooled > 0 || (this.down && Date.now() < this.nextTry)) await this.spool(batch);
        else await this.commitOrSpool(batch);
        this.lastError = undefined;
        for (const p of batch) p.resolve();
      } catch (err) {
        this.lastError = `cannot write radacct (${redactUrl(this.opts.url)}) nor the spool ${this.live}: ${(err as Error).message}`;
        // neither committed nor spooled: no Accounting-Response, the NAS retransmits
        this.log.error({ sink: this.where, err: (err as Error).message, records: batch.length }, 'cannot store accounting records (database and spool both failed): not acknowledged');
        for (const p of batch) p.reject(err as Error);
      }
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({
      connectionString: this.opts.url, connectionTimeoutMillis: this.opts.timeoutMs, query_timeout: this.opts.timeoutMs * 4,
      application_name: 'vutlan-radius-acct', pipeline: true,
    });
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private markDown(err: unknown): void {
    this.client?.end().catch(() => undefined);
    this.client = undefined;
    this.nextTry = Date.now() + 1000;
    if (!this.down) {
      this.down = true;
      this.log.error({ sink: this.where, err: (err as Error).message }, `PostgreSQL unreachable for accounting: spooling records to ${this.live} (acknowledged once fsync'ed, replayed in order when it is back)`);
    }
  }

  private async commitOrSpool(batch: Pending[]): Promise<void> {
    try {
      await this.commit(batch.map((p) => p.record));
      this.counts.committed += batch.length;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.markDown(err);
      await this.spool(batch);
    }
  }

  /**
   * One transaction: each record's statements tried in order until one affects a row. First
   * pipelined without savepoints (runPipelined); if a statement fails, the transaction is rolled
   * back and the batch is done again one statement at a time with a savepoint around each, so a
   * failing query moves to the next one as in rlm_sql.
   */
  private async commit(records: readonly AcctRecord[]): Promise<void> {
    try {
      await this.runBatch(records, false);
    } catch (err) {
      if (!(err instanceof StatementFailed)) throw err;
      await this.runBatch(records, true);
    }
  }

  private async runBatch(records: readonly AcctRecord[], savepoints: boolean): Promise<void> {
    const client = await this.connect();
    try {
      if (savepoints) await this.runWithSavepoints(client, records);
      else await this.runPipelined(client, records);
      // COMMIT of a transaction that an error aborted answers ROLLBACK, not an error
      const done = await client.query('COMMIT');
      if (done.command !== 'COMMIT') throw new Error(`the transaction ended with ${done.command}, not COMMIT`);
      this.counts.transactions++;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /**
   * BEGIN and the first statement of every record of a wave go out at once (pg's pipeline mode:
   * one round trip, not one per record), then the next statement of the records whose previous
   * one affected no row, and so on. A wave is a run of records with distinct AcctUniqueIds:
   * their statements touch different rows, so running them side by side gives what running them
   * one after the other gives. A record whose AcctUniqueId is already in the wave, or an
   * Accounting-On / Off (every open session of a NAS), starts the next wave, which keeps the
   * order where it matters. Leaves the transaction open for the caller's COMMIT.
   */
  private async runPipelined(client: pg.Client, records: readonly AcctRecord[]): Promise<void> {
    const work = records.map((r) => ({ statements: radacctStatements(r), scope: radacctScope(r) }));
    const begin = settle(client.query('BEGIN'));
    let i = 0;
    while (i < work.length) {
      const wave: typeof work = [];
      const uids = new Set<string>();
      for (; i < work.length; i++) {
        const w = work[i]!;
        if (w.scope === 'nas') {
          if (wave.length === 0) { wave.push(w); i++; }
          break;
        }
        if (w.scope !== 'none') {
          if (uids.has(w.scope.uid)) break;
          uids.add(w.scope.uid);
        }
        wave.push(w);
      }
      let live = wave.filter((w) => w.statements.length > 0);
      for (let k = 0; live.length > 0; k++) {
        const results = await Promise.all(live.map((w) => {
          const st = w.statements[k]!;
          return settle(client.query({ name: st.name, text: st.text, values: st.values }));
        }));
        const failed = [await begin, ...results].filter((r) => !r.ok).map((r) => r.err);
        const lost = failed.find(isConnectionError);
        if (lost) throw lost;
        // the first failure aborted the transaction; later ones only say so
        if (failed.length > 0) throw new StatementFailed((failed[0] as Error).message);
        live = live.filter((w, j) => k + 1 < w.statements.length && ((results[j] as { res: pg.QueryResult }).res.rowCount ?? 0) === 0);
      }
    }
    const b = await begin;
    if (!b.ok) throw b.err;
  }

  /** One statement at a time, each inside a savepoint: a failing one is logged and the next tried. */
  private async runWithSavepoints(client: pg.Client, records: readonly AcctRecord[]): Promise<void> {
    await client.query('BEGIN');
    for (const r of records) {
      for (const st of radacctStatements(r)) {
        await client.query('SAVEPOINT acct');
        try {
          const res = await client.query(st.text, st.values);
          await client.query('RELEASE SAVEPOINT acct');
          if ((res.rowCount ?? 0) > 0) break;
        } catch (err) {
          if (isConnectionError(err)) throw err;
          await client.query('ROLLBACK TO SAVEPOINT acct');
          this.log.warn({ sink: this.where, err: (err as Error).message }, 'radacct query failed, trying the next one (as rlm_sql does)');
        }
      }
    }
  }

  private async spool(batch: Pending[]): Promise<void> {
    mkdirSync(this.opts.spoolDir, { recursive: true, mode: 0o700 });
    const fh = await open(this.live, 'a');
    try {
      await fh.write(batch.map((p) => toLine(p.record)).join(''));
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.spooled += batch.length;
    this.counts.spooled += batch.length;
  }

  /** Moves the spool into the database, oldest first; on a failure it stays for the next try. */
  private async replay(): Promise<void> {
    try {
      let file = this.adopted()[0];
      if (!file) {
        if (!existsSync(this.replaying)) {
          if (!existsSync(this.live) || statSync(this.live).size === 0) { this.spooled = 0; this.down = false; return; }
          renameSync(this.live, this.replaying);
        }
        file = this.replaying;
      }
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim());
      const size = this.opts.batch ?? 500;
      for (let i = 0; i < lines.length; i += size) {
        await this.commit(lines.slice(i, i + size).map((l) => fromLine(this.dict, l)));
      }
      rmSync(file);
      this.spooled -= lines.length;
      this.counts.replayed += lines.length;
      this.log.info({ sink: this.where, records: lines.length }, 'accounting spool replayed into radacct');
      if (this.adopted().length === 0 && !existsSync(this.replaying) && (!existsSync(this.live) || statSync(this.live).size === 0)) {
        this.spooled = 0;
        if (this.down) this.log.info({ sink: this.name }, 'PostgreSQL reachable again for accounting; writing directly');
        this.down = false;
      }
    } catch (err) {
      if (isConnectionError(err)) this.markDown(err);
      else {
        this.nextTry = Date.now() + 5000;
        this.log.error({ sink: this.where, err: (err as Error).message }, 'accounting spool replay failed; retrying in 5 s');
      }
    }
  }
}
