import { readFileSync } from 'node:fs';

/**
 * The version of the installed package, read from its package.json (beside `src`/`dist`), so
 * `--version` reports what was installed, from a clone or a tarball alike.
 */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: string; version?: string };
  return pkg.version ?? 'unknown';
}
