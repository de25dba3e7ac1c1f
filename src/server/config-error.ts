/**
 * Load-time problems of the server's configuration files (radiusd.yaml, clients.conf, users
 * files, dictionaries), each tied to a file and line so `check` and the reload log can print
 * `file:line: message` the way FreeRADIUS prints `file[line]: message`.
 */

/** One problem found while loading; `line` is 0 when no position is known. */
export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
}

/** Formats a problem as `file:line: message` (or `file: message` without a line). */
export function formatProblem(p: ConfigProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`;
}

/**
 * Thrown when a configuration cannot be used. `problems` lists every problem found (loading
 * goes on after the first one where it can, so one run shows them all); the message is their
 * `file:line: message` lines.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}
