/**
 * Work done in steps: a generator that yields now and then (nothing is passed either way) and
 * returns its result. Loading a large users file this way lets the server answer requests
 * between steps during a reload (see `src/server/time-slice.ts`), while start-up and `check`
 * simply run it to the end with `finish`.
 */
export type Steps<T> = Generator<void, T, void>;

/** Runs `steps` to the end at once and returns the result. */
export function finish<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}
