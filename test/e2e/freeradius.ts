/**
 * Runs a real FreeRADIUS 3.2 (`freeradius -f -l stdout -d <temp raddb>`) on 127.0.0.1 with a
 * minimal raddb: the files module on a given authorize file, PAP, one client 127.0.0.0/8, and
 * the project's dictionaries. Used to prove the device emulator is a real RADIUS client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeUdpPort } from '../../src/bench/free-ports.js';

/** A running FreeRADIUS. */
export interface RunningFreeRadius {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts FreeRADIUS answering from `authorizeFile` with `secret` for 127.0.0.0/8. */
export async function startFreeRadius(authorizeFile: string, secret: string, repoRoot: string): Promise<RunningFreeRadius> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vutlan-fr-'));
  mkdirSync(path.join(dir, 'run'));
  mkdirSync(path.join(dir, 'log'));
  copyFileSync(authorizeFile, path.join(dir, 'authorize'));
  copyFileSync(path.join(repoRoot, 'dictionaries/dictionary'), path.join(dir, 'dictionary'));
  copyFileSync(path.join(repoRoot, 'dictionaries/dictionary.vutlan'), path.join(dir, 'dictionary.vutlan'));
  const port = await freeUdpPort('127.0.0.1');
  writeFileSync(path.join(dir, 'radiusd.conf'), `
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
logdir = ${dir}/log
raddbdir = ${dir}
radacctdir = ${dir}/log
name = freeradius
confdir = ${dir}
modconfdir = ${dir}
run_dir = ${dir}/run
db_dir = ${dir}
libdir = /usr/lib/freeradius
pidfile = ${dir}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = stdout
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = yes
}
thread pool {
  start_servers = 1
  max_servers = 2
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
modules {
  files {
    filename = ${dir}/authorize
    acctusersfile = ${dir}/authorize
    preproxy_usersfile = ${dir}/authorize
  }
  pap {
    normalise = yes
  }
}
client lab {
  ipaddr = 127.0.0.0/8
  secret = ${secret}
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = ${port}
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
}
`);
  let out = '';
  const child: ChildProcess = spawn('freeradius', ['-f', '-l', 'stdout', '-d', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const deadline = Date.now() + 15_000;
  while (!/Ready to process requests/.test(out)) {
    if (child.exitCode !== null) throw new Error(`freeradius exited (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) { child.kill(); throw new Error(`freeradius did not start:\n${out}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
