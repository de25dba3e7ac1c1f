import type pg from 'pg';
import { USER_TABLES, type UserTable } from './user-base.js';

/**
 * The optional change log: one table and statement-level triggers on FreeRADIUS's user tables
 * (and `nas`), added beside the schema without changing it. Every committed INSERT, UPDATE,
 * DELETE or TRUNCATE, by any tool (psql, daloRADIUS, our CLI), leaves one row per changed user
 * or group name. It is an ordinary table, so it reaches streaming replicas too (LISTEN/NOTIFY
 * does not), and a server polls it with an index range scan instead of re-reading the tables.
 *
 * The trigger function runs as its owner (SECURITY DEFINER), so any role that may write the user
 * tables (daloRADIUS's) logs its changes without rights on the log; a server whose role does not
 * own the log needs `GRANT SELECT ON vutlan_radius_changes TO that_role`.
 *
 * Sequence numbers are taken when a row is inserted, not when its transaction commits, so a
 * later number can become visible first; the reader remembers skipped numbers for a while and
 * asks for them again (see ChangeCursor).
 */

export const CHANGE_TABLE = 'vutlan_radius_changes';

const NAME_COLUMN: Record<string, string> = {
  radcheck: 'username', radreply: 'username', radusergroup: 'username', radgroupcheck: 'groupname', radgroupreply: 'groupname',
  nas: 'nasname',
};

/** SQL that installs (or re-installs) the change log; idempotent. */
export function changeLogInstallSql(): string {
  const parts = [
    `CREATE TABLE IF NOT EXISTS ${CHANGE_TABLE} (
  seq bigserial PRIMARY KEY,
  tbl text NOT NULL,
  name text NOT NULL,
  at timestamp with time zone NOT NULL DEFAULT now()
)`,
    `CREATE INDEX IF NOT EXISTS ${CHANGE_TABLE}_at ON ${CHANGE_TABLE} (at)`,
    `CREATE OR REPLACE FUNCTION ${CHANGE_TABLE}_note() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $f$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO ${CHANGE_TABLE} (tbl, name) VALUES (TG_TABLE_NAME, '*');
  ELSIF TG_OP = 'INSERT' THEN
    EXECUTE format('INSERT INTO ${CHANGE_TABLE} (tbl, name) SELECT DISTINCT %L, %I FROM new_rows', TG_TABLE_NAME, TG_ARGV[0]);
  ELSIF TG_OP = 'DELETE' THEN
    EXECUTE format('INSERT INTO ${CHANGE_TABLE} (tbl, name) SELECT DISTINCT %L, %I FROM old_rows', TG_TABLE_NAME, TG_ARGV[0]);
  ELSE
    EXECUTE format('INSERT INTO ${CHANGE_TABLE} (tbl, name) SELECT %L, n FROM (SELECT %I AS n FROM new_rows UNION SELECT %I FROM old_rows) AS changed', TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0]);
  END IF;
  RETURN NULL;
END
$f$`,
  ];
  for (const table of [...USER_TABLES, 'nas']) {
    const col = NAME_COLUMN[table]!;
    const t = `${CHANGE_TABLE}_${table}`;
    parts.push(
      `DROP TRIGGER IF EXISTS ${t}_ins ON ${table}`,
      `CREATE TRIGGER ${t}_ins AFTER INSERT ON ${table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${CHANGE_TABLE}_note('${col}')`,
      `DROP TRIGGER IF EXISTS ${t}_upd ON ${table}`,
      `CREATE TRIGGER ${t}_upd AFTER UPDATE ON ${table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${CHANGE_TABLE}_note('${col}')`,
      `DROP TRIGGER IF EXISTS ${t}_del ON ${table}`,
      `CREATE TRIGGER ${t}_del AFTER DELETE ON ${table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${CHANGE_TABLE}_note('${col}')`,
      `DROP TRIGGER IF EXISTS ${t}_trunc ON ${table}`,
      `CREATE TRIGGER ${t}_trunc AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${CHANGE_TABLE}_note('${col}')`,
    );
  }
  return `${parts.join(';\n')};\n`;
}

/** Installs the change log in one transaction. */
export async function installChangeLog(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(changeLogInstallSql());
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Whether the change-log table exists in this database. */
export async function hasChangeLog(client: pg.Client): Promise<boolean> {
  const r = await client.query<{ t: string | null }>(`SELECT to_regclass('${CHANGE_TABLE}')::text AS t`);
  return r.rows[0]?.t != null;
}

/** What changed since the last read: names per table (`'all'` after a TRUNCATE or a lost position). */
export interface ChangeBatch {
  tables: Map<UserTable | 'nas', Set<string> | 'all'>;
  /** Change rows read. */
  count: number;
}

/** How long a skipped sequence number is asked for again (a transaction still running). */
const GAP_MEMORY_MS = 30_000;
const BATCH = 100_000;

/**
 * Where a server is in the change log: the highest number seen and the numbers skipped below
 * it that may still appear (taken by a transaction that had not committed yet).
 */
export class ChangeCursor {
  private last = 0n;
  private readonly gaps = new Map<bigint, number>();

  /** The position before a full load: every change after it is read again (idempotent). */
  async start(client: pg.Client): Promise<void> {
    const r = await client.query<{ m: string }>(`SELECT coalesce(max(seq), 0)::text AS m FROM ${CHANGE_TABLE}`);
    this.last = BigInt(r.rows[0]!.m);
    this.gaps.clear();
  }

  /**
   * After a reconnect: true when the log no longer holds every change after our position
   * (pruned while we were away), so the caller must load everything again.
   */
  async lost(client: pg.Client): Promise<boolean> {
    const r = await client.query<{ min: string | null; last: string }>(
      `SELECT (SELECT min(seq) FROM ${CHANGE_TABLE})::text AS min, (SELECT last_value FROM ${CHANGE_TABLE}_seq_seq)::text AS last`);
    const { min, last } = r.rows[0]!;
    if (min !== null) return BigInt(min) > this.last + 1n;
    return BigInt(last) > this.last;
  }

  /** Reads the changes committed since the last call. */
  async read(client: pg.Client, now = Date.now()): Promise<ChangeBatch> {
    for (const [seq, until] of this.gaps) if (until < now) this.gaps.delete(seq);
    const gapList = [...this.gaps.keys()].map(String);
    const r = await client.query<[string, string, string]>({
      text: `SELECT seq::text, tbl, name FROM ${CHANGE_TABLE} WHERE seq > $1 OR seq = ANY($2::bigint[]) ORDER BY seq LIMIT ${BATCH}`,
      values: [this.last.toString(), gapList],
      rowMode: 'array',
    });
    const batch: ChangeBatch = { tables: new Map(), count: r.rows.length };
    let expected = this.last + 1n;
    for (const [seqText, tbl, name] of r.rows) {
      const seq = BigInt(seqText);
      if (seq <= this.last) {
        this.gaps.delete(seq);
      } else {
        for (let s = expected; s < seq && this.gaps.size < 10_000; s++) this.gaps.set(s, now + GAP_MEMORY_MS);
        expected = seq + 1n;
        this.last = seq;
      }
      const table = tbl as UserTable | 'nas';
      const cur = batch.tables.get(table);
      if (cur === 'all') continue;
      if (name === '*') batch.tables.set(table, 'all');
      else if (cur) cur.add(name);
      else batch.tables.set(table, new Set([name]));
    }
    return batch;
  }

  /** Deletes log rows older than `minutes` (only on a primary; a replica gets the deletion by replication). */
  static async prune(client: pg.Client, minutes: number): Promise<void> {
    await client.query(`DELETE FROM ${CHANGE_TABLE} WHERE at < now() - make_interval(mins => $1)`, [minutes]);
  }
}
