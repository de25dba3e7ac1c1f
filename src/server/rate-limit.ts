/**
 * Flood protection for the receive path: packets-per-second limits (per client and global),
 * a bounded timer queue for `reject_delay`, and a logger that cannot be turned into a flood
 * itself. Everything here is O(1) per packet and holds a bounded amount of memory whatever the
 * load, so a flood costs CPU for counting and nothing else.
 */

/** The `security` keys this module implements, with FreeRADIUS's names where it has them. */
export interface LimitsConfig {
  /** Packets per second accepted from all clients together; 0 = unlimited. */
  maxPps: number;
  /** Packets per second accepted from one client (one configured NAS entry); 0 = unlimited. */
  maxPpsPerClient: number;
  /** Most attributes a request may carry (decoder option); FreeRADIUS default 200. */
  maxAttributes: number;
  /** Seconds an Access-Reject is held before it is sent; 0 sends at once. FreeRADIUS default 1. */
  rejectDelay: number;
  /** Most rejects held at once; beyond that a reject is dropped (the NAS retransmits). */
  maxDelayedRejects: number;
}

/** Defaults: FreeRADIUS's `max_attributes = 200` and `reject_delay = 1`; no pps limit, as FreeRADIUS. */
export const DEFAULT_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  maxPps: 0,
  maxPpsPerClient: 0,
  maxAttributes: 200,
  rejectDelay: 1,
  maxDelayedRejects: 65_536,
});

/**
 * Reads the limit keys of a `security` config section (snake_case, as in the YAML) over the
 * defaults. Throws Error naming the key when a value is not a non-negative finite number.
 */
export function limitsFromSecurity(security: Record<string, unknown> | undefined): LimitsConfig {
  const s = security ?? {};
  const num = (key: string, fallback: number, integer: boolean): number => {
    const v = s[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) {
      throw new Error(`security.${key}: expected a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    }
    return v;
  };
  return {
    maxPps: num('max_pps', DEFAULT_LIMITS.maxPps, true),
    maxPpsPerClient: num('max_pps_per_client', DEFAULT_LIMITS.maxPpsPerClient, true),
    maxAttributes: num('max_attributes', DEFAULT_LIMITS.maxAttributes, true),
    rejectDelay: num('reject_delay', DEFAULT_LIMITS.rejectDelay, false),
    maxDelayedRejects: num('max_delayed_rejects', DEFAULT_LIMITS.maxDelayedRejects, true),
  };
}

/**
 * A sliding one-second window, the estimator FreeRADIUS uses for `max_pps`: the count of the
 * previous whole second weighted by how much of it still overlaps the last 1000 ms, plus the
 * count of the current second. Two integers of state; packets refused are not counted, so a
 * client that stays under the limit is never starved by its own refused excess.
 */
export class PpsWindow {
  private second = Number.NEGATIVE_INFINITY;
  private current = 0;
  private previous = 0;

  /** `maxPps` > 0: the packets admitted per sliding second. */
  constructor(readonly maxPps: number) {}

  /** Counts one packet at `nowMs` and returns true, or returns false when it is over the limit. */
  tryAcquire(nowMs: number): boolean {
    const sec = Math.floor(nowMs / 1000);
    if (sec !== this.second) {
      this.previous = sec === this.second + 1 ? this.current : 0;
      this.current = 0;
      this.second = sec;
    }
    const overlap = 1 - (nowMs - sec * 1000) / 1000;
    if (this.previous * overlap + this.current >= this.maxPps) return false;
    this.current++;
    return true;
  }

  /** Estimated packets admitted over the last second at `nowMs` (for Status-Server / metrics). */
  rate(nowMs: number): number {
    const sec = Math.floor(nowMs / 1000);
    if (sec === this.second) return Math.round(this.previous * (1 - (nowMs - sec * 1000) / 1000) + this.current);
    if (sec === this.second + 1) return Math.round(this.current * (1 - (nowMs - sec * 1000) / 1000));
    return 0;
  }
}

/** Outcome of {@link PacketRateLimiter.admit}: admitted, or which limit refused the packet. */
export type AdmitResult = 'ok' | 'client_limit' | 'global_limit';

/**
 * Per-client and global packets-per-second limits. Per-client windows are keyed by the
 * configured client's name, a finite set; the map is still capped (oldest key evicted) so a
 * caller keying by something unbounded cannot grow memory.
 */
export class PacketRateLimiter {
  private readonly global: PpsWindow | undefined;
  private readonly perClient = new Map<string, PpsWindow>();

  constructor(
    private readonly limits: Pick<LimitsConfig, 'maxPps' | 'maxPpsPerClient'>,
    private readonly maxClients = 65_536,
  ) {
    this.global = limits.maxPps > 0 ? new PpsWindow(limits.maxPps) : undefined;
  }

  /** True when neither limit is configured, so callers may skip the call entirely. */
  get unlimited(): boolean {
    return this.global === undefined && this.limits.maxPpsPerClient <= 0;
  }

  /**
   * Decides whether one packet from `clientKey` is admitted at `nowMs`. The client limit is
   * checked first, so one flooding client is refused before it can use up the global budget.
   */
  admit(clientKey: string, nowMs: number): AdmitResult {
    if (this.limits.maxPpsPerClient > 0) {
      let w = this.perClient.get(clientKey);
      if (w === undefined) {
        if (this.perClient.size >= this.maxClients) {
          const oldest = this.perClient.keys().next().value as string;
          this.perClient.delete(oldest);
        }
        w = new PpsWindow(this.limits.maxPpsPerClient);
        this.perClient.set(clientKey, w);
      }
      if (!w.tryAcquire(nowMs)) return 'client_limit';
    }
    if (this.global !== undefined && !this.global.tryAcquire(nowMs)) return 'global_limit';
    return 'ok';
  }

  /** Number of per-client windows held (bounded by `maxClients`). */
  get trackedClients(): number {
    return this.perClient.size;
  }
}

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

/** Where {@link RateLimitedLogger} writes: pino's `(obj, msg)` call shape. */
export type LogSink = (fields: Record<string, unknown>, message: string) => void;

/**
 * Logs the first `burst` events of each key (a drop reason) per `intervalMs`, then counts the
 * rest and writes one summary line (`suppressed: N`) when the interval ends. A flood therefore
 * produces at most `burst + 1` lines per key per interval. Keys are capped at `maxKeys`.
 */
export class RateLimitedLogger {
  private readonly windows = new Map<string, { start: number; logged: number; suppressed: number; timer?: NodeJS.Timeout }>();

  constructor(
    private readonly sink: LogSink,
    private readonly burst = 10,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 1024,
  ) {}

  /** Logs `message` with `fields` under `key` unless this key is over its burst. */
  log(key: string, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    let w = this.windows.get(key);
    if (w !== undefined && t - w.start >= this.intervalMs) {
      this.summarize(key, w);
      w = undefined;
    }
    if (w === undefined) {
      if (this.windows.size >= this.maxKeys) return;
      w = { start: t, logged: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      this.sink(fields, message);
      return;
    }
    w.suppressed++;
    if (w.timer === undefined) {
      const entry = w;
      entry.timer = setTimeout(() => {
        if (this.windows.get(key) === entry) this.summarize(key, entry);
      }, Math.max(0, entry.start + this.intervalMs - t));
      entry.timer.unref();
    }
  }

  /** Writes pending summaries and forgets all windows (at shutdown). */
  flush(): void {
    for (const [key, w] of [...this.windows]) this.summarize(key, w);
  }

  private summarize(key: string, w: { start: number; suppressed: number; timer?: NodeJS.Timeout }): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    this.windows.delete(key);
    if (w.suppressed > 0) {
      this.sink(
        { key, suppressed: w.suppressed, interval_ms: this.intervalMs },
        `suppressed ${w.suppressed} similar messages (${key})`,
      );
    }
  }
}
