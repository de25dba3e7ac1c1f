import pg from 'pg';
import type { Dictionary } from '../../protocol/dictionary.js';
import type { AuthorizeModule, ModuleContext, ModuleResult } from '../../policy/module.js';
import { sqlAuthorize, type SqlAuthorizeOptions } from '../../policy/sql-authorize.js';
import { ChangeCursor, hasChangeLog, installChangeLog } from './change-log.js';
import { selectRows, tableFingerprints } from './queries.js';
import { type NasRow, nasFingerprint, selectNas } from './nas-clients.js';
import { SqlUserBase, USER_TABLES, type RowProblem, type UserTable } from './user-base.js';

/**
 * The PostgreSQL user source (`users.sql`): FreeRADIUS's rlm_sql schema read into memory and
 * answered with rlm_sql's algorithm (policy/sql-authorize.ts), kept current by polling.
 *
 * - Start: connect, read the five user tables, start polling. A wrong URL, wrong credentials,
 *   a missing schema: a clear error and no server.
 * - Changes: with the change log (change-log.ts; `install_triggers: true` installs it) only the
 *   names that changed are read again; without it, a fingerprint of each table is compared
 *   every poll and a changed table is read again whole. Either way a commit by any tool is
 *   answered after at most one poll interval plus the read.
 * - Outage: a failed or slow poll marks the database unreachable (logged once, `health()`),
 *   answers keep coming from memory while the last good read is younger than `maxStaleMs`,
 *   then SQL users are refused (the module fails: Access-Reject, reason store_error). The
 *   source reconnects by itself and catches up.
 */

/** Change-log rows older than this are deleted (a server away longer reads everything again). */
const PRUNE_MINUTES = 10;

export interface PgSourceOptions extends SqlAuthorizeOptions {
  url: string;
  /** How often to look for changes. */
  pollIntervalMs: number;
  /** How long cached rows may still be answered from after the database became unreachable. */
  maxStaleMs: number;
  /** `auto`: the change log when installed, else fingerprints. */
  changes: 'auto' | 'log' | 'fingerprint';
  /** Install the change-log triggers at start (needs a primary and the rights to create them). */
  installTriggers: boolean;
  /** Connect / query timeout. */
  timeoutMs: number;
  /** Also read RADIUS clients from the nas table (rlm_sql read_clients). */
  readClients: boolean;
}

/** The logger subset used (pino's signature). */
export interface SourceLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type SqlHealthState = 'up' | 'unreachable' | 'refusing';

export interface SqlHealth {
  state: SqlHealthState;
  /** Milliseconds since the last successful read of the database. */
  ageMs: number;
  /** The last connection or query error while unreachable. */
  error?: string;
  mode: 'log' | 'fingerprint';
  users: number;
  /** Rows that did not parse (their users are refused). */
  badRows: number;
  changesApplied: number;
}

/** The URL with its password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Checks the URL's form; returns a problem text or undefined. */
export function urlProblem(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'not a URL; write postgresql://user:password@host:port/database';
  }
  if (u.protocol !== 'postgresql:' && u.protocol !== 'postgres:') return `the scheme must be postgresql://, not ${u.protocol}//`;
  if (!u.hostname) return 'no host; write postgresql://user:password@host:port/database';
  if (u.pathname.length <= 1) return 'no database name; write postgresql://user:password@host:port/database';
  return undefined;
}

/** An error that names what to fix. */
export function explainPgError(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const msg = e.message ?? String(err);
  if (e.code === '42P01') return `${msg} (load FreeRADIUS's PostgreSQL schema: mods-config/sql/main/postgresql/schema.sql)`;
  if (e.code === '28P01' || e.code === '28000') return `${msg} (check the user and password in users.sql.url)`;
  if (e.code === '3D000') return `${msg} (check the database name in users.sql.url)`;
  if (e.code === '25006') return `${msg} (the database is read-only here, e.g. a streaming replica: write on the primary)`;
  return msg;
}

export class PgUserSource implements AuthorizeModule {
  readonly name: string;
  private readonly base: SqlUserBase;
  private client: pg.Client | undefined;
  private readonly cursor = new ChangeCursor();
  private mode: 'log' | 'fingerprint' = 'fingerprint';
  private fingerprints: Record<UserTable, string> | undefined;
  private lastGoodAt = 0;
  private unreachableSince: number | undefined;
  private lastError: string | undefined;
  private refusingLogged = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private polling: Promise<void> = Promise.resolve();
  private badRows = new Map<string, RowProblem>();
  private changesApplied = 0;
  private lastPrune = Date.now();
  private nas: readonly NasRow[] = [];
  private nasFp: string | undefined;
  /** Bumped whenever the nas rows are read again (the server rebuilds its client table then). */
  nasVersion = 0;
  private holders = 1;
  /** Called after each applied change batch (tests, metrics). */
  onChange?: (names: number) => void;

  private constructor(dict: Dictionary, readonly options: PgSourceOptions, private readonly log: SourceLogger) {
    this.name = `sql:${redactUrl(options.url)}`;
    this.base = new SqlUserBase(dict);
  }

  /** Connects, reads every user table and starts polling; throws a clear error when it cannot. */
  static async open(dict: Dictionary, options: PgSourceOptions, log: SourceLogger): Promise<PgUserSource> {
    const problem = urlProblem(options.url);
    if (problem) throw new Error(`users.sql.url: ${problem}`);
    const source = new PgUserSource(dict, options, log);
    try {
      const client = await source.connect();
      if (options.installTriggers) await installChangeLog(client);
      await source.loadAll(client);
    } catch (err) {
      await source.dropClient();
      throw new Error(`cannot use PostgreSQL at ${redactUrl(options.url)}: ${explainPgError(err)}`);
    }
    source.schedule();
    return source;
  }

  /** Another holder (a reload that keeps this source); each holder calls close() once. */
  retain(): this {
    this.holders++;
    return this;
  }

  /** The rows in memory (CLI, tests). */
  get userBase(): SqlUserBase {
    return this.base;
  }

  authorize(ctx: ModuleContext, userName: string): ModuleResult {
    if (this.unreachableSince !== undefined && Date.now() - this.lastGoodAt > this.options.maxStaleMs) {
      if (!this.refusingLogged) {
        this.refusingLogged = true;
        this.log.error({ source: this.name, unreachable_s: Math.round((Date.now() - this.unreachableSince) / 1000) },
          `PostgreSQL unreachable and the cache is older than max_stale (${this.options.maxStaleMs / 1000} s): refusing SQL users until it is back`);
      }
      return { code: 'fail', detail: `database unreachable (${this.lastError ?? 'no connection'}) and cached rows older than ${this.options.maxStaleMs / 1000} s` };
    }
    return sqlAuthorize(ctx, userName, this.base, this.options);
  }

  health(now = Date.now()): SqlHealth {
    const ageMs = this.lastGoodAt ? now - this.lastGoodAt : 0;
    const state: SqlHealthState = this.unreachableSince === undefined ? 'up' : ageMs > this.options.maxStaleMs ? 'refusing' : 'unreachable';
    return {
      state, ageMs, mode: this.mode, users: this.base.userCount, badRows: this.badRows.size, changesApplied: this.changesApplied,
      ...(this.lastError && state !== 'up' ? { error: this.lastError } : {}),
    };
  }

  /** Waits for the poll in progress (tests). */
  async settle(): Promise<void> {
    await this.polling;
  }

  async close(): Promise<void> {
    if (--this.holders > 0) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.polling.catch(() => undefined);
    await this.dropClient();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: this.options.timeoutMs,
      query_timeout: this.options.timeoutMs * 4,
      application_name: 'vutlan-radius',
    });
    // a dead connection emits 'error' (not thrown to a query in flight); the next poll reconnects
    client.on('error', (err) => {
      this.noteFailure(err);
      if (this.client === client) this.client = undefined;
      client.end().catch(() => undefined);
    });
    await client.connect();
    this.client = client;
    return client;
  }

  private async dropClient(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }

  /** Reads every table and replaces everything in memory at once. */
  private async loadAll(client: pg.Client): Promise<void> {
    const useLog = this.options.changes !== 'fingerprint' && await hasChangeLog(client);
    if (this.options.changes === 'log' && !useLog) throw new Error('users.sql.changes is "log" but the change-log table is not installed (set install_triggers: true once on the primary)');
    this.mode = useLog ? 'log' : 'fingerprint';
    if (useLog) await this.cursor.start(client);
    else this.fingerprints = await tableFingerprints(client);
    const rows: Awaited<ReturnType<typeof selectRows>>[] = [];
    for (const t of USER_TABLES) rows.push(await selectRows(client, t)); // one query at a time per connection
    const nas = this.options.readClients ? await this.readNas(client) : undefined;
    USER_TABLES.forEach((t, i) => { this.noteProblems(t, 'all', this.base.replace(t, 'all', rows[i]!)); });
    if (nas) this.setNas(nas);
    this.lastGoodAt = Date.now();
  }

  /** The nas rows (read_clients), as last read. */
  nasRows(): readonly NasRow[] {
    return this.nas;
  }

  private async readNas(client: pg.Client): Promise<NasRow[]> {
    if (this.mode === 'fingerprint') this.nasFp = await nasFingerprint(client);
    return selectNas(client);
  }

  private setNas(rows: readonly NasRow[]): void {
    this.nas = rows;
    this.nasVersion++;
  }

  private noteProblems(table: UserTable, names: Iterable<string> | 'all', problems: RowProblem[]): void {
    if (names === 'all') {
      for (const k of [...this.badRows.keys()]) if (k.startsWith(`${table}\u0000`)) this.badRows.delete(k);
    } else {
      for (const n of names) this.badRows.delete(`${table}\u0000${n}`);
    }
    for (const p of problems) {
      this.badRows.set(`${p.table}\u0000${p.name}`, p);
      this.log.error({ source: this.name, table: p.table, name: p.name },
        `${p.message}; requests that read these rows are rejected until the row is fixed`);
    }
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => this.schedule());
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  private noteFailure(err: unknown): void {
    const msg = explainPgError(err);
    this.lastError = msg;
    if (this.unreachableSince === undefined) {
      this.unreachableSince = Date.now();
      this.log.error({ source: this.name, err: msg },
        `PostgreSQL unreachable: ${msg}; answering from the cache for at most ${this.options.maxStaleMs / 1000} s after the last good read`);
    }
  }

  private async poll(): Promise<void> {
    try {
      let client = this.client;
      const reconnecting = !client;
      if (!client) client = await this.connect();
      if (reconnecting && this.unreachableSince !== undefined) {
        // back after an outage: catch up from the log, or read everything when it cannot tell
        if (this.mode === 'log' && await this.cursor.lost(client)) await this.loadAll(client);
      }
      if (this.mode === 'log') await this.pollLog(client);
      else await this.pollFingerprints(client);
      this.lastGoodAt = Date.now();
      if (this.unreachableSince !== undefined) {
        this.log.info({ source: this.name, unreachable_s: Math.round((Date.now() - this.unreachableSince) / 100) / 10 }, 'PostgreSQL reachable again; caught up');
        this.unreachableSince = undefined;
        this.lastError = undefined;
        this.refusingLogged = false;
      }
    } catch (err) {
      this.noteFailure(err);
      await this.dropClient();
    }
  }

  private async pollLog(client: pg.Client): Promise<void> {
    if (Date.now() - this.lastPrune > 60_000) {
      this.lastPrune = Date.now();
      // only on a primary (a replica gets the deletion by replication); any server may do it
      const r = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
      if (!r.rows[0]?.r) await ChangeCursor.prune(client, PRUNE_MINUTES).catch(() => undefined);
    }
    const batch = await this.cursor.read(client);
    if (batch.count === 0) return;
    const results: { table: UserTable; names: string[] | 'all'; rows: Awaited<ReturnType<typeof selectRows>> }[] = [];
    const nas = this.options.readClients && batch.tables.has('nas') ? await this.readNas(client) : undefined;
    if (nas) this.setNas(nas);
    for (const [table, names] of batch.tables) {
      if (table === 'nas') continue;
      const list = names === 'all' ? 'all' : [...names];
      results.push({ table, names: list, rows: await selectRows(client, table, list === 'all' ? undefined : list) });
    }
    let n = 0;
    // applied in one synchronous step: no request sees half a batch
    for (const r of results) {
      this.noteProblems(r.table, r.names, this.base.replace(r.table, r.names, r.rows));
      n += r.names === 'all' ? 1 : r.names.length;
    }
    this.changesApplied += n;
    if (n > 0) this.onChange?.(n);
  }

  private async pollFingerprints(client: pg.Client): Promise<void> {
    if (this.options.readClients && await nasFingerprint(client) !== this.nasFp) this.setNas(await this.readNas(client));
    const now = await tableFingerprints(client);
    const changed = USER_TABLES.filter((t) => this.fingerprints?.[t] !== now[t]);
    if (changed.length === 0) return;
    const rows: Awaited<ReturnType<typeof selectRows>>[] = [];
    for (const t of changed) rows.push(await selectRows(client, t));
    changed.forEach((t, i) => { this.noteProblems(t, 'all', this.base.replace(t, 'all', rows[i]!)); });
    this.fingerprints = now;
    this.changesApplied += changed.length;
    this.onChange?.(changed.length);
  }
}
