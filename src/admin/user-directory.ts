import type { ListKey } from '../store/sqlite/profile.js';
import type { PasswordItem } from '../store/sqlite/password-hash.js';
import type { UserProfileView } from '../store/sqlite/user-store.js';

/**
 * What the web administration needs from a user store: the SQLite store
 * (sqlite-user-directory.ts) and FreeRADIUS's SQL schema in PostgreSQL (sql-user-directory.ts).
 * Every write is all-or-nothing: a reader (and the RADIUS server) sees none or all of it.
 */

/** One row of the user list. */
export interface UserSummary {
  name: string;
  enabled: boolean;
  /** NAS addresses with their own entry (per-NAS overrides). */
  nas: string[];
  /** Password attribute of the first entry (never the value). */
  password: string | null;
}

export interface UserPage {
  total: number;
  offset: number;
  limit: number;
  users: UserSummary[];
}

/** A validated profile to write: the lists of the general entry and each NAS override. */
export interface ProfileChange {
  enabled: boolean;
  /** A new password for every entry of the user; undefined keeps the current one. */
  password?: PasswordItem;
  lists: Partial<Record<ListKey, string>>;
  overrides: Array<{ nas: string; lists: Partial<Record<ListKey, string>> }>;
}

export interface UserDirectory {
  /** `sqlite:<path>` or `sql:<url without password>`. */
  readonly name: string;
  /** Names containing `search` (case-insensitive), sorted, one page. */
  list(q: { search?: string; offset: number; limit: number }): Promise<UserPage>;
  /** One profile, or undefined. */
  get(name: string): Promise<UserProfileView | undefined>;
  /** Creates a user; throws ProfileError (already_exists, invalid_argument). */
  create(name: string, change: ProfileChange & { password: PasswordItem }): Promise<void>;
  /** Makes the profile exactly `change` (lists not given are removed; overrides not given deleted). */
  replace(name: string, change: ProfileChange): Promise<void>;
  setEnabled(name: string, enabled: boolean): Promise<void>;
  delete(name: string): Promise<void>;
  close(): void | Promise<void>;
}
