import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The compiled CLI (built by the global setup). */
export const CLI = join(repoRoot, 'dist', 'cli', 'vutlan-radius.js');

/** A `vutlan-radius serve` child process and everything it printed so far. */
export interface CliServer {
  child: ChildProcess;
  output(): string;
}

/**
 * Writes `config` (YAML lines) to `<dir>/radiusd.yaml`, runs `vutlan-radius serve -c` on it
 * from `dir` and resolves once its output matches `ready`; throws `server did not start` with
 * the output when it exits first or is not ready within `timeoutMs`.
 */
export async function startCliServe(dir: string, config: readonly string[], ready: RegExp, timeoutMs = 20_000): Promise<CliServer> {
  writeFileSync(join(dir, 'radiusd.yaml'), config.join('\n'));
  const child = spawn(process.execPath, [CLI, 'serve', '-c', join(dir, 'radiusd.yaml')], { cwd: dir });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!ready.test(out)) throw new Error(`server did not start:\n${out}`);
  return { child, output: () => out };
}
