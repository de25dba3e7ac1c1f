import pg from 'pg';
import type { Dictionary } from '../../protocol/dictionary.js';
import { sqlEscape } from '../../policy/sql-row.js';
import type { ProfileStore } from '../profile-store.js';
import { applySpec, type EntrySpec, nasItem, nasOf, newProfileEntry, ProfileError, viewEntry } from '../sqlite/profile.js';
import type { StoredEntry } from '../sqlite/stored-entry.js';
import { entryToSet, type NasSpec, setSpecFor, type UserProfileView, validateName } from '../sqlite/user-store.js';
import { explainPgError, redactUrl, urlProblem } from './pg-source.js';
import {
  entriesForExport, groupToken, type IdRow, loginUserName, OWN_GROUP_PATTERN, type SqlProfile, sqlProfile, type SqlUserRows,
  storedUserName, type UserRowsToWrite, userRows,
} from './sql-profile.js';

/**
 * The `users` CLI's operations on FreeRADIUS's SQL schema in PostgreSQL (the tables unchanged;
 * rows as sql-profile.ts lays them out). Each command is one transaction, serialised with other
 * writers of ours by an advisory lock; a reader sees all of a command or none. Servers pick the
 * change up by their own polling (change log or fingerprints), without reload.
 */

const LOCK = "SELECT pg_advisory_xact_lock(hashtext('vutlan-radius users'))";

/** A database the CLI cannot use (connection, credentials, schema): exit 1. */
export class SqlStoreError extends Error {
  override name = 'SqlStoreError';
}

function canonicalIp(ip: string): string {
  return nasItem(ip).text;
}

export class SqlUserStore implements ProfileStore {
  readonly label: string;
  private depth = 0;

  private constructor(private readonly client: pg.Client, private readonly dict: () => Dictionary, url: string) {
    this.label = redactUrl(url);
  }

  /** Connects and checks that FreeRADIUS's user tables are there. */
  static async open(url: string, dict: () => Dictionary, timeoutMs = 5000): Promise<SqlUserStore> {
    const problem = urlProblem(url);
    if (problem) throw new ProfileError('invalid_argument', `--sql: ${problem}`);
    const client = new pg.Client({
      connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs * 12, application_name: 'vutlan-radius users',
    });
    client.on('error', () => undefined); // a dead connection fails the query in flight
    try {
      await client.connect();
      await client.query('SELECT 1 FROM radcheck, radreply, radusergroup, radgroupcheck, radgroupreply LIMIT 0');
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new SqlStoreError(`cannot use PostgreSQL at ${redactUrl(url)}: ${explainPgError(err)}`);
    }
    return new SqlUserStore(client, dict, url);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }

  async list(): Promise<UserProfileView[]> {
    // by name: rewriting a user renumbers its rows, so row order says nothing
    const named = [...(await this.readUsers()).values()].map((u) => ({ login: loginUserName(u.username) ?? u.username, u }));
    named.sort((a, b) => (a.login < b.login ? -1 : a.login > b.login ? 1 : 0));
    return named.map(({ login, u }) => profileView(login, sqlProfile(login, u)));
  }

  /**
   * One page of profiles whose stored name contains `search` (case-insensitive), sorted by
   * stored name, and how many match: one query for the names, then only those users' rows.
   */
  async page(search: string, offset: number, limit: number): Promise<{ total: number; users: UserProfileView[] }> {
    const names = `SELECT username AS name FROM radcheck UNION SELECT username FROM radreply UNION SELECT username FROM radusergroup`;
    const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const total = await this.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${names}) u WHERE name ILIKE $1`, [like]);
    const page = await this.client.query<{ name: string }>(
      `SELECT name FROM (${names}) u WHERE name ILIKE $1 ORDER BY name COLLATE "C" LIMIT $2 OFFSET $3`, [like, limit, offset]);
    const users = await this.readUsers(page.rows.map((r) => r.name));
    return {
      total: total.rows[0]!.n,
      users: page.rows.map((r) => {
        const login = loginUserName(r.name) ?? r.name;
        return profileView(login, sqlProfile(login, users.get(r.name)!));
      }),
    };
  }

  async show(name: string): Promise<UserProfileView> {
    return profileView(name, await this.profileOf(name));
  }

  async add(name: string, general: EntrySpec, overrides: readonly NasSpec[]): Promise<string[]> {
    validateName(name);
    for (const o of overrides) nasItem(o.nas);
    const entries = [...overrides.map((o) => newProfileEntry(name, o, o.nas)), newProfileEntry(name, general)];
    const rows = userRows(this.dict(), name, entries, false);
    await this.transaction(async () => {
      const u = (await this.readUsers([storedUserName(name)])).get(storedUserName(name));
      if (u) throw new ProfileError('already_exists', `user "${name}" already exists (use "set" to change it)`);
      await this.writeUsers([rows]);
    });
    return [];
  }

  async set(name: string, general: EntrySpec, overrides: readonly NasSpec[]): Promise<void> {
    for (const o of overrides) nasItem(o.nas);
    await this.transaction(async () => {
      const p = await this.editableProfileOf(name);
      const entries = p.own.slice();
      const generalEntry = entryToSet(name, entries, general, overrides);
      entries.forEach((e, i) => { entries[i] = applySpec(e, setSpecFor(e, generalEntry, general)); });
      for (const o of overrides) {
        const at = entries.findIndex((e) => nasOf(e) === canonicalIp(o.nas));
        if (at >= 0) {
          entries[at] = applySpec(entries[at]!, o);
          continue;
        }
        const baseAt = entries.findIndex((e) => nasOf(e) === undefined);
        const base = entries[baseAt];
        const fresh = applySpec(base ? { ...base, check: [...base.check, nasItem(o.nas)], id: 0 } : newProfileEntry(name, { lists: {} }, o.nas), o);
        if (base) entries.splice(baseAt, 0, fresh);
        else entries.push(fresh);
      }
      await this.writeUsers([userRows(this.dict(), name, entries, p.foreign.length > 0)]);
    });
  }

  async setValid(name: string, valid: boolean, nas?: string): Promise<number> {
    return this.transaction(async () => {
      const p = await this.editableProfileOf(name);
      const picked = select(name, p.own, nas);
      const entries = p.own.map((e) => (picked.includes(e) ? { ...e, valid } : e));
      await this.writeUsers([userRows(this.dict(), name, entries, p.foreign.length > 0)]);
      return picked.length;
    });
  }

  async delete(name: string, nas?: string): Promise<number> {
    return this.transaction(async () => {
      if (nas === undefined) {
        const p = await this.profileOf(name);
        const stored = storedUserName(name);
        await this.writeUsers([{ username: stored, check: [], reply: [], groups: [] }]);
        await this.client.query('DELETE FROM radusergroup WHERE username = $1', [stored]);
        return p.own.length + p.foreign.length;
      }
      const p = await this.editableProfileOf(name);
      const picked = select(name, p.own, nas);
      const entries = p.own.filter((e) => !picked.includes(e));
      await this.writeUsers([userRows(this.dict(), name, entries, p.foreign.length > 0)]);
      return picked.length;
    });
  }

  async importEntries(entries: readonly StoredEntry[], replace: boolean, opts: { append?: boolean } = {}): Promise<number> {
    const byName = new Map<string, StoredEntry[]>();
    for (const e of entries) {
      if (e.name === 'DEFAULT') {
        throw new ProfileError('invalid_argument',
          `${e.origin ?? 'DEFAULT entry'}: DEFAULT entries have no place in FreeRADIUS's SQL schema (rlm_sql has no DEFAULT user): keep them in an authorize file listed in users.files (asked before sql), or import with --skip-default`);
      }
      let list = byName.get(e.name);
      if (!list) byName.set(e.name, (list = []));
      list.push(e);
    }
    for (const name of byName.keys()) validateName(name);
    return this.transaction(async () => {
      const stored = [...byName.keys()].map(storedUserName);
      if (replace) {
        for (const t of ['radcheck', 'radreply', 'radusergroup']) await this.client.query(`DELETE FROM ${t}`);
        for (const t of ['radgroupcheck', 'radgroupreply']) await this.client.query(`DELETE FROM ${t} WHERE groupname ~ $1`, [OWN_GROUP_PATTERN]);
      }
      const existing = replace ? new Map<string, SqlUserRows>() : await this.readUsers(stored);
      if (existing.size > 0 && !opts.append) {
        const names = [...byName.keys()].filter((n) => existing.has(storedUserName(n)));
        const shown = names.slice(0, 5).map((n) => `"${n}"`);
        if (names.length > shown.length) shown.push(`and ${names.length - shown.length} more`);
        throw new ProfileError('already_exists',
          `nothing imported: user${names.length === 1 ? '' : 's'} ${shown.join(', ')} already in the store (imported before?). Use --replace to replace the store's entries with the file's, or --append to add them anyway`);
      }
      const rows: UserRowsToWrite[] = [];
      for (const [name, list] of byName) {
        const u = existing.get(storedUserName(name));
        const p = u ? editable(name, sqlProfile(name, u)) : undefined;
        rows.push(userRows(this.dict(), name, p ? [...p.own, ...list] : list, (p?.foreign.length ?? 0) > 0));
      }
      await this.writeUsers(rows);
      return entries.length;
    });
  }

  async exportEntries(): Promise<{ entries: StoredEntry[]; notes: string[] }> {
    const users = await this.inSnapshot(() => this.readUsers());
    const entries: StoredEntry[] = [];
    const unreachable: string[] = [];
    for (const u of users.values()) {
      const login = loginUserName(u.username);
      if (login === undefined) unreachable.push(u.username);
      else entries.push(...entriesForExport(login, u));
    }
    const notes = unreachable.length === 0 ? [] : [
      `${unreachable.length} user name${unreachable.length === 1 ? '' : 's'} left out that no request can reach (rlm_sql escapes User-Name before the lookup): ${unreachable.slice(0, 5).map((n) => `"${n}"`).join(', ')}`,
    ];
    return { entries, notes };
  }

  private async profileOf(name: string): Promise<SqlProfile> {
    const u = (await this.readUsers([storedUserName(name)])).get(storedUserName(name));
    if (!u) throw new ProfileError('not_found', `no such user "${name}"`);
    return sqlProfile(name, u);
  }

  private async editableProfileOf(name: string): Promise<SqlProfile> {
    return editable(name, await this.profileOf(name));
  }

  /**
   * Runs several operations as one transaction (the web administration's "replace" is delete +
   * set + enable): operations called inside join it instead of committing on their own.
   */
  inTransaction<T>(body: () => Promise<T>): Promise<T> {
    return this.transaction(body);
  }

  private async transaction<T>(body: () => Promise<T>): Promise<T> {
    if (this.depth > 0) return body();
    this.depth++;
    try {
      await this.client.query('BEGIN');
      try {
        await this.client.query(LOCK);
        const r = await body();
        await this.client.query('COMMIT');
        return r;
      } catch (err) {
        await this.client.query('ROLLBACK').catch(() => undefined);
        if (err instanceof ProfileError || err instanceof SqlStoreError) throw err;
        throw new SqlStoreError(`PostgreSQL at ${this.label}: nothing written: ${explainPgError(err)}`);
      }
    } finally {
      this.depth--;
    }
  }

  /** Reads under one snapshot, so an export never mixes two commits. */
  private async inSnapshot<T>(body: () => Promise<T>): Promise<T> {
    await this.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      return await body();
    } finally {
      await this.client.query('COMMIT').catch(() => undefined);
    }
  }

  /** The rows of the given stored names (all users when undefined), in first-appearance order. */
  private async readUsers(names?: readonly string[]): Promise<Map<string, SqlUserRows>> {
    const where = names ? 'WHERE username = ANY($1::text[])' : '';
    const values = names ? [names] : [];
    const users = new Map<string, SqlUserRows>();
    const user = (n: string) => {
      let u = users.get(n);
      if (!u) users.set(n, (u = { username: n, check: [], reply: [], groups: [] }));
      return u;
    };
    const avRows = async (table: string, col: string, cond: string, vals: unknown[]) =>
      (await this.client.query<IdRow & { name: string }>(
        `SELECT id, ${col} AS name, attribute, op, value FROM ${table} ${cond} ORDER BY id`, vals)).rows;
    for (const r of await avRows('radcheck', 'username', where, values)) user(r.name).check.push(plain(r));
    for (const r of await avRows('radreply', 'username', where, values)) user(r.name).reply.push(plain(r));
    const memberships = (await this.client.query<{ id: number; username: string; groupname: string; priority: number }>(
      `SELECT id, username, groupname, priority FROM radusergroup ${where} ORDER BY priority, id`, values)).rows;
    const groupNames = [...new Set(memberships.map((m) => sqlEscape(m.groupname)))];
    const groupRows = new Map<string, { check: IdRow[]; reply: IdRow[] }>();
    if (groupNames.length > 0) {
      const gwhere = names ? 'WHERE groupname = ANY($1::text[])' : '';
      const gvalues = names ? [groupNames] : [];
      const group = (n: string) => {
        let g = groupRows.get(n);
        if (!g) groupRows.set(n, (g = { check: [], reply: [] }));
        return g;
      };
      for (const r of await avRows('radgroupcheck', 'groupname', gwhere, gvalues)) group(r.name).check.push(plain(r));
      for (const r of await avRows('radgroupreply', 'groupname', gwhere, gvalues)) group(r.name).reply.push(plain(r));
    }
    for (const m of memberships) {
      const g = groupRows.get(sqlEscape(m.groupname));
      user(m.username).groups.push({ id: m.id, groupname: m.groupname, priority: m.priority, check: g?.check ?? [], reply: g?.reply ?? [] });
    }
    return users;
  }

  /** Replaces the own rows of each user (radcheck, radreply, own groups); other memberships stay. */
  private async writeUsers(users: readonly UserRowsToWrite[]): Promise<void> {
    const names = users.map((u) => u.username);
    const tokens = names.map(groupToken);
    await this.client.query('DELETE FROM radcheck WHERE username = ANY($1::text[])', [names]);
    await this.client.query('DELETE FROM radreply WHERE username = ANY($1::text[])', [names]);
    await this.client.query('DELETE FROM radusergroup WHERE username = ANY($1::text[]) AND groupname ~ $2', [names, OWN_GROUP_PATTERN]);
    for (const t of ['radgroupcheck', 'radgroupreply']) {
      await this.client.query(`DELETE FROM ${t} WHERE groupname ~ $1 AND substring(groupname from '^vutlan-radius:([^:]*):[0-9]+$') = ANY($2::text[])`,
        [OWN_GROUP_PATTERN, tokens]);
    }
    const check: string[][] = [[], [], [], []];
    const reply: string[][] = [[], [], [], []];
    const gcheck: string[][] = [[], [], [], []];
    const greply: string[][] = [[], [], [], []];
    const member: string[][] = [[], [], []];
    const push = (to: string[][], name: string, r: { attribute: string; op: string; value: string }) => {
      to[0]!.push(name); to[1]!.push(r.attribute); to[2]!.push(r.op); to[3]!.push(r.value);
    };
    for (const u of users) {
      for (const r of u.check) push(check, u.username, r);
      for (const r of u.reply) push(reply, u.username, r);
      for (const g of u.groups) {
        member[0]!.push(u.username); member[1]!.push(g.groupname); member[2]!.push(String(g.priority));
        for (const r of g.check) push(gcheck, g.groupname, r);
        for (const r of g.reply) push(greply, g.groupname, r);
      }
    }
    const insert = async (table: string, col: string, cols: string[][]) => {
      if (cols[0]!.length === 0) return;
      await this.client.query(
        `INSERT INTO ${table} (${col}, attribute, op, value)
         SELECT n, a, o, v FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS t(n, a, o, v, i) ORDER BY i`, cols);
    };
    await insert('radcheck', 'username', check);
    await insert('radreply', 'username', reply);
    await insert('radgroupcheck', 'groupname', gcheck);
    await insert('radgroupreply', 'groupname', greply);
    if (member[0]!.length > 0) {
      await this.client.query(
        `INSERT INTO radusergroup (username, groupname, priority)
         SELECT n, g, p FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS t(n, g, p, i) ORDER BY i`, member);
    }
  }
}

function plain(r: IdRow & { name: string }): IdRow {
  return { id: r.id, attribute: r.attribute, op: r.op, value: r.value };
}

/** The profile, or a ProfileError when its own rows are in a form we do not edit. */
function editable(name: string, p: SqlProfile): SqlProfile {
  if (p.readOnly) throw new ProfileError('invalid_argument', p.readOnly);
  if (p.own.length === 0) {
    throw new ProfileError('invalid_argument',
      `user "${name}" has no rows of its own, only group memberships (${p.foreign.map((f) => f.group).join(', ')}); add its radcheck row first`);
  }
  return p;
}

function select(name: string, entries: readonly StoredEntry[], nas?: string): StoredEntry[] {
  if (nas === undefined) return entries.slice();
  const ip = canonicalIp(nas);
  const picked = entries.filter((e) => nasOf(e) === ip);
  if (picked.length === 0) throw new ProfileError('not_found', `user "${name}" has no entry for NAS ${nas}`);
  return picked;
}

function profileView(name: string, p: SqlProfile): UserProfileView {
  const entries = [...p.own.map(viewEntry), ...p.foreign.map((f) => ({ ...viewEntry(f), group: f.group }))];
  return { name, valid: entries.some((e) => e.valid), entries };
}
