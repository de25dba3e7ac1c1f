/**
 * RFC 5080 section 2.2.2 duplicate detection. A request is identified by (listener, source IP,
 * source port, Identifier); it is the same request when its Request Authenticator and length
 * are also the same (FreeRADIUS `fr_packet_cmp` plus the authenticator check). Same request
 * while still in progress -> drop; after the reply -> resend the cached reply byte for byte;
 * same key with a different authenticator or length -> a new request replacing the old entry.
 * Bounded: at most `maxEntries` (oldest evicted) and each reply kept `ttlMs` after it was sent.
 */

/** What to do with a received request. */
export type DuplicateVerdict =
  | { kind: 'new' }
  | { kind: 'in_progress' }
  | { kind: 'replay'; reply: Buffer };

interface CacheEntry {
  authenticator: Buffer;
  length: number;
  reply: Buffer | undefined;
  expires: number;
}

/** Time an unfinished request may hold its slot (FreeRADIUS `max_request_time`). */
const IN_PROGRESS_MS = 30_000;

export class DuplicateCache {
  private readonly entries = new Map<string, CacheEntry>();

  /** `ttlMs` 0 disables the cache (every packet is new). */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key of a request. */
  static key(listener: number, address: string, port: number, identifier: number): string {
    return `${listener}|${address}|${port}|${identifier}`;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Classifies a request and, when it is new, records it as in progress. Call only for packets
   * that passed verification: forged packets must not touch the cache (RFC 5080).
   */
  begin(key: string, authenticator: Buffer, length: number): DuplicateVerdict {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return { kind: 'new' };
    const t = this.now();
    const e = this.entries.get(key);
    if (e && e.expires > t && e.length === length && e.authenticator.equals(authenticator)) {
      return e.reply ? { kind: 'replay', reply: e.reply } : { kind: 'in_progress' };
    }
    if (e) this.entries.delete(key);
    this.evict(t);
    this.entries.set(key, { authenticator: Buffer.from(authenticator), length, reply: undefined, expires: t + IN_PROGRESS_MS });
    return { kind: 'new' };
  }

  /** Stores the reply sent for the request begun under `key` (ignored if it was replaced). */
  finish(key: string, authenticator: Buffer, reply: Buffer): void {
    const e = this.entries.get(key);
    if (!e || !e.authenticator.equals(authenticator)) return;
    // re-insert so the map stays ordered by expiry and eviction can stop at the first live entry
    this.entries.delete(key);
    e.reply = reply;
    e.expires = this.now() + this.ttlMs;
    this.entries.set(key, e);
  }

  /** Forgets a request that ended without a reply, so a retransmission is processed again. */
  abandon(key: string, authenticator: Buffer): void {
    const e = this.entries.get(key);
    if (e && e.authenticator.equals(authenticator)) this.entries.delete(key);
  }

  private evict(t: number): void {
    for (const [k, e] of this.entries) {
      if (this.entries.size < this.maxEntries && e.expires > t) break;
      this.entries.delete(k);
    }
  }
}
