import { spawnSync } from 'node:child_process';

/** The built CLI (test/global-setup.ts builds dist once per run). */
export const CLI = 'dist/cli/vutlan-radius.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Module-loading failures: another test run in the same tree is rewriting dist/ right now. */
const HALF_BUILT = /SyntaxError|ERR_MODULE_NOT_FOUND|Cannot find module|does not provide an export/;

/** Runs `vutlan-radius ARGS` with `input` on standard input; retries while dist/ is half rebuilt. */
export function runCli(args: readonly string[], input?: string, env?: NodeJS.ProcessEnv): CliRun {
  for (let attempt = 0; ; attempt++) {
    const r = spawnSync(process.execPath, [CLI, ...args], { input: input ?? '', encoding: 'utf8', timeout: 30_000, ...(env ? { env } : {}) });
    if (attempt < 3 && r.status !== 0 && HALF_BUILT.test(r.stderr)) {
      spawnSync('sleep', ['1']);
      continue;
    }
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }
}
