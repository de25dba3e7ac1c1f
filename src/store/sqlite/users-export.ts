import { writeUsersText } from '../../policy/users-writer.js';
import type { StoredEntry } from './stored-entry.js';

/**
 * Writes stored entries back in FreeRADIUS users-file form with the policy's users-file writer
 * (stored items are already in its written form: name, operator, text as written, quote, tag),
 * so `import` of the output gives the same items: import -> export -> import is a fixed point.
 * What is the store's own: disabled entries are left out (a users file has no such state).
 */
export function exportUsersText(entries: Iterable<StoredEntry>, header?: string): string {
  return writeUsersText(validEntries(entries), header);
}

function* validEntries(entries: Iterable<StoredEntry>): Iterable<StoredEntry> {
  for (const e of entries) if (e.valid) yield e;
}
