import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { LoadResult } from './load-generator.js';

/** Options for one radload run (see the header of radload.c for its flags). */
export interface RadloadOptions {
  /** Path of the compiled radload binary. */
  binary: string;
  host: string;
  port: number;
  secret: string;
  users: number;
  prefix?: string;
  nasIp?: string;
  durationMs: number;
  inflight?: number;
}

/** Builds radload from C source with `cc -O2 ... -lcrypto` into `out` unless it already exists. */
export function buildRadload(source: string, out: string): string {
  if (existsSync(out)) return out;
  const r = spawnSync('cc', ['-O2', '-o', out, source, '-lcrypto'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot build radload: ${r.stderr || r.error?.message}`);
  return out;
}

/** Parses radload's two output lines into our result shape (radload has no max or stray count). */
export function parseRadloadOutput(text: string, target: string, inflight: number): LoadResult {
  const num = (key: string): number => {
    const m = new RegExp(`\\b${key}=([0-9.]+)`).exec(text);
    if (!m) throw new Error(`radload output has no ${key}=: ${text}`);
    return Number(m[1]);
  };
  const bad = num('bad');
  return {
    target,
    durationSec: num('secs'),
    inflight,
    sockets: Math.ceil(inflight / 256),
    sent: num('sent'),
    ok: num('accept'),
    unexpectedCode: num('reject'),
    invalid: bad ? { bad_response_authenticator: bad } : {},
    stray: 0,
    timeouts: num('lost'),
    rps: num('rps'),
    p50: num('p50_ms'),
    p90: num('p90_ms'),
    p99: num('p99_ms'),
    max: Number.NaN,
  };
}

/**
 * Runs radload for `durationMs` (closed loop, Message-Authenticator on, users in the
 * bench-users shape: `-U '<prefix>%d' -p '%040x'`) and returns its figures.
 */
export async function runRadload(opts: RadloadOptions): Promise<LoadResult> {
  const inflight = opts.inflight ?? 64;
  const args = [
    '-H', opts.host, '-P', String(opts.port), '-s', opts.secret,
    '-n', '1000000000', '-T', String(opts.durationMs / 1000), '-w', String(inflight),
    '-u', String(opts.users), '-U', `${opts.prefix ?? 'user'}%d`, '-p', '%040x', '-N', opts.nasIp ?? '10.0.0.5', '-m',
  ];
  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`radload exited ${code}: ${out}`);
  return parseRadloadOutput(out, `${opts.host}:${opts.port}`, inflight);
}
