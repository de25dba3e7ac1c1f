import { spawnSync } from 'node:child_process';

/**
 * CLI and process-level tests run the compiled bins, so build once before the suite.
 * Type errors are reported (and fail `npm run build` / CI's install) but do not stop the run, so
 * one unfinished module does not hide every other test result while developing.
 */
export default function setup(): void {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (r.status !== 0) console.warn('global-setup: tsc reported errors; dist may be partial');
  // the admin web UI (dist/admin-ui) for the admin and browser tests
  const ui = spawnSync(process.execPath, ['scripts/build-ui.mjs'], { stdio: 'inherit' });
  if (ui.status !== 0) console.warn('global-setup: the admin UI did not build');
}
