import { describe, expect, it } from 'vitest';
import { mergeComponents } from '../../src/server/health-components.js';

describe('mergeComponents (the workers\' /healthz components as one)', () => {
  it('takes the worst status with its error, counts the workers not up, sums spool records, keeps the oldest age', () => {
    const merged = mergeComponents([
      { sql: { status: 'up', age_s: 0.1 }, radacct: { status: 'up', spool_records: 0 } },
      { sql: { status: 'unreachable', age_s: 3.2, error: 'connect ECONNREFUSED' }, radacct: { status: 'spooling', spool_records: 7 } },
      { sql: { status: 'refusing', age_s: 2.5, error: 'Connection terminated' }, radacct: { status: 'spooling', spool_records: 5 } },
    ]);
    expect(merged).toEqual({
      sql: { status: 'refusing', age_s: 3.2, error: 'Connection terminated', workers_not_up: 2 },
      radacct: { status: 'spooling', spool_records: 12, workers_not_up: 2 },
    });
  });

  it('all up: up, without workers_not_up; a component only some workers have is still shown', () => {
    expect(mergeComponents([{ sql: { status: 'up', age_s: 0.2 } }, { sql: { status: 'up', age_s: 0.4 }, radacct: { status: 'up', spool_records: 0 } }]))
      .toEqual({ sql: { status: 'up', age_s: 0.4 }, radacct: { status: 'up', spool_records: 0 } });
    expect(mergeComponents([])).toEqual({});
  });
});
