import type { Dictionary } from '../protocol/dictionary.js';
import { explainPgError, redactUrl } from '../store/pgsql/pg-source.js';
import { SqlStoreError, SqlUserStore } from '../store/pgsql/sql-user-store.js';
import { LIST_KEYS, ProfileError, type ListKey } from '../store/sqlite/profile.js';
import type { PasswordItem } from '../store/sqlite/password-hash.js';
import type { NasSpec, UserProfileView } from '../store/sqlite/user-store.js';
import type { ProfileChange, UserDirectory, UserPage } from './user-directory.js';

/**
 * FreeRADIUS's SQL schema in PostgreSQL (`users.sql`) as a {@link UserDirectory}: the same
 * SqlUserStore operations as the `users` CLI, so the web administration writes the rows the CLI
 * writes (radcheck / radreply, one group per NAS override, `Auth-Type := Reject` to disable),
 * each request in one transaction. One connection, opened on first use, one request at a time
 * on it (a transaction owns the connection); a connection that failed is dropped and the next
 * request connects again. A database that cannot be reached is a SqlStoreError (HTTP 503).
 */
export class SqlUserDirectory implements UserDirectory {
  readonly name: string;
  private store: Promise<SqlUserStore> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly url: string, private readonly dictionary: () => Dictionary, private readonly timeoutMs: number) {
    this.name = `sql:${redactUrl(url)}`;
  }

  async close(): Promise<void> {
    const s = this.store;
    this.store = undefined;
    if (s) await (await s.catch(() => undefined))?.close();
  }

  list(q: { search?: string; offset: number; limit: number }): Promise<UserPage> {
    return this.use(async (s) => {
      const page = await s.page(q.search ?? '', q.offset, q.limit);
      return {
        total: page.total, offset: q.offset, limit: q.limit,
        users: page.users.map((p) => ({
          name: p.name,
          enabled: p.valid,
          nas: p.entries.filter((e) => e.nas !== undefined && e.group === undefined).map((e) => e.nas!),
          password: p.entries[0]?.password?.attribute ?? null,
        })),
      };
    });
  }

  get(name: string): Promise<UserProfileView | undefined> {
    return this.use(async (s) => {
      try {
        return await s.show(name);
      } catch (err) {
        if (err instanceof ProfileError && err.code === 'not_found') return undefined;
        throw err;
      }
    });
  }

  create(name: string, change: ProfileChange & { password: PasswordItem }): Promise<void> {
    return this.use((s) => s.inTransaction(async () => {
      const overrides: NasSpec[] = change.overrides.map((o) => ({ nas: o.nas, lists: { ...o.lists }, password: change.password }));
      await s.add(name, { lists: { ...change.lists }, password: change.password }, overrides);
      if (!change.enabled) await s.setValid(name, false);
    }));
  }

  replace(name: string, change: ProfileChange): Promise<void> {
    return this.use((s) => s.inTransaction(async () => {
      const current = await s.show(name); // throws not_found
      const missing = (lists: Partial<Record<ListKey, string>>): ListKey[] => LIST_KEYS.filter((k) => lists[k] === undefined);
      const wanted = new Set(change.overrides.map((o) => o.nas));
      // the user's own overrides only: an entry of a shared group is not the user's to delete
      for (const e of current.entries) {
        if (e.nas !== undefined && e.group === undefined && !wanted.has(e.nas)) await s.delete(name, e.nas);
      }
      const general = { lists: { ...change.lists }, unset: missing(change.lists), ...(change.password ? { password: change.password } : {}) };
      const overrides: NasSpec[] = change.overrides.map((o) => ({ nas: o.nas, lists: { ...o.lists }, unset: missing(o.lists) }));
      await s.set(name, general, overrides);
      await s.setValid(name, change.enabled);
    }));
  }

  setEnabled(name: string, enabled: boolean): Promise<void> {
    return this.use(async (s) => { await s.setValid(name, enabled); });
  }

  delete(name: string): Promise<void> {
    return this.use(async (s) => { await s.delete(name); });
  }

  /** Runs `body` after the requests before it, on a live connection. */
  private use<T>(body: (s: SqlUserStore) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.store ??= SqlUserStore.open(this.url, this.dictionary, this.timeoutMs);
      let s: SqlUserStore;
      try {
        s = await this.store;
      } catch (err) {
        this.store = undefined;
        throw err;
      }
      try {
        return await body(s);
      } catch (err) {
        if (err instanceof ProfileError) throw err;
        // anything else came from the connection or the database: start afresh next time
        this.store = undefined;
        await s.close();
        throw err instanceof SqlStoreError ? err : new SqlStoreError(`PostgreSQL at ${redactUrl(this.url)}: ${explainPgError(err)}`);
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
