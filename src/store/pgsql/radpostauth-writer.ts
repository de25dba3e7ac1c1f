import pg from 'pg';
import { type SourceLogger, redactUrl } from './pg-source.js';
import { isConnectionError } from './radacct-sink.js';
import { type PostAuthRow, insertRows } from './radpostauth.js';

export interface RadpostauthOptions {
  url: string;
  timeoutMs: number;
  /** Most rows waiting for the database; beyond, new rows are counted lost. */
  queue: number;
  /** Most rows per INSERT. */
  batch?: number;
}

export interface RadpostauthHealth {
  status: 'ok' | 'unreachable';
  queued: number;
  written: number;
  lost: number;
  error?: string;
}

const SILENT: SourceLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const RETRY_MS = 1000;
const LOSS_LOG_MS = 10_000;

/**
 * Writes post-auth rows into `radpostauth` off the request path: a login is answered whether or
 * not its row is written (FreeRADIUS's post-auth waits for the INSERT; a row of history is not
 * worth delaying or refusing a login). Rows wait in a bounded queue and go in one INSERT per
 * batch, in order; while the database is unreachable they wait and are retried every second, and
 * what does not fit the queue is counted lost (`lost`, logged at most every 10 s), never silently.
 */
export class RadpostauthWriter {
  private readonly rows: PostAuthRow[] = [];
  private client: pg.Client | undefined;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private down = false;
  private lastError: string | undefined;
  private closed = false;
  private written = 0;
  private lost = 0;
  private lostLogged = 0;
  private lastLossLog = 0;

  constructor(readonly opts: RadpostauthOptions, private readonly log: SourceLogger = SILENT) {}

  sameConfig(o: { url: string; timeoutMs: number; queue: number }): boolean {
    return o.url === this.opts.url && o.timeoutMs === this.opts.timeoutMs && o.queue === this.opts.queue;
  }

  record(row: PostAuthRow): void {
    if (this.closed || this.rows.length >= this.opts.queue) {
      this.loss(1, this.closed ? 'shutting down' : `queue full (${this.opts.queue} rows)`);
      return;
    }
    this.rows.push(row);
    this.kick();
  }

  health(): RadpostauthHealth {
    return {
      status: this.down ? 'unreachable' : 'ok',
      queued: this.rows.length,
      written: this.written,
      lost: this.lost,
      ...(this.down && this.lastError ? { error: this.lastError } : {}),
    };
  }

  /** A sentence for /healthz while rows cannot be written, else undefined. */
  problem(): string | undefined {
    if (!this.down) return undefined;
    return `radpostauth: cannot write to ${redactUrl(this.opts.url)} (${this.lastError ?? 'unreachable'}); ${this.rows.length} rows waiting, ${this.lost} lost`;
  }

  /** Writes what is queued, waiting at most `timeoutMs`; rows still queued then are counted lost. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const deadline = Date.now() + this.opts.timeoutMs;
    while (this.rows.length > 0 && !this.down && Date.now() < deadline) {
      this.kick();
      await Promise.race([this.running, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())))]);
    }
    if (this.rows.length > 0) this.loss(this.rows.splice(0).length, 'not written before shutdown');
    this.flushLossLog();
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private kick(): void {
    if (this.running || this.retryTimer || this.rows.length === 0) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (!this.retryTimer && this.rows.length > 0 && !this.down) this.kick();
    });
  }

  private async drain(): Promise<void> {
    const batch = this.opts.batch ?? 500;
    while (this.rows.length > 0) {
      const rows = this.rows.slice(0, batch);
      try {
        const client = await this.connect();
        await client.query(insertRows(rows));
        this.rows.splice(0, rows.length);
        this.written += rows.length;
        if (this.down) {
          this.down = false;
          this.log.info({ table: 'radpostauth' }, 'PostgreSQL reachable again: writing radpostauth rows');
        }
      } catch (err) {
        const message = (err as Error).message;
        if (isConnectionError(err)) {
          this.markDown(message);
          if (!this.closed) this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.kick(); }, RETRY_MS);
          this.retryTimer?.unref();
          return;
        }
        // the database refused these rows (no table, no right to insert): retrying cannot help
        this.rows.splice(0, rows.length);
        this.loss(rows.length, `PostgreSQL refused the INSERT: ${message}`);
      }
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: this.opts.timeoutMs, query_timeout: this.opts.timeoutMs * 4, application_name: 'vutlan-radius-postauth' });
    client.on('error', () => {
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private markDown(message: string): void {
    this.client?.end().catch(() => undefined);
    this.client = undefined;
    this.lastError = message;
    if (!this.down) {
      this.down = true;
      this.log.error({ table: 'radpostauth', err: message, queued: this.rows.length },
        `PostgreSQL unreachable for radpostauth: rows wait in memory (at most ${this.opts.queue}) and are retried every second; logins are answered meanwhile`);
    }
  }

  private loss(n: number, why: string): void {
    this.lost += n;
    if (Date.now() - this.lastLossLog >= LOSS_LOG_MS) this.flushLossLog(why);
  }

  private flushLossLog(why = 'not written'): void {
    const n = this.lost - this.lostLogged;
    if (n === 0) return;
    this.lastLossLog = Date.now();
    this.lostLogged = this.lost;
    this.log.error({ table: 'radpostauth', lost: n, lost_total: this.lost }, `radpostauth: ${n} rows not written (${why})`);
  }
}
