import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { stopChild } from './stop-child.js';

/** Which users our server serves in a benchmark. */
export type OurUsers = { kind: 'files'; authorizeFile: string } | { kind: 'sqlite'; database: string };

export interface OurServerOptions {
  /** Directory for the generated config and logs. */
  dir: string;
  port: number;
  secret: string;
  users: OurUsers;
  /** Config `workers` (default: leave the server's default). */
  workers?: number | 'auto';
  /** Log level (default info: what an operator runs; nothing per request at info). */
  logLevel?: string;
  /** Extra arguments for node (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** More listeners and clients (e.g. a radsec listener and its client). */
  extraListen?: Record<string, unknown>[];
  extraClients?: Record<string, unknown>[];
}

/** The compiled CLI (`dist/cli/vutlan-radius.js`) of this package. */
export function ourCliPath(): string {
  return fileURLToPath(new URL('../../dist/cli/vutlan-radius.js', import.meta.url));
}

/** The package's entry dictionary. */
export function ourDictionaryPath(): string {
  return fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
}

/** Writes the benchmark config (one loopback auth listener, one client for 127.0.0.0/8). */
export function writeOurConfig(opts: OurServerOptions): string {
  const cfg: Record<string, unknown> = {
    listen: [{ type: 'auth', address: '127.0.0.1', port: opts.port }, ...(opts.extraListen ?? [])],
    dictionary: ourDictionaryPath(),
    clients: [{ name: 'bench', address: '127.0.0.0/8', secret: opts.secret, require_message_authenticator: 'auto' }, ...(opts.extraClients ?? [])],
    users: opts.users.kind === 'files' ? { files: [resolve(opts.users.authorizeFile)] } : { sqlite: resolve(opts.users.database) },
    log: { level: opts.logLevel ?? 'info', auth_fail: join(resolve(opts.dir), 'auth-fail.log') },
    security: { reject_delay: 0 },
  };
  if (opts.workers !== undefined) cfg.workers = opts.workers;
  const path = join(resolve(opts.dir), 'radiusd.yaml');
  writeFileSync(path, stringify(cfg));
  return path;
}

/** Our server running as a child process (`vutlan-radius serve -c <generated config>`). */
export interface RunningOurServer {
  readonly port: number;
  readonly pid: number;
  readonly configFile: string;
  /** Everything the server printed (stdout + stderr), for diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts our compiled server on the generated config. The caller waits for readiness (probe). */
export function startOurServer(opts: OurServerOptions): RunningOurServer {
  const configFile = writeOurConfig(opts);
  const child: ChildProcess = spawn(process.execPath, [...(opts.nodeArgs ?? []), ourCliPath(), 'serve', '-c', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: resolve(opts.dir),
  });
  let out = '';
  const keep = (d: Buffer) => { out = (out + d.toString()).slice(-20_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    port: opts.port,
    pid: child.pid!,
    configFile,
    output: () => out,
    stop: () => stopChild(child, 5000),
  };
}
