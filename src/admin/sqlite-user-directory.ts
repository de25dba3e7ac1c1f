import type { Dictionary } from '../protocol/dictionary.js';
import { EntryDecoder } from '../store/sqlite/entry-decoder.js';
import { LIST_KEYS, ProfileError, type ListKey } from '../store/sqlite/profile.js';
import { readEntriesNamed } from '../store/sqlite/stored-entry.js';
import { UserStore, type NasSpec, type UserProfileView } from '../store/sqlite/user-store.js';
import type { PasswordItem } from '../store/sqlite/password-hash.js';
import type { ProfileChange, UserDirectory, UserPage, UserSummary } from './user-directory.js';

/**
 * The SQLite user store as a {@link UserDirectory}. Writes go through the same `UserStore`
 * operations as the `users` CLI, inside one IMMEDIATE transaction per request, and end with the
 * CLI's decode check (every entry of the user must decode with the server's dictionary), so a
 * change either lands whole and usable or not at all.
 */
export class SqliteUserDirectory implements UserDirectory {
  readonly name: string;
  private readonly store: UserStore;

  constructor(path: string, private readonly dictionary: () => Dictionary) {
    this.store = new UserStore(path);
    this.name = `sqlite:${path}`;
  }

  close(): void {
    this.store.close();
  }

  async list(q: { search?: string; offset: number; limit: number }): Promise<UserPage> {
    const db = this.store.db;
    const like = q.search ? `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
    const where = `e.is_default = 0${like ? " AND e.name LIKE ? ESCAPE '\\'" : ''}`;
    const args = like ? [like] : [];
    const total = (db.prepare(`SELECT count(DISTINCT e.name) AS n FROM entries e WHERE ${where}`).get(...args) as { n: number }).n;
    // one page of names through the (name, position) index, then only those users' details
    const names = db.prepare(`SELECT DISTINCT e.name AS name FROM entries e WHERE ${where} ORDER BY e.name LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset) as Array<{ name: string }>;
    const detail = db.prepare(`SELECT id, valid, nas, password_attribute FROM users WHERE name = ? ORDER BY position, id`);
    const users: UserSummary[] = names.map(({ name }) => {
      const rows = detail.all(name) as Array<{ id: number; valid: number; nas: string | null; password_attribute: string | null }>;
      return {
        name,
        enabled: rows.some((r) => r.valid === 1),
        nas: rows.filter((r) => r.nas !== null).map((r) => r.nas!),
        password: rows[0]?.password_attribute ?? null,
      };
    });
    return { total, offset: q.offset, limit: q.limit, users };
  }

  async get(name: string): Promise<UserProfileView | undefined> {
    try {
      return this.store.show(name);
    } catch (err) {
      if (err instanceof ProfileError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  async create(name: string, change: ProfileChange & { password: PasswordItem }): Promise<void> {
    this.write(name, () => {
      const overrides: NasSpec[] = change.overrides.map((o) => ({ nas: o.nas, lists: { ...o.lists }, password: change.password }));
      this.store.add(name, { lists: { ...change.lists }, password: change.password }, overrides);
      if (!change.enabled) this.store.setValid(name, false);
    });
  }

  async replace(name: string, change: ProfileChange): Promise<void> {
    this.write(name, () => {
      const current = this.store.show(name); // throws not_found
      const missing = (lists: Partial<Record<ListKey, string>>): ListKey[] => LIST_KEYS.filter((k) => lists[k] === undefined);
      const wanted = new Set(change.overrides.map((o) => o.nas));
      for (const e of current.entries) {
        if (e.nas !== undefined && !wanted.has(e.nas)) this.store.delete(name, e.nas);
      }
      const general = { lists: { ...change.lists }, unset: missing(change.lists), ...(change.password ? { password: change.password } : {}) };
      const overrides: NasSpec[] = change.overrides.map((o) => ({ nas: o.nas, lists: { ...o.lists }, unset: missing(o.lists) }));
      this.store.set(name, general, overrides);
      this.store.setValid(name, change.enabled);
    });
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    this.write(name, () => this.store.setValid(name, enabled));
  }

  async delete(name: string): Promise<void> {
    this.write(name, () => this.store.delete(name));
  }

  private write(name: string, body: () => void): void {
    this.store.db.transaction(() => {
      body();
      const decoder = new EntryDecoder(this.dictionary(), this.name);
      for (const e of readEntriesNamed(this.store.db, name)) decoder.decode(e);
    }).immediate();
  }
}
