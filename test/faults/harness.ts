/**
 * Fault-injection rig: a `vutlan-radius serve` built from dist/ in a temporary directory, an
 * independent RADIUS client (test/support/raw-radius.ts), /metrics and /healthz over HTTP, and
 * the server's log output, so each case can break something around the server and check what
 * an operator would: answers on the wire, lines on disk, a log line, a metric, /healthz.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { A, buildRequest, UdpClient } from '../support/raw-radius.js';
import { eventually } from '../support/eventually.js';
import { waitUntilCatching } from '../support/signals.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(repoRoot, 'dist', 'cli', 'vutlan-radius.js');
export const SECRET = 'faults-secret-1';
/** The SHA-1 of "guest", as a device sends it: username01's password in config/authorize. */
export const DEVICE_HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

/** True where root-only faults (tmpfs mounts, dropping to another user) can be injected. */
export const isRoot = process.getuid?.() === 0;
/** In CI every case must run: a missing privilege is a failure there, not a skip. */
export const inCi = process.env.CI === 'true';

export interface FaultServer {
  dir: string;
  child: ChildProcess;
  auth: number;
  acct: number;
  metrics: string;
  output(): string;
  /** Resolves when the output (from `from` on) matches. */
  waitFor(re: RegExp, ms?: number, from?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface FaultServerOptions {
  /** YAML lines after the generated listen/clients/metrics block. */
  extra?: string[];
  /** `workers` setting (default 1). */
  workers?: number;
  /** Run the server as this user (setpriv), e.g. `nobody`. */
  user?: string;
  /** Use this directory instead of a new temporary one. */
  dir?: string;
  /** Users file text (default: config/authorize). */
  authorize?: string;
  /** The `metrics:` line (default: loopback, any free port). */
  metrics?: string;
}

/** A fresh directory the server (possibly another user) can read. */
export function faultDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vr-faults-'));
  chmodSync(dir, 0o755);
  return dir;
}

/** Writes the config and starts the server; resolves once it is ready, with its ports. */
export async function startFaultServer(opts: FaultServerOptions = {}): Promise<FaultServer> {
  const dir = opts.dir ?? faultDir();
  if (opts.authorize !== undefined) writeFileSync(join(dir, 'authorize'), opts.authorize);
  else copyFileSync(join(repoRoot, 'config/authorize'), join(dir, 'authorize'));
  writeConfig(dir, opts);
  const args = [CLI, 'serve', '-c', join(dir, 'radiusd.yaml')];
  const child = opts.user
    ? spawn('setpriv', [`--reuid=${opts.user}`, `--regid=${opts.user === 'nobody' ? 'nogroup' : opts.user}`, '--clear-groups', process.execPath, ...args], { cwd: dir })
    : spawn(process.execPath, args, { cwd: dir });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const waitFor = async (re: RegExp, ms = 10_000, from = 0): Promise<string> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(out.slice(from));
      if (m) return m[0];
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in the server output:\n${out}`);
      if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before ${re}:\n${out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const workers = opts.workers ?? 1;
  await waitFor(workers > 1 ? /ready with \d+ worker processes/ : /vutlan-radius ready/, 20_000);
  if (workers > 1) await waitFor(/metrics endpoint \(sum over workers\)/, 10_000);
  // the CLI installs its signal handlers right after the ready line (SIGHUP last)
  await waitUntilCatching(child.pid!, 'SIGHUP');
  const listen = /"listen":\["auth 127\.0\.0\.1:(\d+)","acct 127\.0\.0\.1:(\d+)"\]/.exec(out);
  const metrics = /"metrics":"(http:\/\/[^"]+)"/.exec(out);
  if (!listen || !metrics) throw new Error(`no ports in the output:\n${out}`);
  return {
    dir,
    child,
    auth: Number(listen[1]),
    acct: Number(listen[2]),
    metrics: metrics[1]!,
    output: () => out,
    waitFor,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** (Re)writes radiusd.yaml of `dir`; the listen ports are 0, so a restart gets new ones. */
export function writeConfig(dir: string, opts: FaultServerOptions = {}): void {
  writeFileSync(join(dir, 'radiusd.yaml'), [
    'listen:',
    '  - { type: auth, address: 127.0.0.1, port: 0 }',
    '  - { type: acct, address: 127.0.0.1, port: 0 }',
    `clients: [{ name: lab, address: 127.0.0.0/8, secret: ${SECRET}, require_message_authenticator: auto }]`,
    ...(opts.extra?.some((l) => l.startsWith('users:')) ? [] : ['users: { files: [ ./authorize ] }']),
    'security: { reject_delay: 0 }',
    `workers: ${opts.workers ?? 1}`,
    opts.metrics ?? 'metrics: { listen: "127.0.0.1:0" }',
    ...(opts.extra ?? ['log: { level: info, pretty: false, auth_fail: ./auth-fail.log, accounting: ./accounting.log }']),
    '',
  ].join('\n'));
}

/** Sends an Access-Request for `user` with the device hash; the reply code (2, 3) or undefined. */
export async function login(port: number, user = 'username01', password = DEVICE_HASH, timeoutMs = 5000): Promise<number | undefined> {
  const c = await UdpClient.open();
  try {
    const req = buildRequest({ secret: SECRET, attrs: [A.userName(user), A.nasIp('10.0.0.5')], password, ma: true });
    const reply = await c.request(req.buf, port, '127.0.0.1', timeoutMs);
    return reply?.[0];
  } finally {
    c.close();
  }
}

/** An Accounting-Request with its own Acct-Session-Id, sent from `client` (so retransmissions match). */
export function accountingRequest(session: string, id: number): Buffer {
  return buildRequest({ code: 4, id, secret: SECRET, attrs: [A.userName('username01'), A.acctStatusType(1), A.acctSessionId(session), A.nasIp('10.0.0.5')] }).buf;
}

/** GET a path of the metrics endpoint: status and body. */
export async function httpGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.text() };
}

/** `/healthz` as JSON. */
export async function health(base: string): Promise<{ status: string; problems?: string[]; config_generation: number }> {
  return JSON.parse((await httpGet(base, '/healthz')).body) as { status: string; problems?: string[]; config_generation: number };
}

/** The value of one sample (`name{labels}` as printed) of /metrics, 0 when absent. */
export async function metric(base: string, sample: string): Promise<number> {
  const text = (await httpGet(base, '/metrics')).body;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return 0;
}

/** JSON lines of a file of `dir` (missing file: none). */
export function jsonLines(path: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export { eventually, UdpClient };
