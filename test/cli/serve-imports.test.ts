/**
 * `vutlan-radius serve` must not load the benchmark code (src/bench: load generator, FreeRADIUS
 * runner, data writers): the CLI's static import graph is walked from its entry file, and only
 * the `bench` command's dynamic imports may reach src/bench.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';

/** Value imports and re-exports (not `import type`), in source order. */
const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm;

function staticImportGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const target = join(dirname(file), m[1]!.replace(/\.js$/, '.ts'));
      if (existsSync(target)) todo.push(target);
    }
  }
  return seen;
}

describe('serve does not load the benchmark code', () => {
  const graph = [...staticImportGraph(join(repoRoot, 'src/cli/vutlan-radius.ts'))].map((f) => relative(repoRoot, f));

  it('walks the real graph (server, protocol, bench command registration)', () => {
    expect(graph).toContain('src/server/server.ts');
    expect(graph).toContain('src/protocol/decode.ts');
    expect(graph).toContain('src/cli/bench-command.ts');
  });

  it('reaches no file under src/bench', () => {
    expect(graph.filter((f) => f.startsWith('src/bench/'))).toEqual([]);
  });
});
