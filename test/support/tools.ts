/**
 * The tools the suite interoperates with (radclient, radtest, FreeRADIUS, pyrad, ...), found
 * once. A test that needs a missing tool is skipped outside CI with a warning saying which
 * tool; under CI=true the tool must be there (.ci/run installs it), so its absence fails.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findFreeRadius } from '../../src/bench/freeradius-process.js';

/** True when run by CI (`CI=true`): interop tests must run, never skip. */
export const CI = process.env.CI === 'true';

/** True when `name` is an executable on PATH (as `command -v` finds it). */
export function hasCommand(name: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** True when the FreeRADIUS server binary (`freeradius` or `radiusd`) is installed. */
export function hasFreeRadius(): boolean {
  return findFreeRadius() !== undefined;
}

/** A Python interpreter that can `import pyrad`, or undefined. */
export function pythonWithPyrad(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import pyrad'], { encoding: 'utf8' }).status === 0) return py;
  }
  return undefined;
}

/**
 * Whether the tests needing `what` are skipped: true (with a warning naming the tool) when it
 * is missing outside CI; throws when it is missing under CI=true; false when it is available.
 */
export function skipWithout(available: boolean, what: string): boolean {
  if (available) return false;
  if (CI) throw new Error(`${what} is required when CI=true (.ci/run installs it)`);
  console.warn(`${what} is not installed: the tests that need it are skipped (they run under CI=true)`);
  return true;
}
