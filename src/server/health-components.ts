import type { PgUserSource } from '../store/pgsql/pg-source.js';
import { RadacctSink } from '../store/pgsql/radacct-sink.js';
import type { RadpostauthWriter } from '../store/pgsql/radpostauth-writer.js';
import type { AccountingSink } from './accounting-sink.js';

/**
 * The dependencies `/healthz` lists under `components` (metrics-http.ts says what each status
 * does to the overall status): `sql`, the PostgreSQL user source (`up`, `unreachable` while
 * answering from the cache, `refusing` once the cache is older than max_stale), and `radacct`,
 * the accounting sink (`up`, or `spooling` while records wait on local disk for the database),
 * and `radpostauth`, the login history writer (`up`, or `unreachable` while rows wait in memory).
 *
 * With worker processes every worker has its own source and sink, and the primary serves
 * /healthz: workers report theirs every second and the primary shows them merged, so one
 * worker that lost its connection is as visible as a single process that did.
 */

export type HealthComponent = { status: string } & Record<string, unknown>;
export type HealthComponents = Record<string, HealthComponent>;

/** This process's components (none when it uses neither PostgreSQL source nor sink). */
export function serverComponents(sql: PgUserSource | undefined, accounting: readonly AccountingSink[], postauth?: RadpostauthWriter): HealthComponents {
  const out: HealthComponents = {};
  const h = sql?.health();
  if (h) out.sql = { status: h.state, age_s: Math.round(h.ageMs / 100) / 10, ...(h.error ? { error: h.error } : {}) };
  const radacct = accounting.find((s): s is RadacctSink => s instanceof RadacctSink);
  if (radacct) out.radacct = radacct.state();
  const p = postauth?.health();
  // the writer says `ok` when well; /healthz counts anything but `up` as degraded
  if (p) out.radpostauth = { ...p, status: p.status === 'ok' ? 'up' : p.status };
  return out;
}

/** How bad a status is: `up` best, `refusing` (requests refused) worst, anything else between. */
function severity(status: string): number {
  return status === 'up' ? 0 : status === 'refusing' ? 2 : 1;
}

/** Fields that add up over workers (what each worker holds or did); other numbers take the largest. */
const SUMMED = new Set(['spool_records', 'queued', 'written', 'lost']);

/**
 * The components of several workers as one: per component the status (and error) of the worst
 * worker, with `workers_not_up` counting the workers whose status is not `up`; counts
 * (`spool_records`, radpostauth's `queued` / `written` / `lost`) summed, other numbers (`age_s`)
 * the largest.
 */
export function mergeComponents(reports: readonly HealthComponents[]): HealthComponents {
  const out: HealthComponents = {};
  const names = new Set(reports.flatMap((r) => Object.keys(r)));
  for (const name of names) {
    const parts = reports.map((r) => r[name]).filter((c): c is HealthComponent => c !== undefined);
    let worst = parts[0]!;
    for (const p of parts) if (severity(p.status) > severity(worst.status)) worst = p;
    const merged: HealthComponent = { ...worst };
    for (const p of parts) {
      for (const [k, v] of Object.entries(p)) {
        if (typeof v !== 'number' || p === worst) continue;
        const cur = merged[k];
        if (typeof cur !== 'number') merged[k] = v;
        else merged[k] = SUMMED.has(k) ? cur + v : Math.max(cur, v);
      }
    }
    const notUp = parts.filter((p) => p.status !== 'up').length;
    if (parts.length > 1 && notUp > 0) merged.workers_not_up = notUp;
    out[name] = merged;
  }
  return out;
}
