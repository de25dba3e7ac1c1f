import type { PgUserSource } from '../store/pgsql/pg-source.js';
import type { ServerMetrics } from './metrics.js';

/**
 * Gauges of the PostgreSQL user source (registered once; they read whatever source the current
 * snapshot holds, 0 when none): whether the database answers, how old the rows in memory are,
 * whether SQL users are being refused, users in memory, unparsable rows, changes applied.
 */
export function registerSqlMetrics(metrics: ServerMetrics, source: () => PgUserSource | undefined): void {
  const h = () => source()?.health();
  metrics.gauge('radius_sql_up', 'PostgreSQL user source: 1 when the last poll reached the database.', () => (h()?.state === 'up' ? 1 : 0));
  metrics.gauge('radius_sql_refusing', 'PostgreSQL user source: 1 when unreachable for longer than max_stale (SQL users refused).', () => (h()?.state === 'refusing' ? 1 : 0));
  metrics.gauge('radius_sql_cache_age_seconds', 'Seconds since the PostgreSQL user source last read the database.', () => (h()?.ageMs ?? 0) / 1000);
  metrics.gauge('radius_sql_users', 'Users with radcheck rows held in memory.', () => h()?.users ?? 0);
  metrics.gauge('radius_sql_bad_rows', 'Users or groups whose rows do not parse (their requests are rejected).', () => h()?.badRows ?? 0);
  metrics.gauge('radius_sql_changes_applied', 'Changed user/group names read again since start.', () => h()?.changesApplied ?? 0);
}
