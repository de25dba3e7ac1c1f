import { describe, expect, it } from 'vitest';
import { Doorkeeper } from '../../src/store/sqlite/doorkeeper.js';

describe('Doorkeeper', () => {
  it('admits a name the second time it is offered within the window, not the first', () => {
    const d = new Doorkeeper(1000);
    expect(d.admit('alice')).toBe(false);
    expect(d.admit('alice')).toBe(true);
    expect(d.admit('bob')).toBe(false);
    expect(d.admit('alice')).toBe(true);
    expect(d.admit('bob')).toBe(true);
  });

  it('remembers every name for at least half a window and forgets most after a whole window of others', () => {
    const d = new Doorkeeper(2000);
    const targets = Array.from({ length: 100 }, (_, i) => `target${i}`);
    const others = Array.from({ length: 5000 }, (_, i) => `user${String(i).padStart(7, '0')}`);
    const fresh = targets.filter((t) => !d.admit(t)).length;
    expect(fresh).toBeGreaterThan(95); // new names, but for a shared bit
    for (const n of others.slice(0, 850)) d.admit(n);
    for (const t of targets) expect(d.admit(t)).toBe(true); // never a false "new"
    for (const n of others.slice(1000, 3100)) d.admit(n);
    const still = targets.filter((t) => d.admit(t)).length; // only through shared bits
    expect(still).toBeLessThan(30);
  });

  it('lets few first-time names through by bit collisions (round-robin over far more names than the window)', () => {
    const d = new Doorkeeper(10_000);
    let passed = 0;
    const total = 200_000;
    for (let i = 0; i < total; i++) if (d.admit(`user${String(i).padStart(7, '0')}`)) passed++;
    expect(passed / total).toBeLessThan(0.12);
  });
});
