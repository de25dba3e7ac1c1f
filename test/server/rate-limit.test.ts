import { describe, expect, it, vi, afterEach } from 'vitest';
import { DelayedSender } from '../../src/server/delayed-sender.js';
import { PacketRateLimiter, PpsWindow } from '../../src/server/pps-limit.js';
import { RateLimitedLogger } from '../../src/server/rate-limited-logger.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('PpsWindow', () => {
  it('admits exactly maxPps packets within one second, then refuses', () => {
    const w = new PpsWindow(100);
    let ok = 0;
    for (let i = 0; i < 1000; i++) if (w.tryAcquire(10_000 + i * 0.5)) ok++;
    expect(ok).toBe(100);
  });

  it('slides: half a second into the next second half of the previous count still weighs', () => {
    const w = new PpsWindow(100);
    for (let i = 0; i < 100; i++) expect(w.tryAcquire(5_000 + i)).toBe(true);
    // At 6.5 s the previous second (100 packets) overlaps by 50 %: room for 50 more.
    let ok = 0;
    for (let i = 0; i < 200; i++) if (w.tryAcquire(6_500)) ok++;
    expect(ok).toBe(50);
    // Two seconds later the history is gone entirely.
    ok = 0;
    for (let i = 0; i < 200; i++) if (w.tryAcquire(8_900)) ok++;
    expect(ok).toBe(100);
  });

  it('sustains the configured rate over a long run (refused packets are not counted)', () => {
    const w = new PpsWindow(1000);
    let ok = 0;
    // 10 s of 5000 pps offered load.
    for (let t = 0; t < 10_000; t += 0.2) if (w.tryAcquire(t)) ok++;
    expect(ok).toBeGreaterThanOrEqual(9_900);
    expect(ok).toBeLessThanOrEqual(10_100);
  });
});

describe('PacketRateLimiter', () => {
  it('limits each client separately', () => {
    const l = new PacketRateLimiter({ maxPps: 0, maxPpsPerClient: 10 });
    const res = { a: 0, b: 0 };
    for (let i = 0; i < 100; i++) {
      if (l.admit('a', 1000 + i) === 'ok') res.a++;
      if (i < 5 && l.admit('b', 1000 + i) === 'ok') res.b++;
    }
    expect(res).toEqual({ a: 10, b: 5 });
    expect(l.admit('a', 1050)).toBe('client_limit');
  });

  it('applies the global limit across clients', () => {
    const l = new PacketRateLimiter({ maxPps: 20, maxPpsPerClient: 0 });
    let ok = 0;
    for (let i = 0; i < 100; i++) if (l.admit(`c${i % 7}`, 2000) === 'ok') ok++;
    expect(ok).toBe(20);
    expect(l.admit('z', 2000)).toBe('global_limit');
  });

  it('a client over its own limit does not use up the global budget', () => {
    const l = new PacketRateLimiter({ maxPps: 50, maxPpsPerClient: 10 });
    for (let i = 0; i < 1000; i++) l.admit('flooder', 3000);
    let ok = 0;
    for (let i = 0; i < 10; i++) if (l.admit('good', 3000) === 'ok') ok++;
    expect(ok).toBe(10);
  });

  it('is unlimited when neither limit is set', () => {
    const l = new PacketRateLimiter({ maxPps: 0, maxPpsPerClient: 0 });
    expect(l.unlimited).toBe(true);
    for (let i = 0; i < 10_000; i++) expect(l.admit('a', 0)).toBe('ok');
    expect(l.trackedClients).toBe(0);
  });

  it('holds a bounded number of per-client windows', () => {
    const l = new PacketRateLimiter({ maxPps: 0, maxPpsPerClient: 5 }, 100);
    for (let i = 0; i < 10_000; i++) l.admit(`k${i}`, 0);
    expect(l.trackedClients).toBe(100);
  });
});

describe('DelayedSender', () => {
  it('sends after the delay without blocking other work, in order', async () => {
    vi.useFakeTimers();
    const s = new DelayedSender(1000, 100);
    const sent: number[] = [];
    s.schedule(() => sent.push(1));
    vi.advanceTimersByTime(400);
    s.schedule(() => sent.push(2));
    expect(s.pending).toBe(2);
    vi.advanceTimersByTime(599);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([1]);
    vi.advanceTimersByTime(400);
    expect(sent).toEqual([1, 2]);
    expect(s.pending).toBe(0);
  });

  it('sends at once when the delay is 0', () => {
    const s = new DelayedSender(0, 1);
    const sent: number[] = [];
    expect(s.schedule(() => sent.push(1))).toBe(true);
    expect(s.schedule(() => sent.push(2))).toBe(true);
    expect(sent).toEqual([1, 2]);
  });

  it('refuses beyond maxPending and recovers once the queue drains', () => {
    vi.useFakeTimers();
    const s = new DelayedSender(100, 3);
    let n = 0;
    expect([1, 2, 3, 4].map(() => s.schedule(() => n++))).toEqual([true, true, true, false]);
    vi.advanceTimersByTime(100);
    expect(n).toBe(3);
    expect(s.schedule(() => n++)).toBe(true);
  });

  it('keeps going when one send throws', () => {
    vi.useFakeTimers();
    const s = new DelayedSender(10, 10);
    const sent: number[] = [];
    s.schedule(() => {
      throw new Error('socket closed');
    });
    s.schedule(() => sent.push(2));
    vi.advanceTimersByTime(10);
    expect(sent).toEqual([2]);
  });

  it('close(false) discards, close(true) flushes', () => {
    vi.useFakeTimers();
    const a = new DelayedSender(1000, 10);
    const b = new DelayedSender(1000, 10);
    const sent: string[] = [];
    a.schedule(() => sent.push('a'));
    b.schedule(() => sent.push('b'));
    a.close(false);
    b.close(true);
    vi.advanceTimersByTime(2000);
    expect(sent).toEqual(['b']);
    expect(a.schedule(() => sent.push('late'))).toBe(false);
  });

  it('memory stays proportional to pending under sustained load', () => {
    vi.useFakeTimers();
    const s = new DelayedSender(50, 1_000_000);
    let n = 0;
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 500; i++) s.schedule(() => n++);
      vi.advanceTimersByTime(10);
    }
    vi.advanceTimersByTime(100);
    expect(n).toBe(50_000);
    expect(s.pending).toBe(0);
    // The backing array is reset when it drains.
    expect((s as unknown as { queue: unknown[] }).queue.length).toBe(0);
  });
});

describe('RateLimitedLogger', () => {
  it('logs the first N per key per interval, then one summary line', () => {
    vi.useFakeTimers();
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const log = new RateLimitedLogger((fields, msg) => lines.push({ fields, msg }), 3, 1000);
    for (let i = 0; i < 1000; i++) log.log('unknown_client', { i }, 'dropped');
    log.log('bad_length', {}, 'dropped other');
    expect(lines.map((l) => l.msg)).toEqual(['dropped', 'dropped', 'dropped', 'dropped other']);
    vi.advanceTimersByTime(1000);
    expect(lines).toHaveLength(5);
    expect(lines[4]!.fields).toMatchObject({ key: 'unknown_client', suppressed: 997, interval_ms: 1000 });
    expect(lines[4]!.msg).toBe('suppressed 997 similar messages (unknown_client)');
    // A new interval logs again.
    log.log('unknown_client', { i: 'again' }, 'dropped');
    expect(lines).toHaveLength(6);
  });

  it('writes the summary lazily when the next event comes after the interval', () => {
    let now = 0;
    const lines: string[] = [];
    const log = new RateLimitedLogger((_f, msg) => lines.push(msg), 1, 100, () => now);
    log.log('k', {}, 'm');
    log.log('k', {}, 'm');
    log.log('k', {}, 'm');
    now = 150;
    log.log('k', {}, 'm');
    expect(lines).toEqual(['m', 'suppressed 2 similar messages (k)', 'm']);
    log.flush();
  });

  it('caps the number of keys', () => {
    const lines: string[] = [];
    const log = new RateLimitedLogger((_f, msg) => lines.push(msg), 1, 1000, () => 0, 10);
    for (let i = 0; i < 100; i++) log.log(`k${i}`, {}, `m${i}`);
    expect(lines).toHaveLength(10);
  });
});
