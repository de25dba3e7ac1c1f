/**
 * docker/entrypoint.mjs, run as a process the way the image runs it (no Docker engine needed):
 * the image's own config (docker/config, copied, on free loopback ports and temp paths) with the
 * clients given at run time, then the server answering from them. Without any client it must
 * stop and say how to add one rather than serve a server that drops every request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findFreeUdpPorts } from '../../src/bench/free-ports.js';
import { A, buildRequest, parseReply, UdpClient, vutlan } from '../server/raw-radius.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const entrypoint = path.join(root, 'docker/entrypoint.mjs');
const SHA1_GUEST = '35675e68f4b5af7b995d9205ad0fc43842f16450';

let dir: string;
let config: string;
let port: number;
let child: ChildProcess | undefined;
let output = '';

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'vr-docker-entry-'));
  const conf = path.join(dir, 'config');
  cpSync(path.join(root, 'docker/config'), conf, { recursive: true, filter: (f) => !f.endsWith('radiusd.runtime.yaml') });
  port = await findFreeUdpPorts(2);
  // The image's config with the container's addresses and directories replaced for this host.
  config = path.join(conf, 'radiusd.yaml');
  writeFileSync(config, readFileSync(config, 'utf8')
    .replace('address: 0.0.0.0, port: 1812', `address: 127.0.0.1, port: ${port}`)
    .replace('address: 0.0.0.0, port: 1813', `address: 127.0.0.1, port: ${port + 1}`)
    .replace('dictionary: ../../dictionaries/dictionary', `dictionary: ${JSON.stringify(path.join(root, 'dictionaries/dictionary'))}`)
    .replace('state_dir: /var/lib/vutlan-radius', `state_dir: ${JSON.stringify(dir)}`)
    .replace('/var/log/vutlan-radius/auth-fail.log', JSON.stringify(path.join(dir, 'auth-fail.log')))
    .replace('reject_delay: 1', 'reject_delay: 0'));
  output = '';
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function start(env: Record<string, string>): ChildProcess {
  child = spawn(process.execPath, [entrypoint], {
    env: { ...process.env, RADIUS_CONFIG: config, RADIUS_CLIENTS_FILE: path.join(dir, 'no-clients.conf'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return child;
}

async function exited(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null) return c.exitCode;
  return new Promise((r) => c.once('exit', (code) => r(code)));
}

/** Waits until the server answers a signed Access-Request for username01 from `from`. */
async function ask(from: string, secret: string): Promise<{ code: number; lists: Record<string, string> } | undefined> {
  const client = await UdpClient.open(4, from);
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && child!.exitCode === null) {
      const req = buildRequest({ secret, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password: SHA1_GUEST, ma: true });
      const raw = await client.request(req.buf, port, '127.0.0.1', 500);
      if (raw) {
        const reply = parseReply(raw, req.authenticator, secret);
        expect(reply.responseAuthenticatorOk).toBe(true);
        return { code: reply.code, lists: vutlan(reply) };
      }
    }
    return undefined;
  } finally {
    client.close();
  }
}

describe('docker/entrypoint.mjs', () => {
  it('without any client it stops with how to add them (the image would drop every request)', async () => {
    const c = start({});
    expect(await exited(c)).toBe(1);
    expect(output).toContain('vutlan-radius entrypoint: no RADIUS clients: the server would drop every request');
    expect(output).toContain('-e RADIUS_CLIENTS="192.168.1.88=<secret> 10.0.0.0/24=<secret>"');
    expect(output).toContain(`-v /path/to/clients.conf:${path.join(dir, 'no-clients.conf')}:ro`);
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('RADIUS_CLIENTS: the NAS is answered with its secret, an unlisted address is not', async () => {
    start({ RADIUS_CLIENTS: '127.0.0.2=env-secret-for-nas-a, 127.0.0.5/32=env-secret-for-nas-b' });
    expect(await ask('127.0.0.2', 'env-secret-for-nas-a'), output).toEqual({ code: 2, lists: { SRead: 'all,', SWrite: 'all,', CRead: 'all,', CWrite: 'all,', GRead: 'all,', GWrite: 'all,' } });
    expect((await ask('127.0.0.5', 'env-secret-for-nas-b'))?.code).toBe(2);
    // 127.0.0.4 is no client: dropped (no answer) while the others are served
    const stranger = await UdpClient.open(4, '127.0.0.4');
    try {
      const req = buildRequest({ secret: 'env-secret-for-nas-a', attrs: [A.userName('username01')], password: SHA1_GUEST, ma: true });
      expect(await stranger.request(req.buf, port, '127.0.0.1', 1000)).toBeUndefined();
    } finally {
      stranger.close();
    }
    // the secrets are in the runtime config only, readable by its owner alone
    const runtime = path.join(dir, 'config/radiusd.runtime.yaml');
    expect(statSync(runtime).mode & 0o077).toBe(0);
    expect(output).not.toContain('env-secret-for-nas-a');
    // SIGTERM reaches the server: the entrypoint exits once it has stopped
    child!.kill('SIGTERM');
    expect(await exited(child!)).toBe(0);
  });

  it('a mounted FreeRADIUS clients.conf (RADIUS_CLIENTS_FILE) is used as the clients file', async () => {
    const file = path.join(dir, 'clients.conf');
    writeFileSync(file, 'client nas-c {\n\tipaddr = 127.0.0.3\n\tsecret = file-secret-for-nas-c\n}\n');
    start({ RADIUS_CLIENTS_FILE: file });
    expect((await ask('127.0.0.3', 'file-secret-for-nas-c'))?.code, output).toBe(2);
    expect(output).toContain(`clients file ${file}`);
  });

  it('a malformed RADIUS_CLIENTS item is named (without its secret) and nothing starts', async () => {
    for (const bad of ['192.168.1.300=abc', 'nosecret', '10.0.0.0/33=x', 'host.example=x']) {
      output = '';
      const c = start({ RADIUS_CLIENTS: `127.0.0.2=good-secret-123456 ${bad}` });
      expect(await exited(c)).toBe(1);
      expect(output).toMatch(/RADIUS_CLIENTS: ".*" is not ADDRESS=SECRET/);
      expect(output).not.toContain('good-secret');
    }
    expect(existsSync(path.join(dir, 'config/radiusd.runtime.yaml'))).toBe(false);
  });
});
