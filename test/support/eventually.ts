/**
 * Polls `f` (sync or async) every `everyMs` until it returns something truthy, or `ms` pass, and
 * resolves with its last value: tests wait for the event itself (a metric, a row, a line), with
 * a deadline that only a broken system reaches, instead of sleeping for a guessed time.
 */
export async function eventually<T>(f: () => T | Promise<T>, ms = 5000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
