import type { Dictionary } from '../../protocol/dictionary.js';
import type { SqlRows } from '../../policy/sql-authorize.js';
import { EMPTY_ROWS, type RowSet, type SqlRow, rowSet } from '../../policy/sql-row.js';

/**
 * The user base of FreeRADIUS's SQL schema held in memory: each user's radcheck / radreply rows
 * and groups, each group's radgroupcheck / radgroupreply rows, parsed once into items. The
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

type Counted = RowSet & { rows: number };
const NONE: Counted = Object.freeze({ ...EMPTY_ROWS, rows: 0 });

/** A row-set problem for the log: table, row id, name and message. */
export interface RowProblem {
  table: string;
  name: string;
  message: string;
}

function counted(dict: Dictionary, table: string, rows: readonly SqlRow[]): Counted {
  if (rows.length === 0) return NONE;
  return { ...rowSet(dict, table, rows), rows: rows.length };
}

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
  private readonly userCheck = new Map<string, Counted>();
  private readonly userReply = new Map<string, Counted>();
  private readonly userGroups = new Map<string, readonly string[]>();
  private readonly groupCheckRows = new Map<string, Counted>();
  private readonly groupReplyRows = new Map<string, Counted>();

  constructor(private readonly dict: Dictionary) {}

  check(user: string): Counted { return this.userCheck.get(user) ?? NONE; }
  reply(user: string): Counted { return this.userReply.get(user) ?? NONE; }
  groups(user: string): readonly string[] { return this.userGroups.get(user) ?? []; }
  groupCheck(group: string): Counted { return this.groupCheckRows.get(group) ?? NONE; }
  groupReply(group: string): Counted { return this.groupReplyRows.get(group) ?? NONE; }

  /** Users with at least one radcheck row. */
  get userCount(): number { return this.userCheck.size; }

  /**
   * Replaces the rows of `names` in `table` with `rows` (every current row of those names, in id
   * order; radusergroup in priority order). Names without rows are removed. Returns the problems
   * of the new rows (unparsable ones), for the log.
   */
  replace(table: UserTable, names: Iterable<string> | 'all', rows: readonly SqlRow[] | readonly GroupMembership[]): RowProblem[] {
    const problems: RowProblem[] = [];
    if (table === 'radusergroup') {
      const memberships = rows as readonly GroupMembership[];
      const next = new Map<string, string[]>();
      for (const m of memberships) {
        const l = next.get(m.username);
        if (l) l.push(m.groupname);
        else next.set(m.username, [m.groupname]);
      }
      if (names === 'all') this.userGroups.clear();
      else for (const n of names) this.userGroups.delete(n);
      for (const [n, groups] of next) this.userGroups.set(n, groups);
      return problems;
    }
    const map = table === 'radcheck' ? this.userCheck : table === 'radreply' ? this.userReply
      : table === 'radgroupcheck' ? this.groupCheckRows : this.groupReplyRows;
    const grouped = byName(rows as readonly SqlRow[]);
    if (names === 'all') map.clear();
    else for (const n of names) map.delete(n);
    for (const [n, list] of grouped) {
      const set = counted(this.dict, table, list);
      if (set.error) problems.push({ table, name: n, message: set.error });
      map.set(n, set);
    }
    return problems;
  }

  /** Every user name that has rows in radcheck, radreply or radusergroup (for the CLI). */
  userNames(): string[] {
    return [...new Set([...this.userCheck.keys(), ...this.userReply.keys(), ...this.userGroups.keys()])].sort();
  }
}
