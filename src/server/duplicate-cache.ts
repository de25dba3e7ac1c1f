/**
 * RFC 5080 section 2.2.2 duplicate detection. A request is identified by (listener, source IP,
 * source port, Identifier); it is the same request when its Request Authenticator and length
 * are also the same (FreeRADIUS `fr_packet_cmp` plus the authenticator check). Same request
 * while still in progress -> drop; after the reply -> resend the cached reply byte for byte;
 * same key with a different authenticator or length -> a new request replacing the old entry.
 * Bounded: at most `maxEntries` (oldest evicted) and each reply kept `ttlMs` after it was sent.
 *
 * Layout, chosen for the request path (one lookup per request, nothing built per request but the
 * entry itself): entries are found by source address, then by a number made of listener, port
 * and Identifier; they are also chained oldest first in a doubly-linked list, so eviction and
 * "move to the end on reply" are O(1). The authenticator is kept as four 32-bit words, not as a
 * view into the datagram (that would keep the whole datagram alive) nor as a copied Buffer.
 */

/** The request is a retransmission of one still being processed: drop it. */
export const IN_PROGRESS = 'in_progress';

/**
 * A request recorded as in progress by {@link DuplicateCache.begin}; hand it back to `finish`
 * (reply sent) or `abandon` (no reply). Opaque to callers.
 */
export class DuplicateTicket {
  /** False once the entry left the cache (replaced, evicted, expired, abandoned). */
  live = true;
  reply: Buffer | undefined = undefined;
  prev: DuplicateTicket | undefined = undefined;
  next: DuplicateTicket | undefined = undefined;

  constructor(
    readonly slots: Map<number, DuplicateTicket>,
    readonly address: string,
    readonly slot: number,
    readonly a0: number,
    readonly a1: number,
    readonly a2: number,
    readonly a3: number,
    readonly length: number,
    public expires: number,
  ) {}
}

/**
 * What to do with a received request: a Buffer is the cached reply to resend; {@link IN_PROGRESS}
 * means drop; a ticket means process it (undefined when the cache is disabled).
 */
export type DuplicateVerdict = Buffer | typeof IN_PROGRESS | DuplicateTicket | undefined;

/** Time an unfinished request may hold its slot (FreeRADIUS `max_request_time`). */
const IN_PROGRESS_MS = 30_000;

/** Octets 0..4 of `b` from `o` as a signed 32-bit word (any fixed byte order would do). */
function word(b: Buffer, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
}

export class DuplicateCache {
  private readonly byAddress = new Map<string, Map<number, DuplicateTicket>>();
  private head: DuplicateTicket | undefined;
  private tail: DuplicateTicket | undefined;
  private count = 0;

  /** `ttlMs` 0 disables the cache (every packet is new). */
  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.count;
  }

  /**
   * Classifies a request and, when it is new, records it as in progress. Call only for packets
   * that passed verification: forged packets must not touch the cache (RFC 5080).
   * `listener` is a small non-negative integer (below 2^29), `authenticator` 16 octets.
   */
  begin(listener: number, address: string, port: number, identifier: number, authenticator: Buffer, length: number): DuplicateVerdict {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return undefined;
    const t = this.now();
    // exact as a double for any listener below 2^29 (port < 2^16, identifier < 2^8)
    const slot = listener * 16_777_216 + port * 256 + identifier;
    const a0 = word(authenticator, 0);
    const a1 = word(authenticator, 4);
    const a2 = word(authenticator, 8);
    const a3 = word(authenticator, 12);
    let slots = this.byAddress.get(address);
    const old = slots?.get(slot);
    if (old) {
      if (old.expires > t && old.length === length && old.a0 === a0 && old.a1 === a1 && old.a2 === a2 && old.a3 === a3) {
        return old.reply ?? IN_PROGRESS;
      }
      // replaced below by slots.set; only leave the list here, so `slots` cannot become empty
      this.unlink(old);
    }
    this.evict(t);
    if (slots === undefined || slots.size === 0) {
      // an emptied map was removed from byAddress by evict
      slots = new Map();
      this.byAddress.set(address, slots);
    }
    const e = new DuplicateTicket(slots, address, slot, a0, a1, a2, a3, length, t + IN_PROGRESS_MS);
    slots.set(slot, e);
    this.append(e);
    this.count++;
    return e;
  }

  /** Stores the reply sent for the request begun with `ticket` (ignored if it left the cache). */
  finish(ticket: DuplicateTicket | undefined, reply: Buffer): void {
    if (!ticket?.live) return;
    ticket.reply = reply;
    ticket.expires = this.now() + this.ttlMs;
    // to the end, so the list stays (nearly) ordered by expiry and eviction can stop at the first live entry
    if (ticket !== this.tail) {
      this.detach(ticket);
      this.append(ticket);
    }
  }

  /** Forgets a request that ended without a reply, so a retransmission is processed again. */
  abandon(ticket: DuplicateTicket | undefined): void {
    if (ticket?.live) this.remove(ticket);
  }

  private evict(t: number): void {
    for (let e = this.head; e !== undefined; e = this.head) {
      if (this.count < this.maxEntries && e.expires > t) break;
      this.remove(e);
    }
  }

  private remove(e: DuplicateTicket): void {
    this.unlink(e);
    const { slots } = e;
    if (slots.get(e.slot) === e) {
      slots.delete(e.slot);
      if (slots.size === 0 && this.byAddress.get(e.address) === slots) this.byAddress.delete(e.address);
    }
  }

  /** Takes `e` out of the list and marks it dead (its map slot is the caller's business). */
  private unlink(e: DuplicateTicket): void {
    this.detach(e);
    e.live = false;
    e.reply = undefined;
    this.count--;
  }

  private detach(e: DuplicateTicket): void {
    if (e.prev) e.prev.next = e.next;
    else this.head = e.next;
    if (e.next) e.next.prev = e.prev;
    else this.tail = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  private append(e: DuplicateTicket): void {
    e.prev = this.tail;
    if (this.tail) this.tail.next = e;
    else this.head = e;
    this.tail = e;
  }
}
