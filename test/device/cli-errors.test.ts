/**
 * `vutlan-device` when something is wrong: a busy port, a missing database directory, a device
 * that is not running, a URL without http://, a config with typos. One clear line each (with
 * file:line for config problems), a documented exit code, never a stack trace.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = path.join(root, 'dist/cli/vutlan-device.js');
const STACK = /^\s+at /m;

let dir: string;
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'vutlan-device-errors-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }));
  });
}

function config(text: string): string {
  const file = path.join(dir, 'device.yaml');
  writeFileSync(file, text);
  return file;
}

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('vutlan-device serve: start-up problems', () => {
  it('a busy HTTP port: file:line of http, what to do, exit 1', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const file = config(`nas_ip: 192.168.1.88\ndatabase: ./users.sqlite\nhttp: { address: 127.0.0.1, port: ${port} }\nlog: { level: silent }\n`);
      const r = await run(['serve', '-c', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`${file}:3: http: cannot listen on 127.0.0.1:${port}: the port is in use by another process (stop it or change http.port)\n`);
    } finally {
      holder.close();
    }
  });

  it('a database in a directory that does not exist: file:line of database, exit 1', async () => {
    const file = config('http: { address: 127.0.0.1, port: 0 }\nnas_ip: 192.168.1.88\ndatabase: ./missing/users.sqlite\n');
    const r = await run(['serve', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `${file}:3: database: cannot create ${path.join(dir, 'missing/users.sqlite')}: the directory ${path.join(dir, 'missing')} does not exist (create it or change database)\n`,
    );
  });

  it('config problems carry file:line and "did you mean", all of them in one run', async () => {
    const file = config('http: { adress: 127.0.0.1, port: 0 }\ndatabse: ./users.sqlite\nnas_ip: 192.168.1.999\nradius:\n  enable: true\n  secrett: s\n');
    const r = await run(['serve', '-c', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe([
      `${file}:1: unknown key "http.adress" (did you mean "address"?)`,
      `${file}:1: database: required: the SQLite file of the local users, e.g. database: ./device.sqlite`,
      `${file}:2: unknown key "databse" (did you mean "database"?)`,
      `${file}:3: nas_ip: must be an IPv4 address`,
      `${file}:5: radius: radius.enable needs addr and secret`,
      `${file}:6: unknown key "radius.secrett" (did you mean "secret"?)`,
      '',
    ].join('\n'));
  });

  it('YAML syntax errors and a missing file: one line each', async () => {
    const bad = await run(['serve', '-c', config('http: [\n')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^${path.join(dir, 'device.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: YAML syntax: .+\\n$`));
    const missing = await run(['serve', '-c', path.join(dir, 'nope.yaml')]);
    expect(missing).toMatchObject({ code: 1, stderr: `${path.join(dir, 'nope.yaml')}: cannot read the config file: no such file (give the config with -c FILE; config/device.yaml is an example)\n` });
  });
});

describe('vutlan-device login / call: the device side is wrong', () => {
  it('a device that is not running: "connection refused", exit 1', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const args of [['login', url, 'guest', 'guest'], ['call', url, 'getradius', 'k=x']]) {
      const r = await run(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`error: cannot reach ${url}/engine.htm: connection refused (is the device, or vutlan-device serve, running at that address and port?)\n`);
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('a URL without http://: says how to write it, exit 2', async () => {
    for (const args of [['login', '127.0.0.1:8080', 'guest', 'guest'], ['call', 'localhost:8080', 'auth'], ['login', 'ftp://host', 'a', 'b']]) {
      const r = await run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^error: ".+" is not a device URL: (write it with http:\/\/, e\.g\. http:\/\/.+|use http:\/\/ or https:\/\/)\n$/);
    }
  });

  it('an unknown host name: said as such, exit 1', async () => {
    const r = await run(['login', 'http://no-such-host.invalid', 'guest', 'guest']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot reach http:\/\/no-such-host\.invalid\/engine\.htm: (unknown host name|host name lookup failed.*)\n$/);
  });
});

describe('--version', () => {
  it('both binaries print the package version', async () => {
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const server = await new Promise<string>((resolve) => {
      execFile(process.execPath, [path.join(root, 'dist/cli/vutlan-radius.js'), '--version'], { encoding: 'utf8' }, (_e, out) => resolve(out));
    });
    expect(server).toBe(`${version}\n`);
  });
});
