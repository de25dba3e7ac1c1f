/**
 * Runs an outside tool (radclient, radtest, pyrad scripts, radsecproxy's peers) without blocking
 * this process: the server under test usually lives in it, and spawnSync would stop it from
 * answering the very requests the tool sends.
 */
import { spawn } from 'node:child_process';

/** What a tool run left: exit status (null when it could not start or was killed), its output. */
export interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

/** Runs `cmd args` with `input` on standard input; never rejects (a spawn error is in stderr, status null). */
export function runTool(cmd: string, args: readonly string[], opts: { input?: string; cwd?: string } = {}): Promise<ToolRun> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    let stdout = '';
    let stderr = '';
    let output = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); output += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); output += d.toString(); });
    let settled = false;
    const done = (status: number | null, error?: Error): void => {
      if (settled) return;
      settled = true;
      if (error) { stderr += String(error); output += String(error); }
      resolve({ status, stdout, stderr, output });
    };
    p.on('error', (err) => done(null, err));
    p.on('close', (status) => done(status));
    p.stdin.on('error', () => undefined); // a tool that exits without reading its input
    p.stdin.end(opts.input ?? '');
  });
}
