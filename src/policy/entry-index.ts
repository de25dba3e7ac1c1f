import type { Entry } from './entry.js';

/**
 * A lookup over a list of entries: for a user name, that user's entries and every DEFAULT
 * entry, merged by position in the list (rlm_files keeps the two lists and merges them by file
 * order). Built once per load; each lookup allocates one array only when the user has entries
 * and there are DEFAULT entries. Names are case-sensitive; only the exact word DEFAULT is special.
 */
export type EntryLookup = (userName: string) => readonly Entry[];

/** Builds the lookup for `entries` (in file order). */
export function entryIndex(entries: readonly Entry[]): EntryLookup {
  const byName = new Map<string, { entry: Entry; pos: number }[]>();
  const defaults: { entry: Entry; pos: number }[] = [];
  entries.forEach((entry, pos) => {
    if (entry.isDefault) { defaults.push({ entry, pos }); return; }
    let list = byName.get(entry.name);
    if (!list) byName.set(entry.name, (list = []));
    list.push({ entry, pos });
  });
  const defaultEntries = defaults.map((d) => d.entry);
  if (defaults.length === 0) {
    const plain = new Map<string, Entry[]>();
    for (const [name, list] of byName) plain.set(name, list.map((d) => d.entry));
    return (userName: string) => plain.get(userName) ?? defaultEntries;
  }
  return (userName: string) => {
    const list = byName.get(userName);
    if (!list) return defaultEntries;
    const out: Entry[] = [];
    let i = 0;
    let j = 0;
    while (i < list.length || j < defaults.length) {
      if (j >= defaults.length || (i < list.length && list[i]!.pos < defaults[j]!.pos)) out.push(list[i++]!.entry);
      else out.push(defaults[j++]!.entry);
    }
    return out;
  };
}
