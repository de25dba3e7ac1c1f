/**
 * The bounded timer queue behind `reject_delay`: Access-Rejects held for a while, at most
 * `max_delayed_rejects` at once, so a flood of wrong passwords cannot grow it without bound.
 */

/**
 * Holds Access-Rejects for `reject_delay` without holding anything else up. Because the delay
 * is the same for every reject, the queue is FIFO in due time: one timer serves the whole queue,
 * so scheduling is O(1) and the queue never needs sorting. At `maxPending` further rejects are
 * refused (`schedule` returns false) and the caller drops them; the NAS will retransmit.
 */
export class DelayedSender {
  private readonly queue: { due: number; send: () => void }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly delayMs: number,
    private readonly maxPending: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Number of sends waiting. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /**
   * Runs `send` after the delay (at once when the delay is 0). Returns false, without running
   * it, when the queue is full or the sender is closed.
   */
  schedule(send: () => void): boolean {
    if (this.closed) return false;
    if (this.delayMs <= 0) {
      send();
      return true;
    }
    if (this.pending >= this.maxPending) return false;
    this.queue.push({ due: this.now() + this.delayMs, send });
    if (this.timer === undefined) this.arm(this.delayMs);
    return true;
  }

  /** Stops the timer; `flush` true sends what is queued now, false discards it. */
  close(flush = false): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const rest = this.queue.slice(this.head);
    this.queue.length = 0;
    this.head = 0;
    if (flush) for (const item of rest) item.send();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.fire(), Math.max(0, ms));
  }

  private fire(): void {
    this.timer = undefined;
    const t = this.now();
    while (this.head < this.queue.length && this.queue[this.head]!.due <= t) {
      const item = this.queue[this.head]!;
      this.queue[this.head] = undefined as never;
      this.head++;
      try {
        item.send();
      } catch {
        // One failing send (a closed socket) must not strand the rest of the queue.
      }
    }
    // Compact once the consumed prefix dominates, keeping memory proportional to `pending`.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else {
      this.arm(this.queue[this.head]!.due - t);
    }
  }
}
