/**
 * Whether a process has installed a handler for a signal, read from /proc (Linux): a test
 * that signals a freshly started server waits for this instead of sleeping and hoping, since a
 * SIGHUP that arrives before the handler takes the default action and kills the process.
 */
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** True when `pid` catches `signal` (its bit in SigCgt of /proc/<pid>/status); false if gone. */
export function catchesSignal(pid: number, signal: NodeJS.Signals): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (mask === undefined) throw new Error(`no SigCgt line in /proc/${pid}/status`);
  return ((BigInt(`0x${mask}`) >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n;
}

/** Resolves once `pid` catches `signal`; throws after `ms` (a deadline for a broken start, not a guess). */
export async function waitUntilCatching(pid: number, signal: NodeJS.Signals, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!catchesSignal(pid, signal)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} installed no ${signal} handler within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
