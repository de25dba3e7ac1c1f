/**
 * A user source failed a lookup (corrupted SQLite file, I/O error). The request is dropped
 * unanswered (the NAS retransmits or asks its other server) rather than rejected as if the user
 * did not exist; the failure is logged once per source and reason per interval with a count,
 * never a stack trace per request, and shown in /healthz while it lasts.
 */
export class StoreLookupError extends Error {
  constructor(readonly source: string, override readonly cause: unknown) {
    super(`user source ${source} failed: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** How long a store failure stays in /healthz after the last one. */
const RECENT_MS = 30_000;

/** The store failures seen lately, by message (for /healthz). */
export class StoreFailures {
  private readonly last = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  record(err: StoreLookupError): void {
    if (this.last.size > 64 && !this.last.has(err.message)) return; // bounded
    this.last.set(err.message, this.now());
  }

  /** Messages of failures within the last 30 s. */
  recent(): string[] {
    const t = this.now();
    const out: string[] = [];
    for (const [message, at] of this.last) {
      if (t - at > RECENT_MS) this.last.delete(message);
      else out.push(message);
    }
    return out;
  }
}
