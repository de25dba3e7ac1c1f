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
 * Wraps user sources so each lookup is counted under `radius_store_lookups_total` by source
 * kind (`files`, `sqlite`) and result: `found` (an entry for that user, not only DEFAULTs),
 * `not_found`, `error` (the lookup threw; rethrown). Two increments and one scan of the
 * returned entries per lookup.
 */
export function countLookups(sources: readonly UserSource[], metrics: ServerMetrics): UserSource[] {
  return sources.map((source) => {
    const counters = metrics.store(source.name.startsWith('sqlite:') ? 'sqlite' : 'files');
    return {
      name: source.name,
      lookup(userName: string): readonly Entry[] {
        let entries: readonly Entry[];
        try {
          entries = source.lookup(userName);
        } catch (err) {
          counters.errors++;
          throw new StoreLookupError(source.name, err);
        }
        if (entries.some((e) => !e.isDefault)) counters.found++;
        else counters.notFound++;
        return entries;
      },
      close: () => source.close(),
    };
  });
}
