import type { Entry } from '../policy/entry.js';
import { finish, type Steps } from '../policy/steps.js';
import { parseUsersFileSteps, type ParseUsersOptions } from '../policy/users-parser.js';
import type { Dictionary } from '../protocol/dictionary.js';
import type { UserSource } from './source.js';

/** Each name's candidate list, and the list of names without entries. */
interface CandidateIndex {
  candidates: Map<string, readonly Entry[]>;
  defaults: readonly Entry[];
}

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
  private readonly candidates: Map<string, readonly Entry[]>;
  private readonly defaults: readonly Entry[];
  private defaultsTwice?: readonly Entry[];

  /** Wraps already parsed entries (file order); `name` is shown in logs and traces. */
  constructor(name: string, entries: readonly Entry[], index: CandidateIndex = finish(indexSteps(entries))) {
    this.name = name;
    this.entries = entries;
    this.candidates = index.candidates;
    this.defaults = index.defaults;
  }

  /**
   * Parses `path` (following `$INCLUDE`) with `dict`. Throws the parser's `UsersFileError`
   * (every problem as `file:line: message`) when the file is not usable.
   */
  static load(path: string, dict: Dictionary, opts: ParseUsersOptions = {}): UsersFileSource {
    return finish(UsersFileSource.loadSteps(path, dict, opts));
  }

  /** `load` in steps (see policy/steps.ts): a reload runs it between requests. */
  static *loadSteps(path: string, dict: Dictionary, opts: ParseUsersOptions = {}): Steps<UsersFileSource> {
    const entries = yield* parseUsersFileSteps(path, dict, opts);
    return new UsersFileSource(path, entries, yield* indexSteps(entries));
  }

  /**
   * The user's entries and every DEFAULT, in file order; `NONE` and unknown names get DEFAULTs. A
   * user called DEFAULT gets every DEFAULT twice in a row: rlm_files finds the DEFAULT list as
   * that user's own entries and merges it with itself (measured on FreeRADIUS 3.2.1: a DEFAULT
   * with Fall-Through adds its reply twice).
   */
  lookup(userName: string): readonly Entry[] {
    if (userName === 'DEFAULT') return (this.defaultsTwice ??= doubled(this.defaults));
    return this.candidates.get(userName) ?? this.defaults;
  }

  /** Nothing to release: the file is read at load. */
  close(): void {}
}

/** Every entry twice in a row, in order (what rlm_files gives a user called DEFAULT). */
export function doubled(entries: readonly Entry[]): readonly Entry[] {
  return entries.flatMap((e) => [e, e]);
}

/** Builds every name's candidate list; yields every 4,096 names. */
function* indexSteps(entries: readonly Entry[]): Steps<CandidateIndex> {
  const defaults: Entry[] = [];
  const defaultPositions: number[] = [];
  // name -> its entries' positions (one number for the usual single entry), replaced below by
  // the candidate list in the same map: updating a key costs less than inserting into a second
  const index = new Map<string, number | number[] | readonly Entry[]>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.isDefault) {
      defaults.push(e);
      defaultPositions.push(i);
    } else {
      const seen = index.get(e.name) as number | number[] | undefined;
      if (seen === undefined) index.set(e.name, i);
      else if (typeof seen === 'number') index.set(e.name, [seen, i]);
      else seen.push(i);
    }
    if ((i & 4095) === 4095) yield;
  }
  let n = 0;
  for (const [userName, seen] of index) {
    const positions = typeof seen === 'number' ? [seen] : seen as number[];
    if (defaultPositions.length === 0) {
      index.set(userName, positions.map((p) => entries[p]!));
    } else {
      // the user's entries and the DEFAULTs, in file position order: a merge of two ascending
      // position lists, so building every list costs O(entries x DEFAULTs), not O(entries^2)
      const merged = new Array<Entry>(positions.length + defaultPositions.length);
      let a = 0;
      let b = 0;
      for (let k = 0; k < merged.length; k++) {
        merged[k] = b >= defaultPositions.length || (a < positions.length && positions[a]! < defaultPositions[b]!)
          ? entries[positions[a++]!]!
          : entries[defaultPositions[b++]!]!;
      }
      index.set(userName, merged);
    }
    if ((++n & 4095) === 0) yield;
  }
  return { candidates: index as Map<string, readonly Entry[]>, defaults };
}
