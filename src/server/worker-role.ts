import cluster from 'node:cluster';

/** Environment variable the primary sets on the one worker that speaks for all of them. */
export const REPORTER_ENV = 'VUTLAN_RADIUS_REPORTER';

/**
 * True in the process whose configuration warnings and start messages are printed: a single
 * process, the primary, or the one worker the primary chose (workers.ts). The other workers load
 * the same files, and printing their identical warnings too only repeats them N times.
 */
export function reportsForAll(): boolean {
  return !cluster.isWorker || process.env[REPORTER_ENV] === '1';
}
