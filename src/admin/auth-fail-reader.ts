import { open } from 'node:fs/promises';

/**
 * Recent failed logins from the auth-fail log (`log.auth_fail`): the last lines of the file
 * (at most 4 MiB are read), newest first, filtered. Lines that are not JSON are skipped.
 */

export interface AuthFailFilter {
  user?: string;
  reason?: string;
  client?: string;
  src?: string;
  /** ISO time: only records at or after it. */
  since?: string;
  limit: number;
}

const TAIL_BYTES = 4 * 1024 * 1024;

export async function recentAuthFailures(path: string, f: AuthFailFilter): Promise<Array<Record<string, unknown>>> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const start = Math.max(0, size - TAIL_BYTES);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      text = buf.toString('utf8');
      if (start > 0) text = text.slice(text.indexOf('\n') + 1); // the first line is cut
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n');
  const out: Array<Record<string, unknown>> = [];
  const user = f.user?.toLowerCase();
  for (let i = lines.length - 1; i >= 0 && out.length < f.limit; i--) {
    const line = lines[i]!;
    if (line === '') continue;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (typeof r !== 'object' || r === null) continue;
    if (f.since && String(r.time ?? '') < f.since) break; // the file is in time order
    if (user && !String(r.user ?? '').toLowerCase().includes(user)) continue;
    if (f.reason && r.reason !== f.reason) continue;
    if (f.client && r.client !== f.client) continue;
    if (f.src && r.src !== f.src) continue;
    out.push(r);
  }
  return out;
}
