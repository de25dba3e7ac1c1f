import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function ownCpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const c of text.split(' ')) out.push(Number(c));
    }
  } catch {
    /* gone, or no /proc */
  }
  return out;
}

/**
 * CPU seconds (user + system, all threads) used so far by `pid` and its live descendants
 * (worker processes), from /proc. Linux only; 0 where /proc is missing. Resolution 10 ms.
 * Used to report CPU time per request, which is much less noisy than req/s on a shared machine.
 */
export function processTreeCpuSeconds(pid: number): number {
  let ticks = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    ticks += ownCpuTicks(p);
    stack.push(...childrenOf(p));
  }
  return ticks / TICKS_PER_SECOND;
}
