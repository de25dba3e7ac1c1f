import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLI, cleanup, faultDir, health, inCi, isRoot, login, metric, startFaultServer, writeConfig, type FaultServer,
} from './harness.js';

/**
 * Fault 1 of issue 11: a reload (file watcher or SIGHUP) whose log path cannot be opened. The
 * old configuration must keep serving, the refusal be logged with file:line, counted and shown in
 * /healthz until a good reload, and `check` must refuse the same configuration.
 */
describe('reload with a log path that cannot be opened', { timeout: 90_000 }, () => {
  let server: FaultServer | undefined;
  afterEach(async () => {
    if (server) {
      await server.stop();
      cleanup(server.dir);
    }
    server = undefined;
  });

  async function refusedReload(s: FaultServer, logLine: string, reason: RegExp, user?: string, good?: string[]): Promise<void> {
    const from = s.output().length;
    writeConfig(s.dir, { extra: [logLine] });
    s.child.kill('SIGHUP');
    const line = await s.waitFor(/reload failed, still serving the previous configuration[^\n]*/, 20_000, from);
    expect(s.output().slice(from)).toMatch(reason);
    expect(s.output().slice(from)).toMatch(/radiusd\.yaml:\d+: log\.(auth_fail|accounting): cannot open/);
    expect(line).toBeTruthy();
    expect(s.child.exitCode).toBeNull();
    expect(await login(s.auth)).toBe(2);
    expect(await metric(s.metrics, 'radius_reloads_total{result="error"}')).toBeGreaterThanOrEqual(1); // SIGHUP and the watcher
    const h = await health(s.metrics);
    expect(h.status).toBe('degraded');
    expect(h.problems?.join('\n')).toMatch(/reload refused/);
    // check refuses it too, with the same file:line
    const checkArgs = [CLI, 'check', '-c', join(s.dir, 'radiusd.yaml')];
    const check = user
      ? spawnSync('setpriv', [`--reuid=${user}`, '--regid=nogroup', '--clear-groups', process.execPath, ...checkArgs], { encoding: 'utf8' })
      : spawnSync(process.execPath, checkArgs, { encoding: 'utf8' });
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/radiusd\.yaml:\d+: log\.(auth_fail|accounting): cannot open/);
    // a good reload clears it
    writeConfig(s.dir, good ? { extra: good } : {});
    const from2 = s.output().length;
    s.child.kill('SIGHUP');
    await s.waitFor(/configuration reloaded/, 20_000, from2);
    expect((await health(s.metrics)).status).toBe('ok');
    expect(await login(s.auth)).toBe(2);
  }

  it('ENOTDIR: auth_fail under a regular file', async () => {
    server = await startFaultServer();
    writeFileSync(join(server.dir, 'plain-file'), 'x');
    await refusedReload(server, 'log: { level: info, pretty: false, auth_fail: ./plain-file/sub/auth-fail.log }', /ENOTDIR/);
  });

  it('a /proc path for the accounting log fails at once and SIGTERM still stops the server', async () => {
    server = await startFaultServer();
    await refusedReload(server, 'log: { level: info, pretty: false, accounting: /proc/self/x/acct.log }', /ENOENT|cannot open/);
    const started = Date.now();
    expect(await server.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    cleanup(server.dir);
    server = undefined;
  });

  it.runIf(isRoot || inCi)('EACCES: a directory the service user may not write (server runs as nobody)', async () => {
    const dir = faultDir();
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o755 }); // owned by root: nobody may not create anything in it
    server = await startFaultServer({ dir, user: 'nobody', extra: ['log: { level: info, pretty: false }'] });
    await refusedReload(server, 'log: { level: info, pretty: false, auth_fail: ./locked/sub/auth-fail.log }', /EACCES/, 'nobody', ['log: { level: info, pretty: false }']);
  });

  it('the file watcher reloading an unwritable path does not take the server down', async () => {
    server = await startFaultServer();
    writeFileSync(join(server.dir, 'plain-file'), 'x');
    const from = server.output().length;
    writeConfig(server.dir, { extra: ['log: { level: info, pretty: false, auth_fail: ./plain-file/auth-fail.log }'] });
    await server.waitFor(/reload failed, still serving the previous configuration/, 30_000, from);
    expect(server.child.exitCode).toBeNull();
    expect(await login(server.auth)).toBe(2);
  });
});
