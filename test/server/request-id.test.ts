import { describe, expect, it } from 'vitest';
import { RequestIds } from '../../src/server/request-id.js';

describe('RequestIds', () => {
  it('formats a per-process tag and the request number in base 36', () => {
    const ids = new RequestIds(1234, 1_700_000_000_000);
    expect(ids.format(1)).toBe(`${ids.tag}1`);
    expect(ids.format(36)).toBe(`${ids.tag}10`);
    expect(ids.tag).toMatch(/^[0-9a-z]+\.[0-9a-z]+-$/);
  });

  it('two processes (or a restarted worker) never share ids', () => {
    const a = new RequestIds(100, 5_000);
    const b = new RequestIds(101, 5_000);
    const c = new RequestIds(100, 9_000);
    const all = new Set<string>();
    for (const ids of [a, b, c]) for (let n = 1; n <= 1000; n++) all.add(ids.format(n));
    expect(all.size).toBe(3000);
  });
});
