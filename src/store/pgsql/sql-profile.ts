import { createHash } from 'node:crypto';
import type { Dictionary } from '../../protocol/dictionary.js';
import { ValueError } from '../../protocol/values.js';
import type { Item, Operator, Quote } from '../../policy/entry.js';
import { sqlEscape, sqlRowItem } from '../../policy/sql-row.js';
import { getThing } from '../../policy/users-lexer.js';
import { buildItem } from '../sqlite/item-builder.js';
import { ProfileError } from '../sqlite/profile.js';
import { PASSWORD_ATTRIBUTES } from '../sqlite/schema.js';
import type { StoredEntry, StoredItem } from '../sqlite/stored-entry.js';

/**
 * Users-file entries (the store's entry model) <-> FreeRADIUS's rlm_sql rows, for the `users`
 * CLI on PostgreSQL. Pure: the I/O is in sql-user-store.ts.
 *
 * What is written for one user (`username` = the name escaped as rlm_sql looks it up, so
 * `o'brien` is stored as `o=27brien`):
 * - **One entry** (the common case, what daloRADIUS writes): its check items in radcheck
 *   (`Cleartext-Password :=` or the hashed `*-Password :=`), its reply items in radreply (the
 *   Vutlan lists with `=`).
 * - **Several entries** (per-NAS overrides, or several entries of an imported users file): one
 *   group per entry, `vutlan-radius:<user>:<n>` in radusergroup with priority n, the entry's check
 *   items in radgroupcheck (`NAS-IP-Address == ...`) and its reply items in radgroupreply. rlm_sql
 *   applies the first group whose check items match and reads the next one only after
 *   `Fall-Through = Yes`: exactly the users file's first-match rule. When every entry has the
 *   same password and the last entry matches every request, the password is written once in
 *   radcheck (with `Fall-Through = Yes` in radreply, so the groups are read even with
 *   `read_groups = no`).
 * - **Disabled** (the `disable` command): `Auth-Type := Reject` among the entry's check items
 *   (radcheck, or the entry's group). In radcheck nothing can skip it (a reject group can be
 *   skipped by a radreply `Fall-Through = No` or by group priorities), and FreeRADIUS and
 *   daloRADIUS read it as "this user is refused".
 *
 * Rows written by other tools are read as rlm_sql answers them (entriesForExport), and groups
 * that are not a user's own (`viewers` shared by many users) are never changed by a user's edit.
 */

/** A row of radcheck / radreply / radgroupcheck / radgroupreply as read. */
export interface IdRow {
  id: number;
  attribute: string;
  op: string;
  value: string;
}

/** A row to write (the name column is the user's or group's). */
export type AvRow = Omit<IdRow, 'id'>;

/** One radusergroup row of a user, with the group's check and reply rows. */
export interface SqlMembership {
  id: number;
  groupname: string;
  priority: number;
  check: IdRow[];
  reply: IdRow[];
}

/** Everything the tables hold for one stored user name. */
export interface SqlUserRows {
  username: string;
  check: IdRow[];
  reply: IdRow[];
  /** In priority order (ties by id, as the server reads them). */
  groups: SqlMembership[];
}

/** The rows of one user's own layout. */
export interface UserRowsToWrite {
  username: string;
  check: AvRow[];
  reply: AvRow[];
  groups: { groupname: string; priority: number; check: AvRow[]; reply: AvRow[] }[];
}

/** The name as stored in the username column: rlm_sql's escaping of the login name. */
export function storedUserName(login: string): string {
  return sqlEscape(login);
}

/** The login name a stored name answers, or undefined when no request can reach it. */
export function loginUserName(stored: string): string | undefined {
  const bytes: number[] = [];
  const raw = Buffer.from(stored, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const hex = raw[i] === 0x3d ? raw.subarray(i + 1, i + 3).toString('latin1') : '';
    if (/^[0-9A-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(raw[i]!);
    }
  }
  const login = Buffer.from(bytes).toString('utf8');
  return sqlEscape(login) === stored ? login : undefined;
}

const GROUP_PREFIX = 'vutlan-radius:';
const OWN_GROUP = /^vutlan-radius:([^:]*):([0-9]+)$/;

/**
 * The part of a user's own group names that names the user: the stored name when it is made of
 * characters rlm_sql does not escape in a group name (and no `:`), else a hash of it.
 */
export function groupToken(stored: string): string {
  return /^[A-Za-z0-9@._/-]+$/.test(stored) ? stored : `sha1-${createHash('sha1').update(stored).digest('hex').slice(0, 16)}`;
}

/** The name of a user's n-th own group (n from 1). */
export function ownGroupName(stored: string, n: number): string {
  return `${GROUP_PREFIX}${groupToken(stored)}:${n}`;
}

/** Whether `groupname` is one of the user's own groups. */
export function isOwnGroup(stored: string, groupname: string): boolean {
  const m = OWN_GROUP.exec(groupname);
  return m !== null && m[1] === groupToken(stored);
}

/** The regular expression (PostgreSQL `~`) matching every own group of any user. */
export const OWN_GROUP_PATTERN = '^vutlan-radius:[^:]*:[0-9]+$';

const REJECT: AvRow = { attribute: 'Auth-Type', op: ':=', value: 'Reject' };

function isReject(r: AvRow): boolean {
  return r.attribute.toLowerCase() === 'auth-type' && r.op.trim() === ':=' && unquoteSqlValue(r.value) === 'Reject';
}

function isFallThroughRow(r: AvRow): boolean {
  return r.attribute.toLowerCase() === 'fall-through';
}

function fallThroughOf(reply: readonly AvRow[]): 'yes' | 'no' | 'default' {
  const ft = reply.find(isFallThroughRow);
  if (!ft) return 'default';
  return /^(yes|1)$/i.test(unquoteSqlValue(ft.value).trim()) ? 'yes' : 'no';
}

/** A value as rlm_sql reads it: wholly in matching quotes -> unquoted by the lexer. */
function unquoteSqlValue(value: string): string {
  const q = value[0];
  if (value.length >= 2 && (q === '"' || q === "'") && value[value.length - 1] === q) {
    const t = getThing(value, 0, false, 1024);
    if (t.kind === 'DQ' || t.kind === 'SQ') return t.text;
  }
  return value;
}

/**
 * A row as a users-file item meaning the same: the op as rlm_sql reads it (empty = `==`; `=` in
 * a check table compares like `==`), the value as the lexer hands it over, written bare, in
 * double quotes, or in single quotes when it holds `%` (no expansion, as in SQL).
 */
export function itemFromRow(row: AvRow, table: 'check' | 'reply'): StoredItem {
  let op = row.op.trim() || '==';
  if (table === 'check' && op === '=') op = '==';
  let attribute = row.attribute;
  let tag: number | undefined;
  const tagged = /^(.*):([0-9]{1,2})$/.exec(attribute);
  if (tagged) {
    attribute = tagged[1]!;
    tag = Number(tagged[2]);
  }
  const lexed = unquoteSqlValue(row.value);
  let text: string;
  let quote: Quote;
  if (/^[A-Za-z0-9_.:/-]+$/.test(lexed)) {
    text = lexed;
    quote = '';
  } else if (!lexed.includes('%')) {
    text = lexed.replace(/"/g, '\\"');
    quote = '"';
  } else {
    text = lexed.replace(/'/g, "\\'");
    quote = "'";
  }
  const item: StoredItem = { attribute, op: op as Operator, text, quote };
  if (tag !== undefined) item.tag = tag;
  return item;
}

/**
 * An item as a row rlm_sql (and our SQL source) reads back as the same item: the value the
 * users-file lexer would hand to the value parser, which both parse the same way. Refuses what
 * SQL cannot hold: per-request expansions (`"%{...}"`, back-quotes).
 */
export function rowFromItem(dict: Dictionary, item: StoredItem, where: string): AvRow {
  if (item.quote === '`') {
    throw new ProfileError('invalid_argument', `${where}: ${item.attribute}: a back-quoted value runs a program per request; SQL rows cannot hold it (store the plain value)`);
  }
  let built: Item;
  try {
    built = buildItem(dict, item);
  } catch (e) {
    if (e instanceof ValueError) throw new ProfileError('invalid_argument', `${where}: ${e.message}`);
    throw e;
  }
  if (built.expand) {
    throw new ProfileError('invalid_argument', `${where}: ${item.attribute}: "%{...}" is expanded per request in a users file but never in SQL rows; keep this entry in an authorize file (users.files)`);
  }
  const lexed = item.quote === '' ? item.text : getThing(`${item.quote}${item.text}${item.quote}`, 0, false, 1024).text;
  const q = lexed[0];
  const wrapped = lexed.length >= 2 && (q === '"' || q === "'") && lexed[lexed.length - 1] === q;
  const value = wrapped ? `"${lexed.replace(/"/g, '\\"')}"` : lexed;
  const attribute = item.tag !== undefined && !(built.attr.flags.hasTag && lexed.startsWith(':')) ? `${item.attribute}:${item.tag}` : item.attribute;
  return { attribute, op: item.op, value };
}

/** A users-file check item `=` adds when absent; in radcheck `=` compares, so write `:=`. */
function checkRow(dict: Dictionary, item: StoredItem, where: string): AvRow {
  const row = rowFromItem(dict, item, where);
  return row.op === '=' ? { ...row, op: ':=' } : row;
}

/** Refuses a row the server would reject (unknown attribute, bad value, empty vendor value). */
function validateRow(dict: Dictionary, row: AvRow, where: string): void {
  try {
    sqlRowItem(dict, { id: 0, name: '', ...row });
  } catch (e) {
    if (e instanceof ValueError) throw new ProfileError('invalid_argument', `${where}: ${e.message}`);
    throw e;
  }
}

function isPassword(i: StoredItem): boolean {
  return PASSWORD_ATTRIBUTES.includes(i.attribute) && i.op === ':=';
}

function sameItem(a: StoredItem | undefined, b: StoredItem | undefined): boolean {
  return !!a && !!b && a.attribute === b.attribute && a.op === b.op && a.text === b.text && a.quote === b.quote && a.tag === b.tag;
}

function entryWhere(login: string, e: StoredEntry): string {
  return e.origin ?? `user "${login}"`;
}

/**
 * The own rows of a user whose entries (in order) are `entries`. `keepsForeignGroups`: the user
 * is also in groups of other tools, which stay; then only the one-entry form is possible (groups
 * of our own would change how those groups apply).
 */
export function userRows(dict: Dictionary, login: string, entries: readonly StoredEntry[], keepsForeignGroups: boolean): UserRowsToWrite {
  const username = storedUserName(login);
  const out: UserRowsToWrite = { username, check: [], reply: [], groups: [] };
  if (entries.length === 0) return out;
  const withReject = (rows: AvRow[], e: StoredEntry) => (e.valid || rows.some(isReject) ? rows : [...rows, REJECT]);
  const first = entries[0]!;
  if (entries.length === 1 && first.check.length > 0) {
    const where = entryWhere(login, first);
    out.check = withReject(first.check.map((i) => checkRow(dict, i, where)), first);
    out.reply = first.reply.map((i) => rowFromItem(dict, i, where));
    if (first.fallThrough) out.reply.push({ attribute: 'Fall-Through', op: '=', value: 'Yes' });
    else if (keepsForeignGroups) out.reply.push({ attribute: 'Fall-Through', op: '=', value: 'No' });
  } else {
    if (keepsForeignGroups) {
      throw new ProfileError('invalid_argument',
        `user "${login}" is also in groups managed outside vutlan-radius (radusergroup); per-NAS entries would change how those groups apply: remove the memberships first (psql, daloRADIUS)`);
    }
    const password = first.check.find(isPassword);
    const last = entries[entries.length - 1]!;
    const hoist = password !== undefined &&
      entries.every((e) => sameItem(e.check.find(isPassword), password)) &&
      last.check.every((i) => sameItem(i, password));
    if (hoist) {
      out.check = [checkRow(dict, password, entryWhere(login, first))];
      out.reply = [{ attribute: 'Fall-Through', op: '=', value: 'Yes' }];
    }
    entries.forEach((e, i) => {
      const where = entryWhere(login, e);
      const check = e.check.filter((c) => !(hoist && sameItem(c, password))).map((c) => checkRow(dict, c, where));
      const reply = e.reply.map((r) => rowFromItem(dict, r, where));
      if (e.fallThrough) reply.push({ attribute: 'Fall-Through', op: '=', value: 'Yes' });
      out.groups.push({ groupname: ownGroupName(username, i + 1), priority: i + 1, check: withReject(check, e), reply });
    });
  }
  for (const r of [...out.check, ...out.reply, ...out.groups.flatMap((g) => [...g.check, ...g.reply])]) {
    validateRow(dict, r, `user "${login}"`);
  }
  return out;
}

/** A user's rows as the CLI edits them. */
export interface SqlProfile {
  /** The user's own entries (disabled ones with valid = false). */
  own: StoredEntry[];
  /** Entries of groups managed by other tools, read-only; `group` names them. */
  foreign: (StoredEntry & { group: string })[];
  /** Why the own rows cannot be edited (changed by another tool into a form we do not write). */
  readOnly?: string;
}

function entryOf(name: string, id: number, check: readonly IdRow[], reply: readonly IdRow[], stripReject: boolean): StoredEntry {
  const rejected = stripReject && check.some(isReject);
  return {
    id, position: 0, name, fallThrough: fallThroughOf(reply) === 'yes', valid: !rejected,
    check: check.filter((r) => !(stripReject && isReject(r))).map((r) => itemFromRow(r, 'check')),
    reply: reply.filter((r) => !isFallThroughRow(r)).map((r) => itemFromRow(r, 'reply')),
  };
}

/** Whether the rows are exactly what userRows writes for several entries. */
function isGroupLayout(u: SqlUserRows): boolean {
  if (u.groups.length === 0 || !u.groups.every((g) => isOwnGroup(u.username, g.groupname))) return false;
  if (u.check.length === 0) return u.reply.length === 0;
  return u.check.length === 1 && isPassword(itemFromRow(u.check[0]!, 'check')) &&
    u.reply.length === 1 && isFallThroughRow(u.reply[0]!) && fallThroughOf(u.reply) === 'yes';
}

function groupEntries(login: string, u: SqlUserRows, prefix: readonly IdRow[], stripReject: boolean): StoredEntry[] {
  return u.groups.map((g) => entryOf(login, g.id, [...prefix, ...g.check], g.reply, stripReject));
}

/** The CLI's view of a user's rows. */
export function sqlProfile(login: string, u: SqlUserRows): SqlProfile {
  if (isGroupLayout(u)) return { own: groupEntries(login, u, u.check, true), foreign: [] };
  const own: StoredEntry[] = [];
  if (u.check.length > 0 || u.reply.length > 0) {
    const e = entryOf(login, u.check[0]?.id ?? u.reply[0]!.id, u.check, u.reply, true);
    // with groups after it, the entry goes on to them unless radreply says Fall-Through = No
    if (u.groups.length > 0 && fallThroughOf(u.reply) === 'default') e.fallThrough = true;
    own.push(e);
  }
  const foreign = u.groups.map((g) => ({ ...entryOf(login, g.id, g.check, g.reply, true), group: g.groupname }));
  const ownGroups = u.groups.filter((g) => isOwnGroup(u.username, g.groupname)).map((g) => g.groupname);
  if (ownGroups.length > 0) {
    return { own, foreign, readOnly: `the rows of user "${login}" were changed by another tool (${ownGroups.join(', ')} no longer match radcheck / radreply); fix them with psql, or delete and add the user again` };
  }
  if (u.check.length === 0 && u.reply.length > 0) {
    return { own, foreign, readOnly: `user "${login}" has radreply rows but no radcheck row, so rlm_sql never reads them; add a radcheck row with psql, or delete and add the user again` };
  }
  return { own, foreign };
}

/**
 * A user's rows as users-file entries that answer like rlm_sql 3.2 on them (`read_groups = yes`,
 * profiles not followed): the radcheck + radreply entry (none without radcheck rows, whose
 * radreply rlm_sql never reads), going on to the groups unless radreply says
 * `Fall-Through = No`; then one entry per group in priority order, going on only after its
 * `Fall-Through = Yes`. `Auth-Type := Reject` stays an item, so a disabled user stays refused.
 */
export function entriesForExport(login: string, u: SqlUserRows): StoredEntry[] {
  if (isGroupLayout(u)) return groupEntries(login, u, u.check, false);
  const out: StoredEntry[] = [];
  if (u.check.length > 0) {
    const e = entryOf(login, u.check[0]!.id, u.check, u.reply, false);
    const ft = fallThroughOf(u.reply);
    e.fallThrough = ft === 'yes' || (ft === 'default' && u.groups.length > 0);
    out.push(e);
  }
  out.push(...groupEntries(login, u, [], false));
  return out;
}
