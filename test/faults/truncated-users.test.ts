import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, health, login, metric, startFaultServer, type FaultServer } from './harness.js';

const users = (n: number): string => Array.from({ length: n }, (_, i) => `user${i} Cleartext-Password := "pw${i}"\n\tReply-Message = "hello ${i}"\n`).join('');

/**
 * Fault 6 of issue 11: the file watcher sees a truncated users file (`: > authorize`, a
 * half-written save). It is held back (logged, counted, /healthz) until an explicit SIGHUP.
 */
describe.each([1, 2])('a truncated users file seen by the watcher (workers: %i)', (workers) => {
  let server: FaultServer | undefined;
  afterEach(async () => {
    if (server) {
      await server.stop();
      cleanup(server.dir);
    }
    server = undefined;
  });

  it('is held back until SIGHUP; a full file again is taken as usual', async () => {
    const s = server = await startFaultServer({ workers, authorize: users(40) });
    const path = join(s.dir, 'authorize');
    expect(await login(s.auth, 'user7', 'pw7')).toBe(2);

    let from = s.output().length;
    writeFileSync(path, ''); // `: > authorize`
    await s.waitFor(/held back as an empty or unfinished save/, 10_000, from);
    expect(s.output().slice(from)).toMatch(/authorize:0: now 0 entries where 40 serve/);
    expect(await login(s.auth, 'user7', 'pw7')).toBe(2);
    expect(await metric(s.metrics, 'radius_reloads_total{result="error"}')).toBeGreaterThanOrEqual(1);
    expect((await health(s.metrics)).problems?.join()).toMatch(/held back/);

    from = s.output().length;
    writeFileSync(path, users(40).split('\n').slice(0, 30).join('\n')); // cut after 15 entries
    await s.waitFor(/now 15 entries where 40 serve: held back/, 10_000, from);
    expect(await login(s.auth, 'user30', 'pw30')).toBe(2);

    // an explicit SIGHUP applies what is on disk as it is
    from = s.output().length;
    s.child.kill('SIGHUP');
    await s.waitFor(workers > 1 ? /configuration reloaded[\s\S]*configuration reloaded/ : /configuration reloaded/, 10_000, from);
    expect(await login(s.auth, 'user30', 'pw30')).toBe(3);
    expect(await login(s.auth, 'user3', 'pw3')).toBe(2);
    expect((await health(s.metrics)).status).toBe('ok');

    // growing back is an ordinary change
    from = s.output().length;
    writeFileSync(path, users(40));
    await s.waitFor(workers > 1 ? /configuration reloaded[\s\S]*configuration reloaded/ : /configuration reloaded/, 10_000, from);
    expect(await login(s.auth, 'user30', 'pw30')).toBe(2);
  });
});
