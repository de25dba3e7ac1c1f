import { closeSync, openSync } from 'node:fs';

/**
 * Creates `path` as an empty file readable and writable by its owner only (0600), unless it
 * exists. SQLite opens an empty file as a new database and gives its -wal and -shm files the
 * database file's mode, so a store made this way never becomes readable by other local users
 * (the default umask would make it 0644: password hashes, device hashes, admin accounts).
 * Anything else going wrong is left to SQLite's own open, which reports it.
 */
export function createPrivateFile(path: string): void {
  if (path === ':memory:' || path === '') return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch {
    // exists already (its mode is the owner's choice), or SQLite's open will say why not
  }
}
