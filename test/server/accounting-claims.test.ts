import { describe, expect, it } from 'vitest';
import { AccountingClaims, type ClaimVerdict } from '../../src/server/accounting-claims.js';

function claimer(table: AccountingClaims, owner: number) {
  return (key: string) => {
    const got: ClaimVerdict[] = [];
    table.claim(key, owner, (v) => got.push(v));
    return got;
  };
}

describe('AccountingClaims (the primary table of accounting keys)', () => {
  it('the first claim writes; a claim while it writes waits and is answered recorded; later ones at once', () => {
    const t = new AccountingClaims(() => 0);
    const w1 = claimer(t, 1);
    const w2 = claimer(t, 2);
    expect(w1('k')).toEqual(['write']);
    const waiting = w2('k');
    expect(waiting).toEqual([]);
    t.settle('k', 1, true);
    expect(waiting).toEqual(['recorded']);
    expect(w2('k')).toEqual(['recorded']);
    expect(w1('other')).toEqual(['write']);
  });

  it('a failed write answers the waiters failed and is forgotten, so the next copy writes', () => {
    const t = new AccountingClaims(() => 0);
    expect(claimer(t, 1)('k')).toEqual(['write']);
    const waiting = claimer(t, 2)('k');
    t.settle('k', 1, false);
    expect(waiting).toEqual(['failed']);
    expect(claimer(t, 2)('k')).toEqual(['write']);
  });

  it('a settle from another worker than the owner changes nothing', () => {
    const t = new AccountingClaims(() => 0);
    claimer(t, 1)('k');
    const waiting = claimer(t, 2)('k');
    t.settle('k', 2, true);
    expect(waiting).toEqual([]);
    t.settle('k', 1, true);
    expect(waiting).toEqual(['recorded']);
  });

  it('a worker that dies while writing: its claims are dropped, waiters answered failed, recorded keys kept', () => {
    const t = new AccountingClaims(() => 0);
    claimer(t, 1)('writing');
    claimer(t, 1)('done');
    t.settle('done', 1, true);
    const waiting = claimer(t, 2)('writing');
    t.ownerGone(1);
    expect(waiting).toEqual(['failed']);
    expect(claimer(t, 2)('writing')).toEqual(['write']);
    expect(claimer(t, 2)('done')).toEqual(['recorded']);
  });

  it('recorded keys are forgotten after a minute', () => {
    let now = 0;
    const t = new AccountingClaims(() => now);
    claimer(t, 1)('k');
    t.settle('k', 1, true);
    now = 59_000;
    expect(claimer(t, 2)('k')).toEqual(['recorded']);
    now = 61_000;
    expect(claimer(t, 2)('k')).toEqual(['write']);
  });
});
