/** `vutlan-device` as a user runs it: the compiled bin from dist/ (built by global-setup). */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/cli/vutlan-device.js', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [bin, ...args], { encoding: 'utf8', timeout: 15_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

describe('vutlan-device CLI', () => {
  it('serve prints the bound URL; login, call and refusals give documented exit codes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vutlan-device-cli-'));
    const config = path.join(dir, 'device.yaml');
    writeFileSync(config, 'http: { address: 127.0.0.1, port: 0 }\ndatabase: ./users.sqlite\nnas_ip: 192.168.1.88\nlog: { level: silent }\n');
    const child = spawn('node', [bin, 'serve', '-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /vutlan-device listening on (http:\/\/127\.0\.0\.1:\d+) nas_ip=192\.168\.1\.88/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const login = await run(['login', url, 'guest', 'guest']);
      expect(login.code).toBe(0);
      expect(JSON.parse(login.stdout)).toMatchObject({ id: 1, name: 'guest', swrite: 'all,' });
      const bad = await run(['login', url, 'guest', 'nope']);
      expect(bad).toMatchObject({ code: 3, stderr: 'refused: authorization error\n' });
      const raw = await run(['call', url, 'auth', 'name=guest', 'h=35675e68f4b5af7b995d9205ad0fc43842f16450']);
      expect(raw.code).toBe(0);
      expect(raw.stdout).toMatch(/^<user id="1" k="[0-9a-f]{32}" name="guest"/);
      const json = await run(['call', '--json', url, 'nosuch']);
      expect(json).toMatchObject({ code: 3, stdout: '<error type="invalid request"/>\n' });
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('serve exits 1 naming the problem when the config is invalid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vutlan-device-cli-'));
    const config = path.join(dir, 'device.yaml');
    writeFileSync(config, 'http: {}\ndatabase: x\nnas_ip: 999.1.1.1\n');
    const r = await run(['serve', '-c', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${config}:3: nas_ip: must be an IPv4 address`);
  });
});
