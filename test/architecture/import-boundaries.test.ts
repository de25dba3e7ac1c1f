/**
 * The layering of DESIGN.md, checked on the source: dependencies point down
 * (cli -> server/device -> store -> policy -> protocol), `serve` does not load the benchmark
 * code, and the typed device client does not pull in the emulator's SQLite layer. The static
 * import graph (value imports and re-exports; `import type` is erased) is walked from an entry.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';

const STATIC_IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm;

/** Files reached from `entry` (repository-relative) and the packages they import. */
function staticImportGraph(entry: string): { files: string[]; packages: Set<string> } {
  const seen = new Set<string>();
  const packages = new Set<string>();
  const todo = [join(repoRoot, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1]!;
      if (!spec.startsWith('.')) {
        packages.add(spec);
        continue;
      }
      const target = join(dirname(file), spec.replace(/\.js$/, '.ts'));
      if (existsSync(target)) todo.push(target);
    }
  }
  return { files: [...seen].map((f) => relative(repoRoot, f)), packages };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/**
 * Top-level src/ directories the files of `dir` import at run time (value imports; `import type`
 * is erased, and the SQL store's types of server/config and server/accounting-sink are the known
 * type-only exceptions, see docs/architecture.md).
 */
function layersImportedBy(dir: string): Set<string> {
  const out = new Set<string>();
  for (const file of sourceFiles(dir)) {
    for (const m of readFileSync(join(repoRoot, file), 'utf8').matchAll(STATIC_IMPORT)) {
      if (!m[1]!.startsWith('.')) continue;
      const target = relative(join(repoRoot, 'src'), join(repoRoot, dirname(file), m[1]!));
      out.add(target.split('/')[0]!);
    }
  }
  return out;
}

describe('layers: dependencies point down', () => {
  it('protocol imports nothing else of ours', () => {
    expect([...layersImportedBy('src/protocol')].sort()).toEqual(['protocol']);
  });

  it('policy imports only protocol', () => {
    expect([...layersImportedBy('src/policy')].sort()).toEqual(['policy', 'protocol']);
  });

  it('store imports only policy and protocol', () => {
    expect([...layersImportedBy('src/store')].sort()).toEqual(['policy', 'protocol', 'store']);
  });
});

describe('serve does not load the benchmark code', () => {
  const { files } = staticImportGraph('src/cli/vutlan-radius.ts');

  it('walks the real graph (server, protocol, bench command registration)', () => {
    expect(files).toContain('src/server/server.ts');
    expect(files).toContain('src/protocol/decode.ts');
    expect(files).toContain('src/cli/bench-command.ts');
  });

  it('reaches no file under src/bench', () => {
    expect(files.filter((f) => f.startsWith('src/bench/'))).toEqual([]);
  });
});

describe('the typed device client stands alone', () => {
  it('does not import the emulator\'s SQLite user store or better-sqlite3', () => {
    const { files, packages } = staticImportGraph('src/device/client.ts');
    expect(files).toContain('src/device/errors.ts');
    expect(files).not.toContain('src/device/user-store.ts');
    expect([...packages]).not.toContain('better-sqlite3');
  });
});
