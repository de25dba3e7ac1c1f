/**
 * The package as a user gets it: `npm pack`, then `npm install -g` of the tarball into a fresh
 * prefix, then the installed binaries. The tarball must hold what the programs need (dist, the
 * dictionaries, the example config, the systemd unit) and nothing a working copy accumulates
 * (users.sqlite, device databases, logs).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string; files: string[] };

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let tarball: string;
let packed: string[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vr-npm-pack-'));
  // A copy of the package as a working copy looks after `npm start` and the emulator ran:
  // a store, a device database, logs beside the example config. Packed with --ignore-scripts:
  // dist is already built (global setup); `prepare` would rebuild it under the running suite.
  const src = join(dir, 'src');
  mkdirSync(src);
  for (const f of ['package.json', 'README.md', 'dist', 'dictionaries', 'config', 'deploy']) cpSync(join(repoRoot, f), join(src, f), { recursive: true });
  for (const junk of ['users.sqlite', 'users.sqlite-wal', 'users.sqlite-shm', 'device.sqlite', 'auth-fail.log', 'accounting.log', 'vutlan-radius-learnt.json']) {
    writeFileSync(join(src, 'config', junk), 'made by a test run\n');
  }
  const r = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: src });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = join(dir, out[0]!.filename);
  packed = out[0]!.files.map((f) => f.path).sort();
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm pack', () => {
  it('ships the programs, dictionaries, the example config and the systemd unit', () => {
    for (const f of [
      'package.json', 'README.md', 'dist/cli/vutlan-radius.js', 'dist/cli/vutlan-device.js', 'dictionaries/dictionary',
      'dictionaries/dictionary.vutlan', 'config/radiusd.yaml', 'config/authorize', 'config/clients.conf', 'config/device.yaml',
      'deploy/vutlan-radius.service', 'deploy/vutlan-radius.sysusers', 'deploy/radiusd.yaml',
    ]) expect(packed).toContain(f);
  });

  it('ships no database, log or state file, no sources or tests', () => {
    expect(packed.filter((f) => /\.sqlite|\.log$|learnt\.json$|^(src|test|tmp|bench|docker)\//.test(f))).toEqual([]);
    expect(packed.filter((f) => f.startsWith('config/'))).toEqual(['config/authorize', 'config/clients.conf', 'config/device.yaml', 'config/radiusd.yaml']);
  });
});

describe('npm install -g of the tarball into a fresh prefix', () => {
  let prefix: string;
  let installed: string;
  let mirror: http.Server;
  let mirrorUrl: string;

  beforeAll(async () => {
    prefix = join(dir, 'prefix');
    // better-sqlite3 installs a prebuilt binary when it can download one (from GitHub), else it
    // compiles SQLite (minutes). Its install script is run as for any user, but pointed at a
    // loopback mirror that serves the binary already built for this Node in node_modules.
    const addon = join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    const stage = join(dir, 'prebuild');
    mkdirSync(join(stage, 'build/Release'), { recursive: true });
    cpSync(addon, join(stage, 'build/Release/better_sqlite3.node'));
    const prebuilt = join(dir, 'prebuilt.tar.gz');
    expect(spawnSync('tar', ['-czf', prebuilt, '-C', stage, 'build']).status).toBe(0);
    mirror = http.createServer((req, res) => {
      if (!req.url?.endsWith('.tar.gz')) { res.writeHead(404).end(); return; }
      res.writeHead(200, { 'Content-Type': 'application/gzip' }).end(readFileSync(prebuilt));
    });
    await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}`;
    const r = await run('npm', ['install', '-g', '--prefix', prefix, tarball, '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts'], {
      env: { npm_config_better_sqlite3_binary_host: mirrorUrl },
    });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    installed = join(prefix, 'lib/node_modules', pkg.name);
  }, 600_000);

  afterAll(async () => {
    await new Promise<void>((r) => mirror.close(() => r()));
    // prebuild-install keeps what it downloaded in npm's cache, keyed by URL: drop this run's copy
    const cache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();
    const abi = process.versions.modules;
    const bsPkg = JSON.parse(readFileSync(join(repoRoot, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string };
    const url = `${mirrorUrl}/v${bsPkg.version}/better-sqlite3-v${bsPkg.version}-node-v${abi}-${process.platform}-${process.arch}.tar.gz`;
    const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
    rmSync(join(cache, '_prebuilds', `${digest}-${url.split('/').pop()!.replace(/[^a-zA-Z0-9.]+/g, '-')}`), { force: true });
  });

  it('both binaries are on the prefix and print the version', async () => {
    for (const bin of ['vutlan-radius', 'vutlan-device']) {
      expect(await run(join(prefix, 'bin', bin), ['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });

  it('check passes on the shipped example config, and again once its SQLite store exists', async () => {
    const config = join(installed, 'config/radiusd.yaml');
    const first = await run(join(prefix, 'bin/vutlan-radius'), ['check', '-c', config]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^OK: \d+ clients, 2 users entries \(1 files\), sqlite /);
    expect(existsSync(join(installed, 'config/users.sqlite'))).toBe(false);
    // the native SQLite binding works where it was installed
    const store = join(installed, 'config/users.sqlite');
    const add = await run(join(prefix, 'bin/vutlan-radius'), ['users', '--db', store, 'add', 'op1', '--sha1-hex', 'e'.repeat(40), '--sread', 'all']);
    expect(add).toMatchObject({ code: 0, stdout: 'added op1 (1 entry)\n' });
    const again = await run(join(prefix, 'bin/vutlan-radius'), ['check', '-c', config]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('does not exist yet');
  });
});
