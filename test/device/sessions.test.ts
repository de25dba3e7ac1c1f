import { describe, expect, it } from 'vitest';
import { EMPTY_LISTS } from '../../src/device/permissions.js';
import { SessionTable } from '../../src/device/sessions.js';

const who = (name: string) => ({ userId: 1, name, source: 'local' as const, lists: EMPTY_LISTS, remoteAddress: '127.0.0.1' });

describe('SessionTable', () => {
  it('issues distinct 128-bit hex keys', () => {
    const t = new SessionTable({ idleSeconds: 60 });
    const keys = new Set(Array.from({ length: 200 }, () => t.open(who('guest')).key));
    expect(keys.size).toBe(200);
    for (const k of keys) expect(k).toMatch(/^[0-9a-f]{32}$/);
  });

  it('expires a session idle for longer than the limit, and each use restarts the timer', () => {
    let now = 0;
    const t = new SessionTable({ idleSeconds: 10, now: () => now });
    const s = t.open(who('guest'));
    now = 9_000;
    expect(t.touch(s.key)).toBeDefined();
    now = 18_000;
    expect(t.touch(s.key)).toBeDefined();
    now = 28_001;
    expect(t.touch(s.key)).toBeUndefined();
    expect(t.size).toBe(0);
  });

  it('sweep drops idle sessions without touching live ones', () => {
    let now = 0;
    const t = new SessionTable({ idleSeconds: 10, now: () => now });
    t.open(who('a'));
    now = 8_000;
    const live = t.open(who('b'));
    now = 12_000;
    t.sweep();
    expect(t.size).toBe(1);
    expect(t.touch(live.key)?.name).toBe('b');
  });

  it('replaceOnLogin ends only the same user\'s earlier sessions from the same source', () => {
    const t = new SessionTable({ idleSeconds: 60, replaceOnLogin: true });
    const a1 = t.open(who('a'));
    const b = t.open(who('b'));
    const a2 = t.open(who('a'));
    expect(t.touch(a1.key)).toBeUndefined();
    expect(t.touch(a2.key)).toBeDefined();
    expect(t.touch(b.key)).toBeDefined();
  });
});
