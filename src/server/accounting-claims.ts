/**
 * Accounting-Requests recorded once across worker processes. The kernel hands each datagram of a
 * shared UDP port to any worker, so a NAS's retransmission may reach another worker than the
 * first copy; each worker's AccountingRecorder would then write it again. The primary therefore
 * keeps one table of request keys (client, source, Identifier, Request Authenticator): the first
 * worker to claim a key writes the record, a claim of a key being written waits for that write,
 * and a claim of a key written within the last minute is answered without writing.
 *
 *   worker                                   primary (this table)
 *   claim(key) ------------------------------> unknown: "write" (owner = this worker)
 *                                              written < 60 s ago: "recorded"
 *                                              being written: wait for the owner's settle
 *   settle(key, ok) -------------------------> ok: "recorded" to the waiters; else "failed"
 *
 * A worker that dies while writing loses its claims: waiters get "failed" (they answer nothing,
 * the NAS retransmits, and the next copy is written). Nothing is acknowledged that was not written.
 */

/** What a claim allows: write the record; answer without writing; or answer nothing (retransmit). */
export type ClaimVerdict = 'write' | 'recorded' | 'failed';

/** How a worker asks the primary (see workers.ts for the IPC). */
export interface AccountingClaimer {
  /** Resolves with the verdict for `key`; never rejects. */
  claim(key: string): Promise<ClaimVerdict>;
  /** Tells the owner of a `write` verdict's outcome. */
  settle(key: string, ok: boolean): void;
}

/** How long a recorded key is remembered (a NAS retransmits for up to ~30 s), as in accounting-recorder.ts. */
const REMEMBER_MS = 60_000;
/** Most keys kept (a flood of distinct requests cannot grow the primary without bound). */
const MAX_KEYS = 200_000;

interface Claim {
  owner: number;
  /** Set once written. */
  recordedAt: number | undefined;
  waiters: ((v: ClaimVerdict) => void)[];
}

/** The primary's table of accounting request keys (pure: no IPC, injected clock). */
export class AccountingClaims {
  private readonly claims = new Map<string, Claim>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A claim of `key` by worker `owner`; `answer` is called once with the verdict (maybe later). */
  claim(key: string, owner: number, answer: (v: ClaimVerdict) => void): void {
    const t = this.now();
    this.forgetOld(t);
    const c = this.claims.get(key);
    if (c?.recordedAt !== undefined) {
      answer('recorded');
      return;
    }
    if (c) {
      c.waiters.push(answer);
      return;
    }
    this.claims.set(key, { owner, recordedAt: undefined, waiters: [] });
    answer('write');
  }

  /** The owner's write of `key` ended: written (`ok`) or not. */
  settle(key: string, owner: number, ok: boolean): void {
    const c = this.claims.get(key);
    if (!c || c.owner !== owner || c.recordedAt !== undefined) return;
    if (ok) {
      c.recordedAt = this.now();
      // written now: move it to the end, so the oldest-first sweep sees recording order
      this.claims.delete(key);
      this.claims.set(key, c);
    } else {
      this.claims.delete(key);
    }
    const waiters = c.waiters;
    c.waiters = [];
    for (const w of waiters) w(ok ? 'recorded' : 'failed');
  }

  /** Worker `owner` is gone: what it was writing is not known to be written. */
  ownerGone(owner: number): void {
    for (const [key, c] of this.claims) {
      if (c.owner !== owner || c.recordedAt !== undefined) continue;
      this.claims.delete(key);
      for (const w of c.waiters) w('failed');
    }
  }

  /** Keys held (recorded or being written). */
  get size(): number {
    return this.claims.size;
  }

  private forgetOld(t: number): void {
    for (const [key, c] of this.claims) {
      const expired = c.recordedAt !== undefined && t - c.recordedAt > REMEMBER_MS;
      if (!expired && this.claims.size <= MAX_KEYS) break;
      if (c.recordedAt === undefined && !expired) {
        // over the bound with a write in flight at the head: let its waiters retry
        for (const w of c.waiters) w('failed');
      }
      this.claims.delete(key);
    }
  }
}
