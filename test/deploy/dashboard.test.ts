import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ServerMetrics } from '../../src/server/metrics.js';

const dashboard = JSON.parse(readFileSync(new URL('../../dashboards/vutlan-radius.json', import.meta.url), 'utf8')) as {
  panels: { title: string; targets: { expr: string }[] }[];
};

describe('dashboards/vutlan-radius.json', () => {
  it('queries only series the server exports', async () => {
    const m = new ServerMetrics();
    m.client('lab');
    m.store('files');
    // The server registers these two gauges at start (server.ts).
    m.gauge('radius_duplicate_cache_entries', 'x', () => 0);
    m.gauge('radius_delayed_rejects', 'x', () => 0);
    const exported = new Set((await m.text()).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][\w:]*/.exec(l)![0]));
    const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/\b(?:radius|process|nodejs)_[a-z_]+/g) ?? [])));
    expect(used.size).toBeGreaterThan(8);
    for (const name of used) expect(exported, `${name} is not exported`).toContain(name);
  });
});
