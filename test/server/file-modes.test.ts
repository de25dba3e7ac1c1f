/**
 * What the server, the users CLI and the device emulator create on disk is readable by its owner
 * only: the SQLite stores hold password hashes (the device's SHA-1 hex is password-equivalent),
 * the admin database holds admin accounts, and their -wal / -shm files hold the same pages.
 * Checked with the usual umask 022, under which a plain create would be 0644.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserStore } from '../../src/device/user-store.js';
import { startServer } from '../../src/server/server.js';
import { repoRoot } from './test-server.js';

let dir: string;
let umask: number;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-modes-'));
  umask = process.umask(0o022);
});
afterAll(() => {
  process.umask(umask);
  rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => (statSync(join(dir, file)).mode & 0o777).toString(8);

describe('file modes of what we create', () => {
  it('the server: users.sqlite and admin.sqlite (with -wal, -shm) 0600, the admin key 0600', async () => {
    copyFileSync(join(repoRoot, 'config/authorize'), join(dir, 'authorize'));
    const file = join(dir, 'radiusd.yaml');
    writeFileSync(file, `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
clients:
  - { name: lab, address: 127.0.0.0/8, secret: testing123-long-enough }
users:
  files: [ ./authorize ]
  sqlite: ./users.sqlite
log:
  auth_fail: ./auth-fail.log
workers: 1
admin:
  listen: 127.0.0.1:0
`);
    const server = await startServer(file, { logger: pino({ level: 'silent' }), watch: false });
    try {
      for (const f of ['users.sqlite', 'users.sqlite-wal', 'users.sqlite-shm', 'admin.sqlite', 'admin.sqlite-wal', 'admin.sqlite-shm', 'admin-key.pem']) {
        expect(mode(f), f).toBe('600');
      }
      expect(mode('auth-fail.log')).toBe('640');
    } finally {
      await server.close();
    }
  });

  it('vutlan-radius users add: a new store is 0600', () => {
    const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli/vutlan-radius.js'), 'users', '--db', join(dir, 'cli.sqlite'), 'add', 'op1', '--password', 'guest', '--device', '--sread', 'all'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(mode('cli.sqlite')).toBe('600');
  });

  it('the device emulator: its SkyControlUsers database is 0600', () => {
    const store = new UserStore(join(dir, 'device.sqlite'));
    try {
      for (const f of ['device.sqlite', 'device.sqlite-wal', 'device.sqlite-shm']) expect(mode(f), f).toBe('600');
    } finally {
      store.close();
    }
  });
});
