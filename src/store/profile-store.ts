import type { EntrySpec } from './sqlite/profile.js';
import type { StoredEntry } from './sqlite/stored-entry.js';
import type { NasSpec, UserProfileView } from './sqlite/user-store.js';

/**
 * The user-management operations of a store, whatever it is (the SQLite store, FreeRADIUS's SQL
 * schema on PostgreSQL): what the `users` CLI and the web administration call. Each write is one
 * transaction; bad input is a ProfileError (invalid_argument, not_found, already_exists) with the
 * same text on every store, so scripts keep working when the store changes.
 */
export interface ProfileStore {
  /** Where it is, for messages (a URL without its password). */
  readonly label: string;
  /** Every profile, by first appearance. */
  list(): Promise<UserProfileView[]>;
  /** One profile; ProfileError not_found when there is no such user. */
  show(name: string): Promise<UserProfileView>;
  /** Creates a profile: the NAS overrides first, then the general entry. Returns warnings. */
  add(name: string, general: EntrySpec, overrides: readonly NasSpec[]): Promise<string[]>;
  /** Changes password (every entry), general lists and NAS overrides (created when missing). */
  set(name: string, general: EntrySpec, overrides: readonly NasSpec[]): Promise<void>;
  /** Disables (or enables) the user's entries or one NAS override; returns how many. */
  setValid(name: string, valid: boolean, nas?: string): Promise<number>;
  /** Deletes the user or one NAS override; returns how many entries went. */
  delete(name: string, nas?: string): Promise<number>;
  /**
   * Writes parsed entries (users file or another store) in order, all or nothing. Refuses
   * (already_exists) when their users are in the store already, unless `replace` (the store's
   * users are replaced) or `append`.
   */
  importEntries(entries: readonly StoredEntry[], replace: boolean, opts?: { append?: boolean }): Promise<number>;
  /** The entries a users file needs to answer as the store does, and notes on what was left out. */
  exportEntries(): Promise<{ entries: StoredEntry[]; notes: string[] }>;
  close(): Promise<void>;
}
