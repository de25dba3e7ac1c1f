import { describe, expect, it } from 'vitest';
import { hashAdminPassword, verifyAdminPassword } from '../../src/admin/admin-password.js';
import { LoginThrottle } from '../../src/admin/login-throttle.js';
import { parsePrometheusText, sum } from '../../src/admin/prometheus-text.js';
import { FormError, parseUserForm } from '../../src/admin/user-form.js';

describe('LoginThrottle', () => {
  it('free failures, then doubling waits, then a lock that even the right password does not pass; a success clears it', () => {
    let now = 0;
    const t = new LoginThrottle({ now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(t.check('bob', '10.0.0.1').ok).toBe(true);
      t.failed('bob', '10.0.0.1');
    }
    expect(t.check('bob', '10.0.0.1')).toEqual({ ok: false, reason: 'backoff', retryAfterSeconds: 1 });
    expect(t.check('BOB', '10.0.0.9').ok).toBe(false); // names are case-insensitive, any address
    expect(t.check('alice', '10.0.0.1').ok).toBe(true);
    now += 1000;
    t.failed('bob', '10.0.0.1');
    expect(t.check('bob', '10.0.0.1')).toEqual({ ok: false, reason: 'backoff', retryAfterSeconds: 2 });
    now += 2000;
    t.failed('bob', '10.0.0.1');
    now += 4000;
    expect(t.failed('bob', '10.0.0.1')).toBe(true);
    expect(t.check('bob', '10.0.0.1')).toMatchObject({ ok: false, reason: 'locked' });
    now += 15 * 60_000;
    expect(t.check('bob', '10.0.0.1').ok).toBe(true);
    t.succeeded('bob');
    expect(t.check('bob', '10.0.0.1').ok).toBe(true);
  });

  it('locks out an address that sprays many names', () => {
    let now = 0;
    const t = new LoginThrottle({ now: () => now });
    for (let i = 0; i < 30; i++) {
      now += 60_000;
      t.failed(`name${i}`, '10.0.0.7');
    }
    expect(t.check('fresh-name', '10.0.0.7')).toMatchObject({ ok: false, reason: 'locked' });
    expect(t.check('fresh-name', '10.0.0.8').ok).toBe(true);
  });
});

describe('admin passwords', () => {
  it('scrypt with a random salt; wrong and malformed never verify', async () => {
    const a = await hashAdminPassword('correct horse');
    const b = await hashAdminPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(await verifyAdminPassword('correct horse', a)).toBe(true);
    expect(await verifyAdminPassword('correct hors', a)).toBe(false);
    expect(await verifyAdminPassword('x', 'plain')).toBe(false);
    expect(await verifyAdminPassword('x', 'scrypt$99999999$8$1$AAAA$AAAA')).toBe(false);
  });
});

describe('user form', () => {
  it('normalizes lists to the device form and collects every bad field', () => {
    const ok = parseUserForm({ name: 'u', password: { kind: 'sha1-hex', value: 'A'.repeat(40) }, lists: { sread: 'all', gwrite: '1, 2' }, overrides: [{ nas: '10.0.0.1', lists: { swrite: 'view,log' } }] }, true);
    expect(ok.change.lists).toEqual({ sread: 'all,', gwrite: '1,2,' });
    expect(ok.change.overrides).toEqual([{ nas: '10.0.0.1', lists: { swrite: 'view,log,' } }]);
    expect(ok.change.password?.attribute).toBe('SSHA2-512-Password');
    try {
      parseUserForm({ name: '', lists: { bogus: 'x', sread: 7 }, overrides: [{ nas: '10.0.0.1' }, { nas: '10.0.0.1' }] }, true);
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(FormError);
      expect((err as FormError).fields.map((f) => f.field)).toEqual(['name', 'password', 'lists.bogus', 'lists.sread', 'overrides.1.nas']);
    }
  });
});

describe('prometheus text', () => {
  it('reads labelled samples and sums them', () => {
    const s = parsePrometheusText('# HELP x\nradius_responses_total{client="a",code="Access-Accept"} 3\nradius_responses_total{client="b \\"q\\"",code="Access-Accept"} 4\nradius_responses_total{client="a",code="Access-Reject"} 1\nup 1\n');
    expect(sum(s, 'radius_responses_total', { code: 'Access-Accept' })).toBe(7);
    expect(sum(s, 'radius_responses_total', { client: 'b "q"' })).toBe(4);
    expect(sum(s, 'up')).toBe(1);
  });
});
