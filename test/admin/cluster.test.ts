import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServe } from '../server/cli-serve.js';
import { addAccounts, ApiClient, PASSWORDS, writeRigConfig } from './admin-rig.js';

/**
 * `workers: 2`: the primary serves the admin beside its workers, with its own copy of the
 * configuration, the workers' summed counters, test logins through the shared socket, and a
 * reload that goes through every worker.
 */
describe.runIf(process.platform === 'linux')('web administration with workers: 2', () => {
  let dir: string;
  let child: ChildProcess;
  let out: () => string;
  let api: ApiClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vr-admin-cluster-'));
    const file = writeRigConfig(dir);
    const text = readFileSync(file, 'utf8').replace('workers: 1', 'workers: 2').replace('level: warn', 'level: info\n  pretty: false');
    await addAccounts(join(dir, 'admin.sqlite'));
    ({ child, output: out } = await startCliServe(dir, text.split('\n'), /"msg":"admin endpoint"/, 60_000));
    const url = /"admin":"(https:\/\/[^"]+)","msg":"admin endpoint"/.exec(out())![1]!;
    api = new ApiClient(url, readFileSync(join(dir, 'admin-cert.pem'), 'utf8'));
    expect((await api.login('editor', PASSWORDS.editor)).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a user, shows its rights, test-logs in through the workers and counts it', async () => {
    expect((await api.post('/api/users', {
      name: 'c1', password: { kind: 'device', value: 'guest' }, lists: { sread: 'view' }, overrides: [{ nas: '127.0.0.21', lists: { sread: 'all' } }],
    })).status).toBe(201);
    const rights = (await api.get('/api/users/c1/rights')).body.devices;
    expect(rights.find((d: { nas: string }) => d.nas === '127.0.0.21').lists).toEqual({ sread: 'all,' });
    const t = await api.post('/api/test-login', { user: 'c1', password: 'guest', nas: '127.0.0.21' });
    expect(t.body.code).toBe('Access-Accept');
    expect(t.body.lines).toContain('\tSRead = "all,"');
    const clients = (await api.get('/api/clients')).body.clients;
    expect(clients.find((c: { name: string }) => c.name === 'dev-a').requests).toBe(1);
  });

  it('a reload from the admin goes through every worker; a broken file is reported with file:line', async () => {
    const before = (out().match(/configuration reloaded/g) ?? []).length;
    expect((await api.post('/api/reload')).body.ok).toBe(true);
    const deadline = Date.now() + 20_000; // worker output reaches this process through pipes, later
    while ((out().match(/configuration reloaded/g) ?? []).length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect((out().match(/configuration reloaded/g) ?? []).length).toBe(before + 2);
    const { writeFileSync } = await import('node:fs');
    const authorize = join(dir, 'authorize');
    const good = readFileSync(authorize, 'utf8');
    writeFileSync(authorize, `${good}\nbroken Cleartext-Password := "x"\n\tRFU2 = ""\n`);
    try {
      const r = (await api.post('/api/reload')).body;
      expect(r.ok).toBe(false);
      expect(r.errors.join('\n')).toMatch(/authorize:\d+: /);
      expect((await api.get('/api/status')).body.problems[0]).toMatch(/^reload refused/);
    } finally {
      writeFileSync(authorize, good);
    }
  }, 60_000);
});
