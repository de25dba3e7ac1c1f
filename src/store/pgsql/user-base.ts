import type { Dictionary } from '../../protocol/dictionary.js';
import { prepareRows, type SqlRowSet, type SqlRows, type SqlUserRows } from '../../policy/sql-authorize.js';
import { EMPTY_ROWS, type SqlRow, rowSet } from '../../policy/sql-row.js';

/**
 * The user base of FreeRADIUS's SQL schema held in memory: each user's radcheck / radreply rows
 * and groups in one record (one map access per request), each group's radgroupcheck /
 * radgroupreply rows, parsed once into items and prepared for merging. The
 * request path reads it synchronously (no query per request); the change feed replaces the rows
 * of the names that changed, each batch in one synchronous step, so a request sees either the
 * old or the new rows of a user, never half.
 */

/** The five tables the authorize step reads. */
export type UserTable = 'radcheck' | 'radreply' | 'radusergroup' | 'radgroupcheck' | 'radgroupreply';
export const USER_TABLES: readonly UserTable[] = ['radcheck', 'radreply', 'radusergroup', 'radgroupcheck', 'radgroupreply'];

/** A radusergroup row. */
export interface GroupMembership {
  id: number;
  username: string;
  groupname: string;
  priority: number;
}

const NONE: SqlRowSet = Object.freeze({ ...EMPTY_ROWS, rows: 0, prepared: prepareRows([]) });
const NO_GROUPS: readonly string[] = Object.freeze([]);
const NO_USER: SqlUserRows = Object.freeze({ check: NONE, reply: NONE, groups: NO_GROUPS });

/** A user's record; its fields are replaced, each in one synchronous step, when its rows change. */
type UserRecord = { check: SqlRowSet; reply: SqlRowSet; groups: readonly string[] };

/** A row-set problem for the log: table, row id, name and message. */
export interface RowProblem {
  table: string;
  name: string;
  message: string;
}

function counted(dict: Dictionary, table: string, rows: readonly SqlRow[]): SqlRowSet {
  if (rows.length === 0) return NONE;
  const set = rowSet(dict, table, rows);
  return { ...set, rows: rows.length, prepared: prepareRows(set.items) };
}

const USER_FIELD = { radcheck: 'check', radreply: 'reply', radusergroup: 'groups' } as const;

/** Groups rows by name, keeping their order (callers pass them in id order). */
function byName<T extends { name: string }>(rows: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const l = m.get(r.name);
    if (l) l.push(r);
    else m.set(r.name, [r]);
  }
  return m;
}

export class SqlUserBase implements SqlRows {
  private readonly users = new Map<string, UserRecord>();
  private readonly groupCheckRows = new Map<string, SqlRowSet>();
  private readonly groupReplyRows = new Map<string, SqlRowSet>();
  private withCheck = 0;

  constructor(private readonly dict: Dictionary) {}

  user(name: string): SqlUserRows { return this.users.get(name) ?? NO_USER; }
  check(user: string): SqlRowSet { return this.user(user).check; }
  reply(user: string): SqlRowSet { return this.user(user).reply; }
  groups(user: string): readonly string[] { return this.user(user).groups; }
  groupCheck(group: string): SqlRowSet { return this.groupCheckRows.get(group) ?? NONE; }
  groupReply(group: string): SqlRowSet { return this.groupReplyRows.get(group) ?? NONE; }

  /** Users with at least one radcheck row. */
  get userCount(): number { return this.withCheck; }

  /**
   * Replaces the rows of `names` in `table` with `rows` (every current row of those names, in id
   * order; radusergroup in priority order). Names without rows are removed. Returns the problems
   * of the new rows (unparsable ones), for the log.
   */
  replace(table: UserTable, names: Iterable<string> | 'all', rows: readonly SqlRow[] | readonly GroupMembership[]): RowProblem[] {
    const problems: RowProblem[] = [];
    if (table === 'radgroupcheck' || table === 'radgroupreply') {
      const map = table === 'radgroupcheck' ? this.groupCheckRows : this.groupReplyRows;
      if (names === 'all') map.clear();
      else for (const n of names) map.delete(n);
      for (const [n, list] of byName(rows as readonly SqlRow[])) {
        const set = counted(this.dict, table, list);
        if (set.error) problems.push({ table, name: n, message: set.error });
        map.set(n, set);
      }
      return problems;
    }
    const field = USER_FIELD[table];
    const next = new Map<string, SqlRowSet | string[]>();
    if (table === 'radusergroup') {
      for (const m of rows as readonly GroupMembership[]) {
        const l = next.get(m.username) as string[] | undefined;
        if (l) l.push(m.groupname);
        else next.set(m.username, [m.groupname]);
      }
    } else {
      for (const [n, list] of byName(rows as readonly SqlRow[])) {
        const set = counted(this.dict, table, list);
        if (set.error) problems.push({ table, name: n, message: set.error });
        next.set(n, set);
      }
    }
    const cleared = names === 'all' ? [...this.users.keys()] : names;
    for (const n of cleared) if (!next.has(n)) this.set(n, field, undefined);
    for (const [n, v] of next) this.set(n, field, v);
    return problems;
  }

  /** Sets (or, with undefined, empties) one field of a user's record; a record left empty goes. */
  private set(name: string, field: 'check' | 'reply' | 'groups', value: SqlRowSet | readonly string[] | undefined): void {
    let rec = this.users.get(name);
    if (!rec) {
      if (value === undefined) return;
      rec = { check: NONE, reply: NONE, groups: NO_GROUPS };
      this.users.set(name, rec);
    }
    if (field === 'groups') rec.groups = (value as readonly string[] | undefined) ?? NO_GROUPS;
    else {
      const before = rec[field];
      const after = (value as SqlRowSet | undefined) ?? NONE;
      rec[field] = after;
      if (field === 'check') this.withCheck += (after.rows > 0 ? 1 : 0) - (before.rows > 0 ? 1 : 0);
    }
    if (rec.check === NONE && rec.reply === NONE && rec.groups.length === 0) this.users.delete(name);
  }

  /** Every user name that has rows in radcheck, radreply or radusergroup (for the CLI). */
  userNames(): string[] {
    return [...this.users.keys()].sort();
  }
}
