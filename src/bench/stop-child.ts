import type { ChildProcess } from 'node:child_process';

/**
 * SIGTERM, then SIGKILL after `killAfterMs`; resolves when the process has exited (at once when
 * it already has). How the benchmark and the differential runner stop the servers they start.
 */
export async function stopChild(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await exited;
  clearTimeout(timer);
}
