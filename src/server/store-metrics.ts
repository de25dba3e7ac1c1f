/** Lookup counters per user source (`radius_store_lookups_total`). */
import type { Entry } from '../policy/entry.js';
import type { UserSource } from '../store/source.js';
import type { ServerMetrics } from './metrics.js';
import { StoreLookupError } from './store-error.js';

/** Lookup counters of one user source (`files`, `sqlite`, ...). */
export class StoreLookupMetrics {
  found = 0;
  notFound = 0;
  errors = 0;
  constructor(readonly source: string) {}
}

/**
 * A user source as the request path uses it: each lookup counted under
 * `radius_store_lookups_total` by source kind (`files`, `sqlite`) and result: `found` (an entry
 * for that user, not only DEFAULTs), `not_found`, `error` (the lookup threw: rethrown as a
 * {@link StoreLookupError}, so the pipeline drops the request instead of rejecting it). Two
 * increments and one scan of the returned entries per lookup.
 */
export class CountedUserSource implements UserSource {
  readonly name: string;

  constructor(readonly source: UserSource, private readonly counters: StoreLookupMetrics) {
    this.name = source.name;
  }

  lookup(userName: string): readonly Entry[] {
    let entries: readonly Entry[];
    try {
      entries = this.source.lookup(userName);
    } catch (err) {
      this.counters.errors++;
      throw new StoreLookupError(this.source.name, err);
    }
    if (entries.some((e) => !e.isDefault)) this.counters.found++;
    else this.counters.notFound++;
    return entries;
  }

  close(): void {
    this.source.close();
  }
}

/**
 * The sources of a snapshot, each counted once: a source already counted (a reload keeps the
 * running snapshot's list) is returned as it is, so no lookup is ever counted twice.
 */
export function countLookups(sources: readonly UserSource[], metrics: ServerMetrics): UserSource[] {
  return sources.map((source) => source instanceof CountedUserSource
    ? source
    : new CountedUserSource(source, metrics.store(source.name.startsWith('sqlite:') ? 'sqlite' : 'files')));
}
