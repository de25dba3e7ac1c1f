import type { Entry } from '../policy/entry.js';
import type { EntrySource } from '../policy/evaluator.js';

/**
 * A user source: the authorize files, or the SQLite store. The evaluator asks each source in the
 * configured order and treats the concatenation as one list (first match / Fall-Through apply
 * across sources, as FreeRADIUS does across modules... within one ordered list). The server
 * hands the sources to the evaluator as they are, each once wrapped by its lookup counter
 * (`CountedUserSource`, src/server/store-metrics.ts).
 */
export interface UserSource extends EntrySource {
  /** Human-readable name for logs and traces (file path or `sqlite:<path>`). */
  readonly name: string;
  /**
   * The entries that may match `userName`: that user's entries and every DEFAULT entry, merged
   * in source order (file position / row order). Synchronous so the request path never yields
   * between sources and a request never sees half a change.
   */
  lookup(userName: string): readonly Entry[];
  /** Releases files, statements and handles. */
  close(): void;
}
