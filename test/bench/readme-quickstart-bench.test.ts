/**
 * The README's `bench --server` example, run as written against the quick-start server: the
 * shipped config/ (copied, on free ports instead of 1812/1813), the README's commands in order
 * with only the paths, port and duration substituted. It must end with exit 0 (every reply an
 * Accept that verifies).
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findFreeUdpPorts } from '../../src/bench/free-ports.js';
import { repoRoot } from '../server/test-server.js';

const CLI = 'node dist/cli/vutlan-radius.js';

/** The README's commands from `bench generate` to the `bench --server` line, in order. */
function readmeBenchCommands(): string[] {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const lines = readme.split('\n').map((l) => l.trim());
  const start = lines.findIndex((l) => l.startsWith(`${CLI} bench generate`));
  const end = lines.findIndex((l, i) => i > start && l.startsWith(`${CLI} bench --server`));
  expect(start, 'README has a "bench generate" line before "bench --server"').toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  return lines.slice(start, end + 1).filter((l) => l.startsWith(CLI));
}

function run(argv: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, argv, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('exit', (code) => resolve({ code, out }));
  });
}

let dir: string;
let server: ReturnType<typeof spawn> | undefined;

beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'vr-readme-bench-')); });
afterEach(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('README: bench --server against the quick-start server', () => {
  it('works as written once the README\'s generate and import lines have run', async () => {
    const config = join(dir, 'config');
    cpSync(join(repoRoot, 'config'), config, { recursive: true, filter: (f) => !/\.(sqlite|sqlite-wal|sqlite-shm|log)$|learnt\.json$/.test(f) });
    cpSync(join(repoRoot, 'dictionaries'), join(dir, 'dictionaries'), { recursive: true });
    const base = await findFreeUdpPorts(2);
    const yaml = join(config, 'radiusd.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('port: 1812', `port: ${base}`).replace('port: 1813', `port: ${base + 1}`));
    server = spawn(process.execPath, [join(repoRoot, 'dist/cli/vutlan-radius.js'), 'serve', '-c', yaml], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    server.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!/"msg":"ready"|ready/.test(log) && server.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(server.exitCode, log).toBe(null);

    const users = join(dir, 'bench-users');
    for (const line of readmeBenchCommands()) {
      const argv = line.slice('node '.length).split(/\s+/).map((a) =>
        a === '/tmp/bench-users' ? users
          : a === 'config/users.sqlite' ? join(config, 'users.sqlite')
            : a === '127.0.0.1:1812' ? `127.0.0.1:${base}`
              : a === 'dist/cli/vutlan-radius.js' ? join(repoRoot, a) : a);
      const i = argv.indexOf('--duration');
      if (i >= 0) argv[i + 1] = '2';
      const r = await run(argv, dir);
      expect(r.code, `${line}\n${r.out}\nserver:\n${log}`).toBe(0);
      if (line.includes('bench --server')) expect(r.out).toMatch(/invalid 0/);
    }
  }, 120_000);
});
