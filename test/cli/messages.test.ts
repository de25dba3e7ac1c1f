/**
 * What a new admin reads when something is wrong: one clear line per problem, naming the
 * radiusd.yaml line that caused it, and each warning or "ready" once, not once per worker.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';

const CLI = join(repoRoot, 'dist/cli/vutlan-radius.js');
let dir: string;

function check(yaml: string) {
  writeFileSync(join(dir, 'radiusd.yaml'), yaml);
  const r = spawnSync(process.execPath, [CLI, 'check', '-c', join(dir, 'radiusd.yaml')], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stderr.split('\n').filter(Boolean) };
}

/** Runs `serve` until it exits or `ms` pass (then SIGTERM), with everything it printed. */
function serve(yaml: string, ms: number): Promise<{ code: number | null; out: string }> {
  writeFileSync(join(dir, 'serve.yaml'), yaml);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, 'serve', '-c', join(dir, 'serve.yaml')], { cwd: dir });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGTERM'), ms);
    p.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

const LISTEN = 'listen:\n  - { type: auth, address: 127.0.0.1, port: 0 }\n';
const USERS = 'users:\n  files: [ ./authorize ]\n';
const CLIENT = 'clients:\n  - { name: lab, address: 127.0.0.1, secret: abcdefabcdef12 }\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-messages-'));
  writeFileSync(join(dir, 'authorize'), 'bob Cleartext-Password := "x"\n\tSRead = "all,"\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('config messages', () => {
  it('a client without secret: says it is missing (not "must be a string")', () => {
    const r = check(`${LISTEN}clients:\n  - { name: lab, address: 127.0.0.1 }\n${USERS}`);
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([`${join(dir, 'radiusd.yaml')}:4: clients.0.secret: missing: add "secret: <the shared secret set on this NAS>" to this client`]);
  });

  it('a secret that YAML reads as a number still gets the quoting hint', () => {
    const r = check(`${LISTEN}clients:\n  - { name: lab, address: 127.0.0.1, secret: 123456 }\n${USERS}`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('quote it if it looks like a number');
  });

  it('a missing users file: one line, at the radiusd.yaml line that names it, the path once', () => {
    const r = check(`${LISTEN}${CLIENT}users:\n  files:\n    - ./authorize\n    - ./missing-authorize\n`);
    expect(r.code).toBe(1);
    expect(r.lines).toHaveLength(1);
    const path = join(dir, 'missing-authorize');
    expect(r.lines[0]).toBe(`${join(dir, 'radiusd.yaml')}:8: users.files: ${path} does not exist; fix the path (relative paths are relative to ${dir})`);
    expect(r.lines[0]!.split(path).length - 1).toBe(1);
  });

  it('a missing dictionary and clients_file: each one line at its own radiusd.yaml line', () => {
    const r = check(`${LISTEN}${CLIENT}dictionary: ./no-dictionary\nclients_file: ./no-clients.conf\n${USERS}`);
    expect(r.code).toBe(1);
    const yaml = join(dir, 'radiusd.yaml');
    expect(r.lines).toContain(`${yaml}:5: dictionary: ${join(dir, 'no-dictionary')} does not exist; fix the path (relative paths are relative to ${dir})`);
    expect(r.lines).toContain(`${yaml}:6: clients_file: ${join(dir, 'no-clients.conf')} does not exist; fix the path (relative paths are relative to ${dir})`);
    expect(r.lines).toHaveLength(2);
  });

  it('an unknown Vutlan resource id or group token in a users file is a check warning with file:line', () => {
    writeFileSync(join(dir, 'odd-authorize'), 'bob Cleartext-Password := "x"\n\tSRead = "all,",\n\tSWrite = "viewx,log,"\n\nann Cleartext-Password := "y"\n\tGWrite = "3001,grp,"\n');
    const r = check(`${LISTEN}${CLIENT}users:\n  files: [ ./odd-authorize ]\n`);
    expect(r.code).toBe(0);
    const file = join(dir, 'odd-authorize');
    expect(r.lines).toContainEqual(expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3: SWrite = "viewx,log,": unknown resource id "viewx"; .*users add.* refuses it .*\\(warning\\)$`)));
    expect(r.lines).toContain(`${file}:6: GWrite = "3001,grp,": "grp" is not a group number, all or none (warning)`);
  });
});

describe('worker processes print things once', () => {
  let holder: Socket;
  let busyPort = 0;
  beforeAll(async () => {
    holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', () => r()));
    busyPort = holder.address().port;
  });
  afterAll(() => holder.close());

  it('a busy port: one clear line and exit 1, no "worker exited", no error per worker', async () => {
    const r = await serve(`listen:\n  - { type: auth, address: 127.0.0.1, port: ${busyPort} }\n${CLIENT}${USERS}workers: 2\nlog: { pretty: false }\n`, 15_000);
    expect(r.code).toBe(1);
    const errors = r.out.split('\n').filter((l) => l.includes(String(busyPort)));
    expect(errors).toEqual([`error: cannot listen on 127.0.0.1 port ${busyPort} (auth): the port is already in use (another RADIUS server such as FreeRADIUS, or another vutlan-radius, is listening there): stop it or change listen`]);
    expect(r.out).not.toContain('worker exited');
    expect(r.out).not.toContain('exited during start');
  });

  it('a reload prints its warnings once too (by one worker), not once per worker', async () => {
    writeFileSync(join(dir, 'serve.yaml'), `${LISTEN}clients:\n  - { name: lab, address: 127.0.0.1, secret: short }\n${USERS}workers: 2\nlog: { pretty: false }\n`);
    const p = spawn(process.execPath, [CLI, 'serve', '-c', join(dir, 'serve.yaml')], { cwd: dir });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const until = async (re: RegExp, ms: number) => {
      const end = Date.now() + ms;
      while (!re.test(out) && Date.now() < end && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    };
    try {
      await until(/ready with 2 worker processes/, 15_000);
      p.kill('SIGHUP');
      await until(/configuration reloaded[\s\S]*configuration reloaded/, 15_000);
      expect(out.match(/configuration reloaded/g)).toHaveLength(2);
      expect(out.match(/Shared secret for client lab is short/g)).toHaveLength(2); // start + reload
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  });

  it('a warning and "ready" appear once with workers: 2', async () => {
    writeFileSync(join(dir, 'serve.yaml'), `${LISTEN}clients:\n  - { name: lab, address: 127.0.0.1, secret: short }\n${USERS}workers: 2\nlog: { pretty: false }\n`);
    const p = spawn(process.execPath, [CLI, 'serve', '-c', join(dir, 'serve.yaml')], { cwd: dir });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    try {
      const end = Date.now() + 20_000;
      while (!out.includes('ready with 2 worker processes') && Date.now() < end && p.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      // both workers have reported by then (the primary waits for them); give late lines a moment
      await new Promise((r) => setTimeout(r, 500));
      expect(out).toContain('vutlan-radius ready with 2 worker processes');
      expect(out.match(/Shared secret for client lab is short/g)).toHaveLength(1);
      expect(out.match(/ready/g)).toHaveLength(1);
    } finally {
      p.kill('SIGTERM');
      await new Promise((r) => p.once('exit', r));
    }
  });
});
