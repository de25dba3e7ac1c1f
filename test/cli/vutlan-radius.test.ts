import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startTestServer, type TestServer } from '../server/test-server.js';
import { freeUdpPort } from '../../src/bench/free-ports.js';

const CLI = join(repoRoot, 'dist/cli/vutlan-radius.js');
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: repoRoot, timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vutlan-radius check', () => {
  it('accepts the example configuration with a one-line summary', () => {
    const r = run(['check', '-c', 'config/radiusd.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^OK: 2 clients, 2 users entries \(1 files\), sqlite \S+config\/users\.sqlite; listen auth 127\.0\.0\.1:1812, acct 127\.0\.0\.1:1813\n$/);
    // the example's testing123 is short: a warning, not an error
    expect(r.stderr).toMatch(/radiusd\.yaml:\d+: Shared secret for client localhost is short/);
  });

  it('prints every problem as file:line: message and exits 1', () => {
    writeFileSync(join(dir, 'authorize'), 'bob Cleartext-Password := "x"\n\tReply-Message = "a"\n\tSession-Timeout = 10\n\nalice Foo-Bar == 1\n');
    writeFileSync(join(dir, 'clients.conf'), 'client a {\n\tipaddr = 10.0.0.1\n}\n');
    writeFileSync(join(dir, 'radiusd.yaml'), [
      'listen: [ { type: auth, address: 127.0.0.1, port: 0 } ]',
      'clients_file: ./clients.conf',
      'users: { files: [ ./authorize ] }',
      'security: { rejectdelay: 1 }',
      '',
    ].join('\n'));
    let r = run(['check', '-c', join(dir, 'radiusd.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(dir, 'radiusd.yaml')}:4: unknown key "security.rejectdelay" (did you mean "reject_delay"?)`);

    writeFileSync(join(dir, 'radiusd.yaml'), 'listen: [ { type: auth, address: 127.0.0.1, port: 0 } ]\nclients_file: ./clients.conf\nusers: { files: [ ./authorize ] }\n');
    r = run(['check', '-c', join(dir, 'radiusd.yaml')]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContain(`${join(dir, 'clients.conf')}:1: secret must be at least 1 character long`);
    expect(lines.some((l) => l.startsWith(`${join(dir, 'authorize')}:2: `) || l.startsWith(`${join(dir, 'authorize')}:5: `))).toBe(true);
  });

  it('reports a missing config file', () => {
    const r = run(['check', '-c', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.yaml: cannot read the config file/);
  });
});

describe('vutlan-radius test', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
  });
  afterAll(async () => ts.stop());

  const runAsync = (args: string[]) => new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.on('exit', (code) => resolve({ code, stdout }));
  });

  it('prints the Accept with Vutlan attributes by name and exits 0', async () => {
    const r = await runAsync(['test', 'username01', HASH, '--server', `127.0.0.1:${ts.auth}`, '--nas-ip', '192.168.1.88']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Received Access-Accept Id \d+ from 127\.0\.0\.1:\d+/m);
    expect(r.stdout).toContain('\tSRead = "all,"\n');
    expect(r.stdout).toContain('\tGWrite = "all,"\n');
    expect(r.stdout).not.toContain(HASH);
  });

  it('shows the restricted lists for another NAS; CHAP works too', async () => {
    const r = await runAsync(['test', 'username01', HASH, '--server', `127.0.0.1:${ts.auth}`, '--nas-ip', '10.1.2.3', '--chap']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\tGWrite = "3001,3002,"\n');
  });

  it('exits 1 on reject and on timeout (wrong secret: reply dropped)', async () => {
    const rej = await runAsync(['test', 'username01', 'wrong', '--server', `127.0.0.1:${ts.auth}`]);
    expect(rej.code).toBe(1);
    expect(rej.stdout).toContain('Expected Access-Accept got Access-Reject');
    const lost = await runAsync(['test', 'username01', HASH, '--server', `127.0.0.1:${ts.auth}`, '--secret', 'not-the-secret', '--timeout', '0.3', '--retries', '2']);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toMatch(/No reply from server/);
  });
});

describe('vutlan-radius serve', () => {
  it('answers, then exits 0 on SIGTERM after flushing its logs', async () => {
    const d = mkdtempSync(join(tmpdir(), 'vr-serve-'));
    writeFileSync(join(d, 'authorize'), readFileSync(join(repoRoot, 'config/authorize')));
    const port = await freeUdpPort();
    writeFileSync(join(d, 'radiusd.yaml'), [
      `listen: [ { type: auth, address: 127.0.0.1, port: ${port} } ]`,
      `dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}`,
      'clients: [ { name: lo, address: 127.0.0.1, secret: testing123 } ]',
      'users: { files: [ ./authorize ] }',
      'log: { level: info, auth_fail: ./auth-fail.log }',
      'security: { reject_delay: 1 }',
      '',
    ].join('\n'));
    const child = spawn(process.execPath, [CLI, 'serve', '-c', join(d, 'radiusd.yaml'), '-X'], { cwd: d });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    const deadline = Date.now() + 10_000;
    while (!out.includes('vutlan-radius ready') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('vutlan-radius ready');
    // a reject held by reject_delay is in flight when SIGTERM arrives: it must still be sent
    const test = spawn(process.execPath, [CLI, 'test', 'username01', 'wrong', '--server', `127.0.0.1:${port}`, '--timeout', '5', '--retries', '1'], { cwd: d });
    let testOut = '';
    test.stdout.on('data', (b: Buffer) => { testOut += b.toString(); });
    const testExited = new Promise((r) => test.on('exit', r));
    while (!out.includes('Sent Access-Reject') && Date.now() < deadline + 5000) await new Promise((r) => setTimeout(r, 20));
    expect(out).toContain('(delayed 1 s by reject_delay)');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await testExited;
    expect(testOut).toContain('Received Access-Reject');
    const audit = readFileSync(join(d, 'auth-fail.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.at(-1)).toMatchObject({ reason: 'wrong_password', user: 'username01' });
    expect(out).toContain('shutting down');
    rmSync(d, { recursive: true, force: true });
  });
});
