/**
 * Backoff and lockout for admin sign-in, per account name (existing or not, so probing names
 * learns nothing) and per client address (so spraying many names from one address stops too).
 *
 * After `freeFailures` failures in a row (3), each further attempt must wait 1 s, 2 s, 4 s ... (at
 * most 60 s) after the previous failure; at `lockAfter` failures (6) the name is locked for
 * `lockMs` (15 min), even for the right password. A successful sign-in clears the name's count.
 * An address gets the same treatment after 10 failures (backoff) and 30 (lock), whatever names.
 * In memory: a restart clears it (whoever can restart the server needs no password guessing).
 */

export interface ThrottleOptions {
  freeFailures?: number;
  lockAfter?: number;
  lockMs?: number;
  /** Failures from one address (any names) before its backoff starts, and before it is locked out. */
  addressFreeFailures?: number;
  addressLockAfter?: number;
  now?: () => number;
}

interface Failures {
  count: number;
  last: number;
  lockedUntil: number;
}

export type ThrottleVerdict = { ok: true } | { ok: false; reason: 'locked' | 'backoff'; retryAfterSeconds: number };

const MAX_TRACKED = 50_000;

export class LoginThrottle {
  private readonly byName = new Map<string, Failures>();
  private readonly byAddress = new Map<string, Failures>();
  private readonly freeFailures: number;
  private readonly lockAfter: number;
  private readonly lockMs: number;
  private readonly addressFreeFailures: number;
  private readonly addressLockAfter: number;
  private readonly now: () => number;

  constructor(o: ThrottleOptions = {}) {
    this.freeFailures = o.freeFailures ?? 3;
    this.lockAfter = o.lockAfter ?? 6;
    this.lockMs = o.lockMs ?? 15 * 60_000;
    this.addressFreeFailures = o.addressFreeFailures ?? 10;
    this.addressLockAfter = o.addressLockAfter ?? 30;
    this.now = o.now ?? Date.now;
  }

  /** May `name` from `address` try now? */
  check(name: string, address: string): ThrottleVerdict {
    const t = this.now();
    const checks = [
      [this.byName.get(name.toLowerCase()), this.freeFailures, this.lockAfter],
      [this.byAddress.get(address), this.addressFreeFailures, this.addressLockAfter],
    ] as const;
    for (const [f, free, lockAfter] of checks) {
      if (!f) continue;
      if (f.lockedUntil > t) return { ok: false, reason: 'locked', retryAfterSeconds: Math.ceil((f.lockedUntil - t) / 1000) };
      if (f.count >= lockAfter) continue; // lock expired: the next failure locks again
      if (f.count >= free) {
        const wait = Math.min(60_000, 1000 * 2 ** (f.count - free));
        if (t - f.last < wait) return { ok: false, reason: 'backoff', retryAfterSeconds: Math.ceil((wait - (t - f.last)) / 1000) };
      }
    }
    return { ok: true };
  }

  /** Records a failed attempt; returns true when it locked the name. */
  failed(name: string, address: string): boolean {
    const t = this.now();
    const locked = this.bump(this.byName, name.toLowerCase(), this.lockAfter, t);
    this.bump(this.byAddress, address, this.addressLockAfter, t);
    return locked;
  }

  succeeded(name: string): void {
    this.byName.delete(name.toLowerCase());
  }

  private bump(map: Map<string, Failures>, key: string, lockAfter: number, t: number): boolean {
    if (map.size >= MAX_TRACKED && !map.has(key)) {
      for (const [k, f] of map) if (f.lockedUntil < t && t - f.last > this.lockMs) map.delete(k);
      if (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!);
    }
    let f = map.get(key);
    if (!f) map.set(key, (f = { count: 0, last: t, lockedUntil: 0 }));
    if (f.lockedUntil !== 0 && f.lockedUntil <= t) f.count = 0; // a lock served restarts the count
    f.count++;
    f.last = t;
    if (f.count >= lockAfter) {
      f.lockedUntil = t + this.lockMs;
      return true;
    }
    return false;
  }
}
