/**
 * A reload applies what it can and says what it cannot: a changed `admin` block (or `workers`,
 * `state_dir`, `log.pretty`) waits for a restart, and each reload's log says so, instead of a
 * bare "configuration reloaded" while the old setting stays. /healthz of a server with workers
 * reports the generation in service from its first answer on, scraped or not.
 */
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCliServe } from './cli-serve.js';

const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
const NOTICE = /admin changed: it takes effect at the next restart/g;

let dir: string | undefined;
let child: ChildProcess | undefined;
afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
  child = dir = undefined;
});

async function until(what: () => boolean | Promise<boolean>, ms = 20_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const healthz = async (url: string) => (await (await fetch(`${url}/healthz`)).json()) as { status: string; config_generation: number };

for (const workers of [1, 2]) {
  describe.runIf(process.platform === 'linux')(`reload with workers: ${workers}`, () => {
    it('a new admin block is reported as needing a restart; /healthz counts the generation', { timeout: 60_000 }, async () => {
      dir = mkdtempSync(join(tmpdir(), 'vr-restart-settings-'));
      writeFileSync(join(dir, 'authorize'), `alice Cleartext-Password := "${HASH}"\n\tSRead = "all,"\n`);
      const server = await startCliServe(dir, [
        'listen: [{ type: auth, address: 127.0.0.1, port: 0 }]',
        'clients: [{ name: local, address: 127.0.0.1, secret: restart-settings-secret }]',
        'users: { files: [ ./authorize ] }',
        'log: { level: info, pretty: false }',
        'metrics: { listen: "127.0.0.1:0" }',
        `workers: ${workers}`,
      ], /"metrics":"http:\/\/127\.0\.0\.1:\d+"/);
      child = server.child;
      const url = /"metrics":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(server.output())![1]!;
      expect(await healthz(url)).toMatchObject({ status: 'ok', config_generation: 1 });

      appendFileSync(join(dir, 'radiusd.yaml'), '\nadmin: { listen: "127.0.0.1:0" }\n');
      child.kill('SIGHUP');
      expect(await until(() => (server.output().match(NOTICE) ?? []).length > 0), server.output()).toBe(true);
      expect(await until(async () => (await healthz(url)).config_generation === 2)).toBe(true);
      // one line per reload (the file watcher and the SIGHUP may each make one), not one per worker
      await new Promise((r) => setTimeout(r, 500));
      expect((server.output().match(NOTICE) ?? []).length).toBeLessThanOrEqual(2);
      expect(server.output()).toContain(`${join(dir, 'radiusd.yaml')}: admin changed`);
      // nothing was started behind the notice
      expect(server.output()).not.toMatch(/"admin":"https:/);
    });
  });
}
