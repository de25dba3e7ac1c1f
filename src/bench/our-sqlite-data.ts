import { rmSync } from 'node:fs';
import { LIST_KEYS, type ListKey } from '../store/sqlite/profile.js';
import { bulkInsertUsers } from '../store/sqlite/bulk.js';
import { benchReplyAttributes, type BenchUsersOptions } from './bench-users.js';

/**
 * Writes the bench users into a fresh SQLite store of ours with the store's own bulk import
 * (`device` scheme: `user0000001`.., SHA-1 hex passwords; see bench-users.ts). The reply lists
 * are the first `replyAttributes` Vutlan attributes, the same values the authorize file and
 * FreeRADIUS's radreply get. Returns the milliseconds the import took.
 */
export function writeOurSqliteUsers(path: string, opts: BenchUsersOptions): number {
  if (opts.scheme !== undefined && opts.scheme !== 'device') throw new Error('our SQLite bench store uses the device user scheme');
  for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  const reply = benchReplyAttributes(opts.replyAttributes);
  const lists: Partial<Record<ListKey, string>> = {};
  reply.forEach(([, value], i) => { lists[LIST_KEYS[i]!] = value; });
  return bulkInsertUsers(path, { count: opts.users, prefix: opts.prefix, start: 1, password: 'device', lists }).ms;
}
