import { spawnSync } from 'node:child_process';
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanup, DEVICE_HASH, eventually, faultDir, health, login, metric, startFaultServer, type FaultServer } from './harness.js';

/**
 * Fault 8 of issue 11: a corrupted SQLite store. Lookups fail: each such request is dropped
 * unanswered, and the failure is logged once per reason per interval with a count, not a stack
 * trace per request; /healthz says so.
 */
describe('a corrupted SQLite store', () => {
  let server: FaultServer;
  let dir: string;

  beforeAll(async () => {
    dir = faultDir();
    const db = join(dir, 'users.sqlite');
    const add = spawnSync(process.execPath, [CLI, 'users', '--db', db, 'add', 'dbuser', '--sha1-hex', DEVICE_HASH, '--cleartext', '--sread', 'all'], { encoding: 'utf8' });
    expect(add.status, add.stderr).toBe(0);
    server = await startFaultServer({ dir, extra: ['users: { files: [ ./authorize ], sqlite: ./users.sqlite, sqlite_cache: 1 }', 'log: { level: info, pretty: false }'] });
  });
  afterAll(async () => {
    await server?.stop();
    cleanup(dir);
  });

  it('drops what needs it, logs once per interval with a count, and says so in /healthz', async () => {
    expect(await login(server.auth, 'dbuser')).toBe(2);
    // overwrite every page after the header with garbage
    const fd = openSync(join(dir, 'users.sqlite'), 'r+');
    const size = fstatSync(fd).size;
    writeSync(fd, Buffer.alloc(size - 100, 0xa5), 0, size - 100, 100);
    closeSync(fd);
    const from = server.output().length;
    const answers: (number | undefined)[] = [];
    for (let i = 0; i < 30; i++) answers.push(await login(server.auth, `nobody${i}`, DEVICE_HASH, 300));
    expect(answers.every((a) => a === undefined)).toBe(true);
    expect(await metric(server.metrics, 'radius_dropped_packets_total{reason="store_error"}')).toBe(30);
    const lines = server.output().slice(from).split('\n').filter((l) => /user source sqlite:/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(server.output().slice(from)).not.toMatch(/\n\s+at /); // no stack traces
    const h = await health(server.metrics);
    expect(h.status).toBe('degraded');
    expect(h.problems?.join()).toMatch(/user source sqlite:.*failed/);
    expect(server.child.exitCode).toBeNull();
    // the count comes when the interval is over (or at shutdown)
    expect(await server.stop()).toBe(0);
    expect(await eventually(() => /suppressed \d+ similar messages \(user source sqlite:/.test(server.output().slice(from)))).toBe(true);
  });
});
