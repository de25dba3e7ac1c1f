import type { Dictionary } from '../../protocol/dictionary.js';
import type { ProfileStore } from '../profile-store.js';
import { EntryDecoder } from './entry-decoder.js';
import type { EntrySpec } from './profile.js';
import type { OpenOptions } from './schema.js';
import type { StoredEntry } from './stored-entry.js';
import { type NasSpec, type UserProfileView, UserStore } from './user-store.js';

/**
 * The SQLite store behind the ProfileStore interface (synchronous underneath). `add` and `set`
 * also refuse entries the server could not decode (bad value for the attribute): only the
 * entries of the user written, one indexed read, not every row of the store.
 */
export class SqliteProfileStore implements ProfileStore {
  readonly store: UserStore;
  readonly label: string;

  constructor(path: string, opts: OpenOptions, private readonly dict: () => Dictionary) {
    this.store = new UserStore(path, opts);
    this.label = `sqlite:${path}`;
  }

  async list(): Promise<UserProfileView[]> {
    return this.store.list();
  }

  async show(name: string): Promise<UserProfileView> {
    return this.store.show(name);
  }

  async add(name: string, general: EntrySpec, overrides: readonly NasSpec[]): Promise<string[]> {
    return this.store.db.transaction(() => {
      const warnings = this.store.add(name, general, overrides);
      this.checkDecodes(name);
      return warnings;
    }).immediate();
  }

  async set(name: string, general: EntrySpec, overrides: readonly NasSpec[]): Promise<void> {
    this.store.db.transaction(() => {
      this.store.set(name, general, overrides);
      this.checkDecodes(name);
    }).immediate();
  }

  async setValid(name: string, valid: boolean, nas?: string): Promise<number> {
    return this.store.setValid(name, valid, nas);
  }

  async delete(name: string, nas?: string): Promise<number> {
    return this.store.delete(name, nas);
  }

  async importEntries(entries: readonly StoredEntry[], replace: boolean, opts: { append?: boolean } = {}): Promise<number> {
    return this.store.importEntries(entries, replace, opts);
  }

  async exportEntries(): Promise<{ entries: StoredEntry[]; notes: string[] }> {
    const entries = this.store.entries();
    const disabled = entries.filter((e) => !e.valid).length;
    return { entries, notes: disabled > 0 ? [`${disabled} disabled entr${disabled === 1 ? 'y' : 'ies'} left out`] : [] };
  }

  async close(): Promise<void> {
    this.store.close();
  }

  private checkDecodes(name: string): void {
    const decoder = new EntryDecoder(this.dict(), this.label);
    for (const e of this.store.entriesNamed(name)) decoder.decode(e);
  }
}
