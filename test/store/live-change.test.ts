import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { A, buildRequest, parseReply, UdpClient, vutlan } from '../support/raw-radius.js';
import { repoRoot } from '../server/test-server.js';

/**
 * Users changed through the CLI while a server answers a bounded load from the SQLite store:
 * every answer matches either the old or the new state (never a mix), and the first request sent
 * after the CLI exits already sees the new state. No restart, no reload.
 */

const CLI = join(repoRoot, 'dist/cli/vutlan-radius.js');
const SECRET = 'testing123';
const OLD_PW = 'a'.repeat(40);
const NEW_PW = 'b'.repeat(40);

let dir: string;
let db: string;
let server: RunningServer;
let port: number;
let client: UdpClient;

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, 'users', '--db', db, ...args], { encoding: 'utf8', timeout: 20_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

/** Runs the CLI without blocking the event loop (the server lives in this process). */
function cliAsync(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'users', '--db', db, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

interface Answer {
  password: string;
  code: number;
  lists: Record<string, string>;
}

async function ask(user: string, password: string, nasIp = '10.0.0.1'): Promise<Answer> {
  const req = buildRequest({ secret: SECRET, attrs: [A.userName(user), A.nasIp(nasIp)], password, ma: true });
  const raw = await client.request(req.buf, port, '127.0.0.1', 3000);
  if (!raw) throw new Error('no reply');
  const reply = parseReply(raw, req.authenticator, SECRET);
  expect(reply.responseAuthenticatorOk).toBe(true);
  return { password, code: reply.code, lists: vutlan(reply) };
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vr-live-'));
  db = join(dir, 'users.sqlite');
  cli(['add', 'live', '--sha1-hex', OLD_PW, '--sread', 'view', '--swrite', 'view', '--gread', '1', '--gwrite', '1']);
  writeFileSync(join(dir, 'radiusd.yaml'), `
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
clients:
  - { name: lo, address: 127.0.0.1, secret: ${SECRET}, require_message_authenticator: auto }
users:
  files: []
  sqlite: ./users.sqlite
log:
  level: warn
  auth_fail: ./auth-fail.log
security:
  reject_delay: 0
`);
  server = await startServer(join(dir, 'radiusd.yaml'), { logger: pino({ level: 'silent' }), watch: false });
  port = server.addresses()[0]!.port;
  client = await UdpClient.open(4);
});

afterEach(async () => {
  client.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const OLD_LISTS = { SRead: 'view,', SWrite: 'view,', GRead: '1,', GWrite: '1,' };
const NEW_LISTS = { SRead: 'all,', SWrite: 'all,', GRead: 'all,', GWrite: 'all,' };

function state(a: Answer): 'old' | 'new' {
  if (a.password === OLD_PW && a.code === 2 && JSON.stringify(a.lists) === JSON.stringify(OLD_LISTS)) return 'old';
  if (a.password === NEW_PW && a.code === 3) return 'old';
  if (a.password === NEW_PW && a.code === 2 && JSON.stringify(a.lists) === JSON.stringify(NEW_LISTS)) return 'new';
  if (a.password === OLD_PW && a.code === 3) return 'new';
  throw new Error(`answer matches neither state: ${JSON.stringify(a)}`);
}

describe('live changes through the CLI while the server answers', () => {
  it('every answer is the old or the new state; the first request after the CLI exits sees the new one', async () => {
    expect(state(await ask('live', OLD_PW))).toBe('old');
    let cliDone = false;
    let sent = 0;
    const seen = { old: 0, new: 0 };
    // Bounded closed-loop load: 4 workers, alternating passwords, until the CLI has exited.
    const workers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !cliDone && i < 5000; i++) {
        sent++;
        const a = await ask('live', (i + w) % 2 === 0 ? OLD_PW : NEW_PW);
        seen[state(a)]++;
      }
    });
    const change = cliAsync(['set', 'live', '--sha1-hex', NEW_PW, '--sread', 'all', '--swrite', 'all', '--gread', 'all', '--gwrite', 'all']);
    const result = await change;
    // the very next requests, sent after the CLI process has exited
    const firstAfter = await Promise.all([ask('live', NEW_PW), ask('live', OLD_PW)]);
    cliDone = true;
    await Promise.all(workers);
    expect(result).toEqual({ code: 0, stderr: '' });
    expect(firstAfter.map(state)).toEqual(['new', 'new']);
    expect(sent).toBeGreaterThan(10);
    expect(seen.old + seen.new).toBe(sent);
    expect(seen.old).toBeGreaterThan(0); // the load really ran across the change
  });

  it('disable, enable and del take effect on the next request', async () => {
    expect((await ask('live', OLD_PW)).code).toBe(2);
    expect(await cliAsync(['disable', 'live'])).toEqual({ code: 0, stderr: '' });
    expect((await ask('live', OLD_PW)).code).toBe(3);
    expect(await cliAsync(['enable', 'live'])).toEqual({ code: 0, stderr: '' });
    expect((await ask('live', OLD_PW)).code).toBe(2);
    expect(await cliAsync(['add', 'later', '--sha1-hex', NEW_PW, '--rfu1', 'x', '--nas', '10.0.0.9', '--rfu1', 'y'])).toEqual({ code: 0, stderr: '' });
    expect(await ask('later', NEW_PW, '10.0.0.9')).toMatchObject({ code: 2, lists: { RFU1: 'y' } });
    expect(await ask('later', NEW_PW, '10.0.0.1')).toMatchObject({ code: 2, lists: { RFU1: 'x' } });
    expect(await cliAsync(['del', 'live'])).toEqual({ code: 0, stderr: '' });
    expect((await ask('live', OLD_PW)).code).toBe(3);
  });
});
