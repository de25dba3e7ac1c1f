import { spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync } from 'node:fs';

/**
 * What every side-by-side FreeRADIUS run shares (the differential runner and the benchmark
 * server): finding the binary, copying the packaged raddb, the radiusd.conf changes a private
 * run needs, waiting for "Ready to process requests", (stopping it is `stopChild`).
 */

/** Where the packaged FreeRADIUS configuration lives on Debian. */
export const DEBIAN_RADDB = '/etc/freeradius/3.0';

/** The FreeRADIUS binary (`freeradius` on Debian, `radiusd` elsewhere), or undefined. */
export function findFreeRadius(): string | undefined {
  for (const name of ['freeradius', 'radiusd']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    const path = r.stdout.trim();
    if (r.status === 0 && path) return path;
  }
  return undefined;
}

/** `text.replace(pattern, replacement)`, throwing `cannot find <what>` when nothing matches. */
export function replaceOrFail(text: string, pattern: RegExp, replacement: string, what: string): string {
  if (!pattern.test(text)) throw new Error(`FreeRADIUS config: cannot find ${what}`);
  return text.replace(pattern, replacement);
}

/** Copies the source raddb (default DEBIAN_RADDB) to `raddb`, symlinks as they are. */
export function copyRaddb(raddb: string, sourceRaddb?: string): void {
  cpSync(sourceRaddb ?? DEBIAN_RADDB, raddb, { recursive: true, verbatimSymlinks: true });
}

/**
 * radiusd.conf for a private run: log and run files in the given directories, `reject_delay = 0`
 * (a side-by-side run would otherwise wait a second per reject), no user/group switch (the copy
 * lives in the invoking user's temp dir), and `raddbdir` pointed at the copy when given.
 */
export function privateRadiusdConf(conf: string, dirs: { logdir: string; runDir: string; raddbdir?: string }): string {
  let out = conf;
  if (dirs.raddbdir !== undefined) out = replaceOrFail(out, /^raddbdir = .*$/m, `raddbdir = ${dirs.raddbdir}`, 'raddbdir');
  out = replaceOrFail(out, /^logdir = .*$/m, `logdir = ${dirs.logdir}`, 'logdir');
  out = replaceOrFail(out, /^run_dir = .*$/m, `run_dir = ${dirs.runDir}`, 'run_dir');
  out = replaceOrFail(out, /^(\s*)reject_delay = \d+/m, '$1reject_delay = 0', 'reject_delay');
  if (!/^\s*(user|group) = .*$/m.test(out)) throw new Error('FreeRADIUS config: cannot find user');
  return out.replace(/^(\s*)(user|group) = .*$/gm, '$1#$2 (private run: stay the invoking user)');
}

/**
 * Polls `text()` every 50 ms until it contains "Ready to process requests" ('ready'), the child
 * exits ('exited') or `timeoutMs` passes ('timeout').
 */
export function waitForReady(child: ChildProcess, text: () => string, timeoutMs: number): Promise<'ready' | 'exited' | 'timeout'> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) { res('exited'); return; }
    const done = (r: 'ready' | 'exited' | 'timeout'): void => {
      clearTimeout(deadline);
      clearInterval(tick);
      child.off('exit', onExit);
      res(r);
    };
    const onExit = (): void => done('exited');
    const deadline = setTimeout(() => done('timeout'), timeoutMs);
    const tick = setInterval(() => { if (text().includes('Ready to process requests')) done('ready'); }, 50);
    child.once('exit', onExit);
  });
}
