/**
 * Packets-per-second limits of the receive path (`security.max_pps`, `max_pps_per_client`):
 * O(1) per packet, bounded memory whatever the load, so a flood costs CPU for counting only.
 */

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
    /** Packets per second from all clients together / from one client; 0 = unlimited. */
    private readonly limits: { maxPps: number; maxPpsPerClient: number },
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
