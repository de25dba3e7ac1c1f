import type { AccountingClaimer, ClaimVerdict } from './accounting-claims.js';
import type { AccountingRecord, AccountingSink, SinkHealth } from './accounting-sink.js';

/** How long a recorded request's key is remembered (a NAS retransmits for up to ~30 s). */
const REMEMBER_MS = 60_000;
/** Most keys remembered (bounded memory under a flood of distinct requests). */
const MAX_KEYS = 200_000;

interface Attempt {
  /** Settles when every sink recorded the request (or one failed). */
  done: Promise<void>;
  /** Set once recorded: from then on a retransmission is acknowledged without writing again. */
  recordedAt: number | undefined;
}

/**
 * Hands each Accounting-Request to every sink once (see accounting-sink.ts). A retransmission of
 * a request being recorded joins that attempt; one of a request already recorded (within a
 * minute) resolves at once without writing again, so a NAS that lost our Accounting-Response
 * does not get its record twice, even after the duplicate cache forgot it or a reload replaced
 * it. A failed attempt is forgotten, so the retransmission tries again. Kept for the life of
 * the server, across reloads. In a worker process a `claimer` extends this to every worker: the
 * primary's table decides which process writes (accounting-claims.ts).
 */
export class AccountingRecorder {
  private readonly attempts = new Map<string, Attempt>();
  recorded = 0;
  failed = 0;
  duplicates = 0;

  constructor(private readonly now: () => number = Date.now, private readonly claimer?: AccountingClaimer) {}

  /** Resolves once `record` is durable in every sink of `sinks`; rejects with the first failure. */
  record(record: AccountingRecord, sinks: readonly AccountingSink[]): Promise<void> {
    const now = this.now();
    this.forgetOld(now);
    const known = this.attempts.get(record.key);
    if (known) {
      this.duplicates++;
      return known.done;
    }
    const attempt: Attempt = { done: Promise.resolve(), recordedAt: undefined };
    const write = (): Promise<boolean> => Promise.all(sinks.map((s) => s.record(record))).then(() => true);
    const claimer = this.claimer;
    attempt.done = (claimer ? claimer.claim(record.key).then((v) => this.afterClaim(v, record.key, claimer, write)) : write()).then(
      (wrote) => {
        attempt.recordedAt = this.now();
        if (wrote) this.recorded++;
        else this.duplicates++;
      },
      (err: unknown) => {
        if (this.attempts.get(record.key) === attempt) this.attempts.delete(record.key);
        this.failed++;
        throw err;
      },
    );
    this.attempts.set(record.key, attempt);
    return attempt.done;
  }

  /** Writes when the claim allows it (true), resolves false for a copy another worker wrote, rejects for one it could not. */
  private afterClaim(verdict: ClaimVerdict, key: string, claimer: AccountingClaimer, write: () => Promise<boolean>): Promise<boolean> {
    if (verdict === 'recorded') return Promise.resolve(false);
    if (verdict === 'failed') return Promise.reject(new Error('another worker process could not record its copy of this request'));
    return write().then(
      (wrote) => {
        claimer.settle(key, true);
        return wrote;
      },
      (err: unknown) => {
        claimer.settle(key, false);
        throw err;
      },
    );
  }

  /** Keys of requests remembered now (recorded or in flight). */
  get size(): number {
    return this.attempts.size;
  }

  private forgetOld(now: number): void {
    // insertion order is arrival order, so the oldest are first
    for (const [key, a] of this.attempts) {
      const expired = a.recordedAt !== undefined && now - a.recordedAt > REMEMBER_MS;
      if (!expired && this.attempts.size <= MAX_KEYS) break;
      this.attempts.delete(key);
    }
  }
}

/** The combined health of sinks: ok, or the reasons of those that are not. */
export function sinksHealth(sinks: readonly AccountingSink[]): SinkHealth & { reasons: string[] } {
  const reasons = sinks.map((s) => s.health()).filter((h) => !h.ok).map((h) => h.reason ?? 'unhealthy');
  return reasons.length === 0 ? { ok: true, reasons } : { ok: false, reason: reasons.join('; '), reasons };
}
