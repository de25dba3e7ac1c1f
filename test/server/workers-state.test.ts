/**
 * What is learnt at run time is the same in every worker process and after a restart:
 * `require_message_authenticator: auto` once learnt (saved by the primary), and the auth-fail
 * log's password fingerprints (one key, kept 0600 in state_dir).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchPassword, writeAuthorizeFile } from '../../src/bench/bench-users.js';
import { startCliServe } from './cli-serve.js';
import { A, buildRequest, UdpClient } from './raw-radius.js';

const SECRET = 'workers-state-secret-42';
let dir: string;
let child: ChildProcess | undefined;
let port = 0;

const CONFIG = [
  'listen: [{ type: auth, address: 127.0.0.1, port: 0 }]',
  `clients: [{ name: local, address: 127.0.0.1, secret: ${SECRET}, require_message_authenticator: auto }]`,
  'users: { files: [ ./authorize ] }',
  'log: { level: info, pretty: false, auth_fail: ./auth-fail.log }',
  'security: { reject_delay: 0 }',
  'workers: 2',
];

async function startWorkers(): Promise<void> {
  const s = await startCliServe(dir, CONFIG, /ready with 2 worker processes/);
  child = s.child;
  const text = s.output();
  const m = /"listen":\["auth 127\.0\.0\.1:(\d+)"\]/.exec(text.slice(text.indexOf('"workers":2') - 200));
  if (!m) throw new Error(`server did not start:\n${text}`);
  port = Number(m[1]);
}

async function stopWorkers(): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child!.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function request(ma: boolean, password: string) {
  return buildRequest({ secret: SECRET, attrs: [A.userName('user1'), A.nasIp('10.0.0.5')], password, ma });
}

/** Sends one request from each of `n` fresh source ports at once (spread over both workers). */
async function fromManyPorts(n: number, build: () => { buf: Buffer }): Promise<(Buffer | undefined)[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => UdpClient.open()));
  for (const c of clients) c.send(build().buf, port);
  const answers = await Promise.all(clients.map((c) => c.next(1500)));
  for (const c of clients) c.close();
  return answers;
}

function fingerprints(): string[] {
  let text = '';
  try { text = readFileSync(join(dir, 'auth-fail.log'), 'utf8'); } catch { /* none yet */ }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { reason: string; password_fp?: string })
    .filter((r) => r.reason === 'wrong_password').map((r) => r.password_fp!);
}

async function eventually<T>(f: () => T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  let v = f();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    v = f();
  }
  return v;
}

describe.runIf(process.platform === 'linux')('state shared by workers and kept across restarts', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vutlan-workers-state-'));
    writeAuthorizeFile(join(dir, 'authorize'), { users: 5 });
    await startWorkers();
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the same wrong password has one fingerprint in every worker', async () => {
    const answers = await fromManyPorts(24, () => request(false, 'not-the-password'));
    expect(answers.every((a) => a?.[0] === 3)).toBe(true);
    const fps = await eventually(fingerprints, (f) => f.length >= 24);
    expect(fps.length).toBeGreaterThanOrEqual(24);
    expect(new Set(fps).size).toBe(1);
    expect(fps[0]).toMatch(/^[0-9a-f]{8}$/);
    expect(statSync(join(dir, 'vutlan-radius-fingerprint.key')).mode & 0o777).toBe(0o600);
  });

  it('unsigned requests are answered until the first valid signed one; then every worker drops them', async () => {
    expect((await fromManyPorts(8, () => request(false, benchPassword(1)))).every((a) => a?.[0] === 2)).toBe(true);
    const [signed] = await fromManyPorts(1, () => request(true, benchPassword(1)));
    expect(signed?.[0]).toBe(2);
    await eventually(() => { try { return readFileSync(join(dir, 'vutlan-radius-learnt.json'), 'utf8'); } catch { return ''; } }, (t) => t.includes('127.0.0.1/32'));
    await new Promise((r) => setTimeout(r, 200));
    expect((await fromManyPorts(24, () => request(false, benchPassword(1)))).filter((a) => a !== undefined)).toHaveLength(0);
  });

  it('after a restart: still required in every worker, and the same fingerprint', async () => {
    const before = fingerprints()[0]!;
    await stopWorkers();
    await startWorkers();
    expect((await fromManyPorts(24, () => request(false, benchPassword(1)))).filter((a) => a !== undefined)).toHaveLength(0);
    const answers = await fromManyPorts(6, () => request(true, 'not-the-password'));
    expect(answers.every((a) => a?.[0] === 3)).toBe(true);
    const fps = await eventually(fingerprints, (f) => f.length >= 30);
    expect(new Set(fps)).toEqual(new Set([before]));
    await stopWorkers();
  });
});
