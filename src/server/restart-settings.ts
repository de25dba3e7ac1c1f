import type { ServerConfig } from './config.js';

/**
 * Settings a reload cannot apply to a running server: the number of worker processes, the web
 * administration (its listener, certificate and database are opened once, at start), the
 * directory of the learnt state, and the console log format. A reload that changes one of them
 * still applies everything else; these messages say which setting waits for a restart.
 */
export function settingsNeedingRestart(running: ServerConfig, next: ServerConfig): string[] {
  const out: string[] = [];
  const changed = (key: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)) out.push(`${key} changed: it takes effect at the next restart (a reload does not apply it)`);
  };
  changed('workers', running.workers, next.workers);
  changed('admin', running.admin, next.admin);
  changed('state_dir', running.stateDir, next.stateDir);
  changed('log.pretty', running.log.pretty, next.log.pretty);
  return out;
}
