/** A logger that cannot be turned into a flood itself: per-key line limits with suppressed counts. */

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
