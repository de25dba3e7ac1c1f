import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/server/server.js';
import { signedIn, startAdminRig, writeRigConfig, type AdminRig } from './admin-rig.js';

/** What the admin does when what it depends on is missing, broken or busy. */
describe('admin faults', () => {
  let rig: AdminRig;
  beforeAll(async () => { rig = await startAdminRig(); });
  afterAll(async () => { await rig?.stop(); });

  it('a user store locked by another writer: 503, nothing half-written, works again once released', async () => {
    const editor = await signedIn(rig, 'editor');
    const other = new Database(join(rig.dir, 'users.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const r = await editor.post('/api/users', { name: 'busy1', password: { kind: 'plain', value: 'x' }, lists: { sread: 'all' } });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe('store_busy');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await editor.get('/api/users/busy1')).status).toBe(404);
    expect((await editor.post('/api/users', { name: 'busy1', password: { kind: 'plain', value: 'x' } })).status).toBe(201);
  }, 30_000);

  it('the RADIUS side keeps answering while the admin store is busy', async () => {
    const { runTest } = await import('../../src/cli/test-command.js');
    const r = await runTest('username01', '35675e68f4b5af7b995d9205ad0fc43842f16450', {
      server: `127.0.0.1:${rig.auth}`, secret: 'testing123', nasIp: '127.0.0.9', timeout: '2', retries: '2',
    }, () => undefined);
    expect(r.code).toBe(2);
  });
});

describe('admin start problems are clear and stop the start', () => {
  const dirs: string[] = [];
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'vr-admin-fault-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
  const start = (file: string) => startServer(file, { logger: pino({ level: 'silent' }), watch: false });

  it('a certificate without its key', async () => {
    const dir = fresh();
    const file = writeRigConfig(dir);
    writeFileSync(join(dir, 'admin-cert.pem'), '-----BEGIN CERTIFICATE-----\n');
    await expect(start(file)).rejects.toThrow(/cannot start the admin endpoint .*admin-key\.pem is missing while .*admin-cert\.pem exists/);
  });

  it('a broken certificate', async () => {
    const dir = fresh();
    const file = writeRigConfig(dir);
    writeFileSync(join(dir, 'admin-cert.pem'), 'not a certificate');
    writeFileSync(join(dir, 'admin-key.pem'), 'not a key');
    await expect(start(file)).rejects.toThrow(/cannot start the admin endpoint/);
  });

  it('an admin database that is not one', async () => {
    const dir = fresh();
    const file = writeRigConfig(dir);
    writeFileSync(join(dir, 'admin.sqlite'), 'x'.repeat(4096));
    await expect(start(file)).rejects.toThrow(/admin\.db .*admin\.sqlite: file is not a database/);
  });

  it('an audit log that cannot be opened', async () => {
    const dir = fresh();
    const file = writeRigConfig(dir, { admin: '  audit_log: ./blocker/audit.log' });
    writeFileSync(join(dir, 'blocker'), 'a file where a directory should be');
    await expect(start(file)).rejects.toThrow(/admin\.audit_log .*blocker\/audit\.log/);
  });

  it('the admin port in use', async () => {
    const dir = fresh();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      const file = writeRigConfig(dir, {}, `127.0.0.1:${port}`);
      await expect(start(file)).rejects.toThrow(new RegExp(`cannot start the admin endpoint on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
    } finally {
      busy.close();
    }
  });
});
