/**
 * Runs scripts/topology.sh (the compose topology as loopback processes: server, two device
 * emulators on 127.0.0.2 / 127.0.0.3 claiming NAS 192.168.1.88 / .99, radclient) and asserts
 * its output and exit codes. Needs radclient; skipped only when it is missing outside CI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, skipWithout } from '../support/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = path.join(root, 'scripts/topology.sh');
const skip = skipWithout(hasCommand('radclient'), 'radclient (freeradius-utils)');

const state = path.join(mkdtempSync(path.join(tmpdir(), 'vutlan-topology-test-')), 'state');
function run(verb: string) {
  return spawnSync('bash', [script, verb], { encoding: 'utf8', timeout: 90_000, env: { ...process.env, TOPOLOGY_DIR: state } });
}

describe.skipIf(skip)('scripts/topology.sh', () => {
  afterAll(() => { run('down'); });

  it('brings the topology up, passes every check, and takes it down', () => {
    const up = run('up');
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/device-a {2}http:\/\/127\.0\.0\.2:\d+ {2}nas_ip 192\.168\.1\.88/);
    expect(up.stdout).toMatch(/device-b {2}http:\/\/127\.0\.0\.3:\d+ {2}nas_ip 192\.168\.1\.99/);
    expect(run('up').status).not.toBe(0);

    const check = run('check');
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('PASS radclient username01-nas88.txt: SWrite = "all,"');
    expect(check.stdout).toContain('PASS radclient username01-nas99.txt: SWrite = "devvirt,elements,log,logics,modules,notify,relays,sdcard,system,view,"');
    expect(check.stdout).toContain('PASS device-a (192.168.1.88) RADIUS username01');
    expect(check.stdout).toContain('PASS device-b (192.168.1.99) RADIUS username01');
    expect(check.stdout).toContain('PASS server audit line: wrong_password from 127.0.0.3 (client device-b)');
    expect(check.stdout).not.toContain('FAIL');
    expect(check.stdout.trim().endsWith('topology check: OK')).toBe(true);

    // With the RADIUS server gone, the same check must fail (and say what failed).
    process.kill(Number(readFileSync(path.join(state, 'server.pid'), 'utf8')), 'SIGTERM');
    const broken = run('check');
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).toContain('FAIL device-a (192.168.1.88) RADIUS username01');
    expect(broken.stdout).toContain('PASS device-a local guest');
    expect(broken.stdout).toContain('FAIL server audit line');

    const down = run('down');
    expect(down.status).toBe(0);
    expect(existsSync(state)).toBe(false);
    const after = run('check');
    expect(after.status).not.toBe(0);
  }, 150_000);
});
