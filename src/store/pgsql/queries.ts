import type pg from 'pg';
import type { SqlRow } from '../../policy/sql-row.js';
import type { GroupMembership, UserTable } from './user-base.js';

/**
 * The SELECTs of FreeRADIUS's stock PostgreSQL queries (queries.conf, 3.2.x), for whole tables
 * or for a set of names: rows in id order (radusergroup by priority, ties by id, where
 * FreeRADIUS leaves ties in table order).
 */

const NAME_COLUMN: Record<UserTable, string> = {
  radcheck: 'username', radreply: 'username', radusergroup: 'username', radgroupcheck: 'groupname', radgroupreply: 'groupname',
};

/** Rows of `table` (all of them, or those of `names`). */
export async function selectRows(client: pg.Client, table: UserTable, names?: readonly string[]): Promise<SqlRow[] | GroupMembership[]> {
  const where = names ? `WHERE ${NAME_COLUMN[table]} = ANY($1::text[])` : '';
  const values = names ? [names] : [];
  if (table === 'radusergroup') {
    const r = await client.query<[number, string, string, number]>({
      text: `SELECT id, username, groupname, priority FROM radusergroup ${where} ORDER BY priority, id`, values, rowMode: 'array',
    });
    return r.rows.map(([id, username, groupname, priority]) => ({ id, username, groupname, priority }));
  }
  const r = await client.query<[number, string, string | null, string | null, string | null]>({
    text: `SELECT id, ${NAME_COLUMN[table]}, attribute, op, value FROM ${table} ${where} ORDER BY id`, values, rowMode: 'array',
  });
  return r.rows.map(([id, name, attribute, op, value]) => ({ id, name, attribute, op, value }));
}

/**
 * One cheap-to-compare fingerprint per table (row count and a sum of row hashes), for databases
 * without the change-log triggers: a change of any row changes it. It reads every row, so it is
 * the fallback for small user bases; large ones should install the triggers (change-log.ts).
 */
export async function tableFingerprints(client: pg.Client): Promise<Record<UserTable, string>> {
  const fp = (table: UserTable, cols: string) =>
    `(SELECT count(*)::text || ':' || coalesce(sum(hashtext(concat_ws(chr(1), ${cols}))::bigint), 0)::text FROM ${table}) AS ${table}`;
  const r = await client.query<Record<UserTable, string>>(`SELECT ${[
    fp('radcheck', 'id, username, attribute, op, value'),
    fp('radreply', 'id, username, attribute, op, value'),
    fp('radusergroup', 'id, username, groupname, priority'),
    fp('radgroupcheck', 'id, groupname, attribute, op, value'),
    fp('radgroupreply', 'id, groupname, attribute, op, value'),
  ].join(', ')}`);
  return r.rows[0]!;
}
