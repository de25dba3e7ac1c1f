/**
 * Shapes of the source that issue 16 took out and that must not come back: Prometheus metrics
 * registered through a cast, user sources wrapped twice on their way to the evaluator, a second
 * name for the reply channel. Checked on the source text, and where it is behaviour (one count
 * per lookup) on the running objects.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/policy/entry.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { CountedUserSource, countLookups } from '../../src/server/store-metrics.js';
import type { UserSource } from '../../src/store/source.js';
import { repoRoot } from '../server/test-server.js';

const read = (file: string) => readFileSync(join(repoRoot, file), 'utf8');
const sourceFiles = (dir: string) => readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(dir, f));

describe('metrics go through prom-client\'s public API', () => {
  const files = sourceFiles('src/server').filter((f) => /\/metrics[^/]*\.ts$/.test(f)).concat(sourceFiles('src/transport'));

  it('no `as unknown as` in src/server/metrics*.ts or src/transport', () => {
    expect(files).toContain('src/server/metrics.ts');
    expect(files.filter((f) => read(f).includes('as unknown as'))).toEqual([]);
  });

  it('metrics.ts registers Counters, Gauges and a Histogram, never a hand-made metric object', () => {
    const text = read('src/server/metrics.ts');
    expect(text).not.toMatch(/registerMetric\(/);
    expect(text).toMatch(/new Counter\(/);
    expect(text).toMatch(/new Gauge\(/);
    expect(text).toMatch(/new Histogram\(/);
  });
});

describe('user sources reach the evaluator wrapped once', () => {
  it('only the stores and the lookup counter implement UserSource', () => {
    const implementers = sourceFiles('src').filter((f) => /implements\s+(?:[\w, ]+,\s*)?UserSource\b/.test(read(f))).sort();
    expect(implementers).toEqual(['src/server/store-metrics.ts', 'src/store/files-source.ts', 'src/store/sqlite/sqlite-source.ts']);
  });

  it('the access stage hands the sources to the evaluator as they are (no adapter closures)', () => {
    const text = read('src/server/access-decision.ts');
    expect(text).not.toMatch(/sources\.map\(/);
    expect(text).not.toMatch(/WeakMap/);
  });

  it('counting the sources of a kept snapshot again counts each lookup once', () => {
    const entry = { name: 'alice', isDefault: false } as Entry;
    const raw: UserSource = { name: '/etc/users', lookup: (u) => (u === 'alice' ? [entry] : []), close: () => undefined };
    const metrics = new ServerMetrics({ processMetrics: false });
    const once = countLookups([raw], metrics);
    const twice = countLookups(once, metrics);
    expect(twice[0]).toBe(once[0]);
    expect(twice[0]).toBeInstanceOf(CountedUserSource);
    twice[0]!.lookup('alice');
    twice[0]!.lookup('bob');
    expect(metrics.store('files')).toMatchObject({ found: 1, notFound: 1, errors: 0 });
  });
});

describe('one name per concept', () => {
  it('the reply channel has no second name (ListenerPort)', () => {
    expect(sourceFiles('src').filter((f) => /\bListenerPort\b/.test(read(f)))).toEqual([]);
  });
});
