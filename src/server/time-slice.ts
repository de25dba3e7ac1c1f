import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Steps } from '../policy/steps.js';

/**
 * Runs `steps` in slices of about `sliceMs` of CPU time, giving the event loop a turn between
 * slices, so requests keep being answered while a reload parses a large users file (a 100,000
 * entry file is most of a second of work; run at once it would hold every request that long).
 */
export async function runTimeSliced<T>(steps: Steps<T>, sliceMs = 1): Promise<T> {
  for (;;) {
    const until = performance.now() + sliceMs;
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() >= until) break;
    }
    await nextTurn();
  }
}
