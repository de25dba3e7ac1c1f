import type { Entry } from '../policy/entry.js';
import { parseUsersFile } from '../policy/users-parser.js';
import type { Dictionary } from '../protocol/dictionary.js';
import type { UserSource } from './source.js';

/**
 * A FreeRADIUS users (`authorize`) file as a user source. The file (with its `$INCLUDE`s) is
 * parsed once; entries are indexed by name, and each name's candidate list (its own entries and
 * every DEFAULT, merged in file order as rlm_files does) is built at load, so `lookup` is one
 * map access on the request path.
 */
export class UsersFileSource implements UserSource {
  readonly name: string;
  /** Every entry of the file, in file order. */
  readonly entries: readonly Entry[];
  private readonly candidates = new Map<string, readonly Entry[]>();
  private readonly defaults: readonly Entry[];

  /** Wraps already parsed entries (file order); `name` is shown in logs and traces. */
  constructor(name: string, entries: readonly Entry[]) {
    this.name = name;
    this.entries = entries;
    const defaults: Entry[] = [];
    const byName = new Map<string, number[]>();
    entries.forEach((e, i) => {
      if (e.isDefault) {
        defaults.push(e);
      } else {
        const list = byName.get(e.name);
        if (list) list.push(i);
        else byName.set(e.name, [i]);
      }
    });
    this.defaults = defaults;
    const defaultPositions: number[] = [];
    entries.forEach((e, i) => { if (e.isDefault) defaultPositions.push(i); });
    for (const [userName, positions] of byName) {
      // the user's entries and the DEFAULTs, in file position order: a merge of two ascending
      // position lists, so building every list costs O(entries x DEFAULTs), not O(entries^2)
      const merged: Entry[] = [];
      let a = 0;
      let b = 0;
      while (a < positions.length || b < defaultPositions.length) {
        const next = b >= defaultPositions.length || (a < positions.length && positions[a]! < defaultPositions[b]!)
          ? positions[a++]!
          : defaultPositions[b++]!;
        merged.push(entries[next]!);
      }
      this.candidates.set(userName, merged.length === 1 ? [merged[0]!] : merged.slice());
    }
  }

  /**
   * Parses `path` (following `$INCLUDE`) with `dict`. Throws the parser's `UsersFileError`
   * (every problem as `file:line: message`) when the file is not usable.
   */
  static load(path: string, dict: Dictionary, opts: { readText?: (p: string) => string } = {}): UsersFileSource {
    return new UsersFileSource(path, parseUsersFile(path, dict, opts));
  }

  /** The user's entries and every DEFAULT, in file order; `NONE` and unknown names get DEFAULTs. */
  lookup(userName: string): readonly Entry[] {
    return this.candidates.get(userName) ?? this.defaults;
  }

  /** Nothing to release: the file is read at load. */
  close(): void {}
}
