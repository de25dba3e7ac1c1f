import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import type { Avp } from '../../protocol/attribute.js';
import type { Dictionary } from '../../protocol/dictionary.js';
import { unknownAttributeDef } from '../../protocol/values.js';
import type { AccountingRecord, AccountingSink, SinkHealth } from '../../server/accounting-sink.js';
import { radacctStatements } from './radacct.js';
import { type SourceLogger, redactUrl } from './pg-source.js';

/**
 * Accounting into FreeRADIUS's `radacct` (radacct.ts has the queries), acknowledged only when
 * durable. Records are written by one loop, in arrival order, a batch per transaction (one
 * commit for many records; each record's query chain inside a savepoint so a failing query
 * moves to the next as rlm_sql does). While the database is unreachable a batch is appended to
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

function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  // SQLSTATE class 08 (connection), 57P (shutdown), 53 (resources); node errors; pg's own
  return (typeof e.code === 'string' && (/^(08|57P|53)/.test(e.code) || /^E[A-Z]+$/.test(e.code))) ||
    /Connection terminated|timeout|not queryable|Client was closed/i.test(e.message ?? '');
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
  /** Records committed to the database / appended to the spool / replayed from it. */
  readonly counts = { committed: 0, spooled: 0, replayed: 0 };

  private lastError: string | undefined;
  private readonly where: string;

  constructor(private readonly dict: Dictionary, private readonly opts: RadacctSinkOptions, private readonly log: SourceLogger = SILENT) {
    this.where = `radacct:${redactUrl(opts.url)}`;
    mkdirSync(opts.spoolDir, { recursive: true });
    this.live = join(opts.spoolDir, 'radacct.spool');
    this.replaying = join(opts.spoolDir, 'radacct.replaying');
    this.spooled = this.countLines(this.live) + this.countLines(this.replaying);
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
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: this.opts.timeoutMs, query_timeout: this.opts.timeoutMs * 4, application_name: 'vutlan-radius-acct' });
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

  /** One transaction: each record's statements tried in order until one affects a row. */
  private async commit(records: readonly AcctRecord[]): Promise<void> {
    const client = await this.connect();
    await client.query('BEGIN');
    try {
      for (const r of records) {
        const statements = radacctStatements(r);
        for (const st of statements) {
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
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async spool(batch: Pending[]): Promise<void> {
    mkdirSync(this.opts.spoolDir, { recursive: true });
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
      if (!existsSync(this.replaying)) {
        if (!existsSync(this.live) || statSync(this.live).size === 0) { this.spooled = 0; this.down = false; return; }
        renameSync(this.live, this.replaying);
      }
      const lines = readFileSync(this.replaying, 'utf8').split('\n').filter((l) => l.trim());
      const size = this.opts.batch ?? 500;
      for (let i = 0; i < lines.length; i += size) {
        await this.commit(lines.slice(i, i + size).map((l) => fromLine(this.dict, l)));
      }
      rmSync(this.replaying);
      this.spooled -= lines.length;
      this.counts.replayed += lines.length;
      this.log.info({ sink: this.where, records: lines.length }, 'accounting spool replayed into radacct');
      if (!existsSync(this.live) || statSync(this.live).size === 0) {
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
