import type { Avp } from '../protocol/attribute.js';
import type { Item } from './entry.js';
import { mergeReply, type MergeItem } from './merge.js';
import type { ModuleContext, ModuleResult } from './module.js';
import { type FallThrough, type RowSet, sqlEscape } from './sql-row.js';

/**
 * rlm_sql's authorize (FreeRADIUS 3.2.1 `mod_authorize` and `rlm_sql_process_groups`,
 * src/modules/rlm_sql/rlm_sql.c, lines 1134-1360 and 689-845) over rows already read: pure, no
 * I/O; test/pgsql compares it with FreeRADIUS on random rows. In short:
 *
 * 1. radcheck rows of SQL-User-Name (User-Name, escaped): none -> skip to the groups. Otherwise
 *    the comparison items are tested against the request; if they hold, all items are merged
 *    into control with `radius_pairmove` (the reply merge, not the users file's control merge),
 *    and radreply rows are merged into the reply; their first Fall-Through row is remembered.
 * 2. Groups (radusergroup by priority) when Fall-Through = Yes, or read_groups and no
 *    Fall-Through: a group whose radgroupcheck fails is skipped; a group that matches merges its
 *    check items into control and its radgroupreply into the reply, and the loop goes on only if
 *    that group's reply says Fall-Through = Yes.
 * 3. Profiles, under the same condition: User-Profile from control, else default_profile, is
 *    looked up as a user in radusergroup and its groups processed the same way.
 *
 * A row that does not parse fails the request when the step that reads it runs (FreeRADIUS:
 * "Error parsing user data from database result" -> fail -> Access-Reject); a failure inside the
 * group step of a user with no radcheck / radreply rows is `notfound` instead, as in rlm_sql.
 */

/** The rows the algorithm reads, by escaped name (what the stock queries would be given). */
export interface SqlRows {
  check(user: string): RowSet & { rows: number };
  reply(user: string): RowSet & { rows: number };
  /** Group names of radusergroup in priority order (as stored, unescaped). */
  groups(user: string): readonly string[];
  groupCheck(group: string): RowSet & { rows: number };
  groupReply(group: string): RowSet & { rows: number };
}

export interface SqlAuthorizeOptions {
  /** `read_groups` (default yes). */
  readGroups: boolean;
  /** `read_profiles` (default yes). */
  readProfiles: boolean;
  /** `default_user_profile` (none by default). */
  defaultProfile?: string;
}

const USER_PROFILE = 1062;

/**
 * Work done once per row set (row sets are immutable: a change replaces them): its items as
 * merge items, and what merging them into an empty list gives (the common case: a user's first
 * reply rows), so that case is a copy. Kept beside the items, never on them.
 */
interface PreparedRows {
  items: MergeItem[];
  alone: readonly Avp[];
}
const prepared = new WeakMap<readonly Item[], PreparedRows>();

function prepare(items: readonly Item[]): PreparedRows {
  let p = prepared.get(items);
  if (!p) {
    const merge = items.map((i) => ({ op: i.op, avp: i.tag !== undefined ? { def: i.attr, value: i.value, tag: i.tag } : { def: i.attr, value: i.value } }));
    p = { items: merge, alone: mergeReply([], merge).slice() };
    prepared.set(items, p);
  }
  return p;
}

/** radius_pairmove(list, items). */
function merge(list: Avp[], items: readonly Item[]): Avp[] {
  if (items.length === 0) return list;
  const p = prepare(items);
  return list.length === 0 ? p.alone.slice() : mergeReply(list, p.items);
}

type GroupsResult = { rcode: 'ok' | 'noop' | 'notfound' | 'fail'; fallThrough: FallThrough; detail?: string };

function processGroups(ctx: ModuleContext, rows: SqlRows, user: string, fallThroughIn: FallThrough): GroupsResult {
  const groups = rows.groups(user);
  if (groups.length === 0) {
    ctx.trace?.(`sql: "${user}" is in no group`);
    return { rcode: 'notfound', fallThrough: 'default' };
  }
  let rcode: GroupsResult['rcode'] = 'noop';
  let fallThrough = fallThroughIn;
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    const key = sqlEscape(group);
    const check = rows.groupCheck(key);
    if (check.error) return { rcode: 'fail', fallThrough, detail: check.error };
    if (check.rows > 0) {
      const fail = ctx.compare(check.items);
      if (fail) {
        // rlm_sql's "goto next": the next group is tried whatever the fall-through
        ctx.trace?.(`sql: group "${group}": check items do not match (${fail})`);
        continue;
      }
    }
    ctx.trace?.(`sql: group "${group}": check items matched, merging`);
    rcode = 'ok';
    ctx.control = merge(ctx.control, check.items);
    const reply = rows.groupReply(key);
    if (reply.error) return { rcode: 'fail', fallThrough, detail: reply.error };
    fallThrough = reply.fallThrough;
    ctx.reply = merge(ctx.reply, reply.items);
    if (fallThrough !== 'yes') break;
  }
  return { rcode, fallThrough };
}

function findControl(control: readonly Avp[], type: number): Avp | undefined {
  for (const a of control) if (a.def.vendorId === 0 && a.def.type === type) return a;
  return undefined;
}

/** Runs rlm_sql's authorize for the lookup key `userName` (User-Name up to its first NUL). */
export function sqlAuthorize(ctx: ModuleContext, userName: string, rows: SqlRows, opts: SqlAuthorizeOptions): ModuleResult {
  const user = sqlEscape(userName);
  let userFound = false;
  let fallThrough: FallThrough = 'default';
  let rcode: ModuleResult['code'] = 'noop';

  const check = rows.check(user);
  if (check.error) return { code: 'fail', detail: check.error };
  let readReply = false;
  if (check.rows === 0) {
    ctx.trace?.(`sql: "${user}" not found in radcheck`);
  } else {
    userFound = true;
    const fail = ctx.compare(check.items);
    if (fail) {
      ctx.trace?.(`sql: "${user}": radcheck items do not match (${fail})`);
    } else {
      ctx.trace?.(`sql: "${user}": radcheck items matched, merging into control`);
      ctx.control = merge(ctx.control, check.items);
      rcode = 'ok';
      readReply = true;
    }
  }
  if (readReply) {
    const reply = rows.reply(user);
    if (reply.error) return { code: 'fail', detail: reply.error };
    if (reply.rows > 0) {
      fallThrough = reply.fallThrough;
      userFound = true;
      ctx.trace?.(`sql: "${user}": merging radreply${fallThrough !== 'default' ? `, Fall-Through = ${fallThrough === 'yes' ? 'Yes' : 'No'}` : ''}`);
      ctx.reply = merge(ctx.reply, reply.items);
      rcode = 'ok';
    }
  }

  const step = (name: string): ModuleResult | undefined => {
    const r = processGroups(ctx, rows, name, fallThrough);
    fallThrough = r.fallThrough;
    if (r.rcode === 'fail') return { code: userFound ? 'fail' : 'notfound', ...(r.detail ? { detail: r.detail } : {}) };
    if (r.rcode === 'ok' || r.rcode === 'noop') {
      if (r.rcode === 'ok') rcode = 'ok';
      userFound = true;
    }
    return undefined;
  };

  if (fallThrough === 'yes' || (opts.readGroups && fallThrough === 'default')) {
    const stop = step(user);
    if (stop) return stop;
  }
  if (fallThrough === 'yes' || (opts.readProfiles && fallThrough === 'default')) {
    const vp = findControl(ctx.control, USER_PROFILE);
    const profile = vp ? vp.value.toString('utf8') : opts.defaultProfile;
    if (profile) {
      ctx.trace?.(`sql: checking profile "${profile}"`);
      const stop = step(sqlEscape(profile));
      if (stop) return stop;
    }
  }
  return { code: userFound ? rcode : 'notfound' };
}
