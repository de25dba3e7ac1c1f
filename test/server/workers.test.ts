import type { ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchPassword, writeAuthorizeFile } from '../../src/bench/bench-users.js';
import { invalidCount, runLoad } from '../../src/bench/load-generator.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { startCliServe } from './cli-serve.js';
import { A, buildRequest, UdpClient } from '../support/raw-radius.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SECRET = 'workers-test-secret-42';

function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const t = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (t) out.push(...t.split(' ').map(Number));
  }
  return out;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

function accessRequest(user: number, ma: boolean) {
  return buildRequest({ secret: SECRET, attrs: [A.userName(`user${user}`), A.nasIp('10.0.0.5')], password: benchPassword(user), ma });
}

describe.runIf(process.platform === 'linux')('workers: 2 (one UDP port shared by two worker processes)', () => {
  let dir: string;
  let child: ChildProcess;
  let out: () => string;
  let port = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vutlan-workers-'));
    writeAuthorizeFile(join(dir, 'authorize'), { users: 20 });
    ({ child, output: out } = await startCliServe(dir, [
      'listen: [{ type: auth, address: 127.0.0.1, port: 0 }]',
      `clients: [{ name: local, address: 127.0.0.1, secret: ${SECRET}, require_message_authenticator: auto }]`,
      'users: { files: [ ./authorize ] }',
      'log: { level: info, pretty: false }',
      'security: { reject_delay: 0 }',
      'workers: 2',
    ], /ready with 2 worker processes/));
    const text = out();
    const m = /"listen":\["auth 127\.0\.0\.1:(\d+)"\]/.exec(text.slice(text.indexOf('"workers":2') - 200));
    if (!m) throw new Error(`server did not start:\n${text}`);
    port = Number(m[1]);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs two worker processes under the primary', () => {
    expect(childPids(child.pid!)).toHaveLength(2);
  });

  it('shares an `auto` Message-Authenticator decision with every worker', async () => {
    // The first Access-Request carries Message-Authenticator: the client is learnt as "required".
    const first = await UdpClient.open();
    const req = accessRequest(1, true);
    const reply = await first.request(req.buf, port);
    first.close();
    expect(reply?.[0]).toBe(2);
    // the decision reaches the other worker through the primary (IPC): give a loaded machine time
    await new Promise((r) => setTimeout(r, 1000));
    // Requests without it, from many source ports (spread over both workers), are all dropped.
    const clients = await Promise.all(Array.from({ length: 24 }, () => UdpClient.open()));
    for (const c of clients) c.send(accessRequest(2, false).buf, port);
    const answers = await Promise.all(clients.map((c) => c.next(1500)));
    for (const c of clients) c.close();
    expect(answers.filter((a) => a !== undefined)).toHaveLength(0);
  });

  it('answers verified Accepts from both workers under load', async () => {
    const workers = childPids(child.pid!);
    const before = workers.map(cpuTicks);
    const dict = loadDictionary(join(repoRoot, 'dictionaries', 'dictionary'));
    const r = await runLoad({ host: '127.0.0.1', port, secret: SECRET, dict, users: 20, durationMs: 1000, warmupMs: 100, inflight: 32, sockets: 8 });
    expect(r.ok).toBeGreaterThan(100);
    expect(invalidCount(r)).toBe(0);
    expect(r.timeouts).toBe(0);
    const used = workers.map((p, i) => cpuTicks(p) - before[i]!);
    for (const u of used) expect(u).toBeGreaterThan(0);
  });

  it('reloads every worker (one at a time) when the users file changes', async () => {
    const from = out().length;
    appendFileSync(join(dir, 'authorize'), 'newcomer\tCleartext-Password := "fresh-password"\n\tSRead = "log,"\n');
    // each worker logs its reload: wait for both lines, not for a guessed time
    const reloaded = () => (out().slice(from).match(/configuration reloaded/g) ?? []).length;
    const deadline = Date.now() + 60_000;
    while (reloaded() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(reloaded(), out().slice(from)).toBeGreaterThanOrEqual(2);
    expect(out().slice(from)).toContain('a loaded file changed: reloading the configuration, one worker at a time');
    const clients = await Promise.all(Array.from({ length: 12 }, () => UdpClient.open()));
    const replies = await Promise.all(clients.map((c) => c.request(
      buildRequest({ secret: SECRET, attrs: [A.userName('newcomer'), A.nasIp('10.0.0.5')], password: 'fresh-password', ma: true }).buf, port, '127.0.0.1', 10_000)));
    for (const c of clients) c.close();
    expect(replies.map((r) => r?.[0])).toEqual(Array(12).fill(2));
  });

  it('stops every worker and exits 0 on SIGTERM', async () => {
    const workers = childPids(child.pid!);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const w of workers) {
      let alive = true;
      try { process.kill(w, 0); } catch { alive = false; }
      expect(alive).toBe(false);
    }
  });
});
