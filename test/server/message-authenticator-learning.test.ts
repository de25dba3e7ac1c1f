/**
 * `require_message_authenticator: auto` learns only upwards (BlastRADIUS): unsigned or badly
 * signed requests never decide anything, the first VALID signed Access-Request of a host
 * client makes Message-Authenticator required, and that is kept in the state file across
 * restarts. (Worker processes: workers-state.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { A, UdpClient, buildRequest, parseReply } from '../support/raw-radius.js';
import { repoRoot } from './test-server.js';

const SECRET = 'learning-secret-123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';
let dir: string;
let logs: string[] = [];
const servers: RunningServer[] = [];
const sockets = new Map<string, UdpClient>();

function config(extra = ''): string {
  return `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
clients:
  - { name: nas-a, address: 127.0.0.6, secret: ${SECRET}, require_message_authenticator: auto }
  - { name: nas-b, address: 127.0.0.7, secret: ${SECRET}, require_message_authenticator: auto }
  - { name: net, address: 127.0.2.0/24, secret: ${SECRET}, require_message_authenticator: auto }
users:
  files: [ ./authorize ]
log:
  level: info
  auth_fail: ./auth-fail.log
security:
  reject_delay: 0
workers: 1
${extra}`;
}

async function start(): Promise<{ server: RunningServer; port: number }> {
  const sink = new Writable({ write(chunk: Buffer, _e, cb) { logs.push(chunk.toString()); cb(); } });
  const server = await startServer(join(dir, 'radiusd.yaml'), { logger: pino({ level: 'info' }, sink), watch: false });
  servers.push(server);
  return { server, port: server.addresses()[0]!.port };
}

async function ask(port: number, from: string, o: { ma: boolean; maSecret?: string }): Promise<number | undefined> {
  let c = sockets.get(from);
  if (!c) {
    c = await UdpClient.open(4, from);
    sockets.set(from, c);
  }
  const req = buildRequest({ secret: SECRET, ma: o.ma, ...(o.maSecret ? { maSecret: o.maSecret } : {}), attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: HASH });
  const raw = await c.request(req.buf, port, '127.0.0.1', 700);
  return raw ? parseReply(raw, req.authenticator, SECRET).code : undefined;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-ma-learn-'));
  copyFileSync(join(repoRoot, 'config/authorize'), join(dir, 'authorize'));
  writeFileSync(join(dir, 'radiusd.yaml'), config());
});
afterAll(async () => {
  for (const c of sockets.values()) c.close();
  for (const s of servers) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const learntFile = () => join(dir, 'vutlan-radius-learnt.json');

describe('auto learns only upwards', () => {
  let port: number;
  let server: RunningServer;
  beforeAll(async () => { ({ server, port } = await start()); });

  it('a spoofed unsigned packet first does not pin the client to "no"', async () => {
    expect(await ask(port, '127.0.0.6', { ma: false })).toBe(2);
    expect(await ask(port, '127.0.0.6', { ma: false })).toBe(2);
    expect(logs.join('')).toContain('Accepted because require_message_authenticator is auto and this client has never sent a valid one');
  });

  it('a Message-Authenticator made with a wrong secret is dropped and teaches nothing', async () => {
    expect(await ask(port, '127.0.0.6', { ma: true, maSecret: 'attacker-guess' })).toBeUndefined();
    expect(await ask(port, '127.0.0.6', { ma: false })).toBe(2);
  });

  it('the first valid signed request makes it required: unsigned ones are dropped from then on', async () => {
    expect(await ask(port, '127.0.0.6', { ma: true })).toBe(2);
    expect(await ask(port, '127.0.0.6', { ma: false })).toBeUndefined();
    expect(await ask(port, '127.0.0.6', { ma: true })).toBe(2);
    // another client is unaffected, a network client never learns
    expect(await ask(port, '127.0.0.7', { ma: false })).toBe(2);
    expect(await ask(port, '127.0.2.9', { ma: true })).toBe(2);
    expect(await ask(port, '127.0.2.9', { ma: false })).toBe(2);
  });

  it('is saved in the state dir (mode 0600, client addresses only, no secret)', () => {
    const text = readFileSync(learntFile(), 'utf8');
    expect(JSON.parse(text).require_message_authenticator).toEqual(['127.0.0.6/32']);
    expect(text).not.toContain(SECRET);
    expect(statSync(learntFile()).mode & 0o777).toBe(0o600);
  });

  it('survives a restart: the first packet after it, unsigned, is dropped', async () => {
    await server.close();
    ({ server, port } = await start());
    expect(await ask(port, '127.0.0.6', { ma: false })).toBeUndefined();
    expect(await ask(port, '127.0.0.6', { ma: true })).toBe(2);
    expect(await ask(port, '127.0.0.7', { ma: false })).toBe(2);
  });

  it('survives a reload', async () => {
    expect((await server.reload()).ok).toBe(true);
    expect(await ask(port, '127.0.0.6', { ma: false })).toBeUndefined();
  });
});

describe('state file faults', () => {
  it('a corrupt state file stops the start (and fails check) with the file name and how to fix it', async () => {
    const good = readFileSync(learntFile(), 'utf8');
    writeFileSync(learntFile(), '{"require_message_authenticator": [');
    try {
      await expect(start()).rejects.toThrow(/vutlan-radius-learnt\.json: not valid JSON .*delete it/);
      const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli/vutlan-radius.js'), 'check', '-c', join(dir, 'radiusd.yaml')], { encoding: 'utf8' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/vutlan-radius-learnt\.json: not valid JSON/);
    } finally {
      writeFileSync(learntFile(), good);
    }
  });

  it('an unwritable state_dir: still enforced in memory, and the problem is logged', async () => {
    writeFileSync(join(dir, 'radiusd.yaml'), config('state_dir: ./missing/dir\n'));
    logs = [];
    try {
      const { port } = await start();
      expect(await ask(port, '127.0.0.7', { ma: true })).toBe(2);
      expect(await ask(port, '127.0.0.7', { ma: false })).toBeUndefined();
      expect(logs.join('')).toMatch(/cannot save the learnt Message-Authenticator state to .*missing\/dir\/vutlan-radius-learnt\.json.*kept in memory only/);
    } finally {
      writeFileSync(join(dir, 'radiusd.yaml'), config());
    }
  });
});
