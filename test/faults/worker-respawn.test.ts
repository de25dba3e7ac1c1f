import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, health, login, metric, startFaultServer, type FaultServer } from './harness.js';

function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const t = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (t) out.push(...t.split(' ').map(Number));
  }
  return out;
}

/**
 * Fault 2 of issue 11: workers: 2, a users file saved with an error (reload refused), then one
 * worker killed with SIGKILL. The new worker must start from the configuration in service, not
 * the broken file on disk, and the server must keep answering.
 */
describe.runIf(process.platform === 'linux')('kill -9 of a worker after a refused reload (workers: 2)', { timeout: 90_000 }, () => {
  let server: FaultServer;

  beforeAll(async () => {
    server = await startFaultServer({ workers: 2 });
  });
  afterAll(async () => {
    if (server) {
      await server.stop();
      cleanup(server.dir);
    }
  });

  it('the restarted worker serves the validated configuration; the refusal stays visible', async () => {
    expect(await login(server.auth)).toBe(2);
    let from = server.output().length;
    appendFileSync(join(server.dir, 'authorize'), '\nbroken Cleartext-Password := "x" ==\n');
    await server.waitFor(/reload failed, still serving the previous configuration/, 10_000, from);
    expect(server.output().slice(from)).toMatch(/authorize:\d+: /);
    const h = await health(server.metrics);
    expect(h.status).toBe('degraded');
    expect(h.problems?.join()).toMatch(/reload refused/);

    for (let round = 0; round < 3; round++) {
      const workers = childPids(server.child.pid!);
      expect(workers).toHaveLength(2);
      from = server.output().length;
      process.kill(workers[round % 2]!, 'SIGKILL');
      await server.waitFor(/worker exited; starting a new one/, 10_000, from);
      // answered by the survivor meanwhile, and by both once the new one is up
      expect(await login(server.auth)).toBe(2);
      await server.waitFor(/restarted worker ready/, 20_000, from);
      expect(server.output().slice(from)).not.toMatch(/authorize:\d+/); // it did not load the broken file
    }
    const answers = await Promise.all(Array.from({ length: 20 }, () => login(server.auth)));
    expect(answers.every((a) => a === 2)).toBe(true);
    expect(server.child.exitCode).toBeNull();
    expect(await metric(server.metrics, 'radius_reloads_total{result="error"}')).toBeGreaterThanOrEqual(1);
    expect((await health(server.metrics)).problems?.join()).toMatch(/reload refused/);

    // a good edit is applied to every worker and clears it
    from = server.output().length;
    const text = readFileSync(join(server.dir, 'authorize'), 'utf8').replace('broken Cleartext-Password := "x" ==\n', 'newuser Cleartext-Password := "pw"\n');
    writeFileSync(join(server.dir, 'authorize'), text);
    await server.waitFor(/configuration reloaded[\s\S]*configuration reloaded/, 15_000, from); // both workers
    expect((await health(server.metrics)).status).toBe('ok');
    const newUser = await Promise.all(Array.from({ length: 10 }, () => login(server.auth, 'newuser', 'pw')));
    expect(newUser.every((a) => a === 2)).toBe(true);
  });
});
