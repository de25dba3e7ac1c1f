/**
 * Shared settings of the fuzz tests.
 *
 * Default (`npm test`, CI): each property runs until `numRuns` inputs or its time budget is
 * spent, so the whole fuzz directory takes about 10-20 s. Longer runs:
 *
 *   FUZZ_RUNS=200000 npx vitest run test/fuzz          # 200,000 inputs per property, no time cap
 *   FUZZ_SEED=1234 FUZZ_PATH=... npx vitest run test/fuzz   # replay a failure fast-check printed
 *
 * Every input is timed: one that takes longer than {@link PER_INPUT_MS} on three tries fails the
 * property as a hang (vitest's per-test timeout is the backstop for a real infinite loop).
 */
import type fc from 'fast-check';

const runsFromEnv = Number(process.env.FUZZ_RUNS ?? '');
/** True when FUZZ_RUNS asks for a long, run-count-driven campaign. */
export const LONG_RUN = Number.isInteger(runsFromEnv) && runsFromEnv > 0;

/** Longest time one input may take before it counts as a hang. */
export const PER_INPUT_MS = Number(process.env.FUZZ_PER_INPUT_MS ?? 250);

/** vitest timeout for one property: generous in long runs, bounded in the default run. */
export const TEST_TIMEOUT_MS = LONG_RUN ? 24 * 3600_000 : 30_000;

/**
 * fast-check parameters for one property with a default time budget of `budgetMs` and
 * `defaultRuns` inputs (whichever ends first; an interrupted run is not a failure). In a long
 * run, FUZZ_RUNS inputs, at most `longRunCap` (for properties whose inputs are slow).
 */
export function fuzzParams<T>(defaultRuns: number, budgetMs: number, longRunCap = Number.POSITIVE_INFINITY): fc.Parameters<T> {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : undefined;
  const path = process.env.FUZZ_PATH;
  const base: fc.Parameters<T> = { ...(seed !== undefined ? { seed } : {}), ...(path ? { path } : {}), endOnFailure: false };
  if (LONG_RUN) return { ...base, numRuns: Math.min(runsFromEnv, longRunCap) };
  return { ...base, numRuns: defaultRuns, interruptAfterTimeLimit: budgetMs, markInterruptAsFailure: false };
}

/** Thrown when one input exceeds {@link PER_INPUT_MS}. */
export class HangError extends Error {}

/**
 * Runs `fn` and returns its outcome: the value, or the error it threw. Fails (throws) when it
 * takes longer than `boundMs` (default {@link PER_INPUT_MS}) three times in a row: a slow run
 * is re-timed twice so a GC pause or a busy machine is not reported as a hang (every fuzzed
 * function is pure, so running it again is safe).
 */
export function timed<T>(fn: () => T, boundMs = PER_INPUT_MS): { ok: true; value: T } | { ok: false; error: unknown } {
  let fastest = Number.POSITIVE_INFINITY;
  let out: { ok: true; value: T } | { ok: false; error: unknown } = { ok: false, error: undefined };
  for (let attempt = 0; attempt < 3 && fastest > boundMs; attempt++) {
    const t0 = performance.now();
    try {
      out = { ok: true, value: fn() };
    } catch (error) {
      out = { ok: false, error };
    }
    fastest = Math.min(fastest, performance.now() - t0);
  }
  if (fastest > boundMs) throw new HangError(`one input took ${fastest.toFixed(0)} ms three times (bound ${boundMs} ms)`);
  return out;
}

/** Describes an unexpected exception for the failure message. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.constructor.name}: ${e.message}\n${e.stack ?? ''}`;
  return `non-Error thrown: ${String(e)}`;
}
