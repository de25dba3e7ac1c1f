import { describe, expect, it } from 'vitest';
import { RequestIds } from '../../src/server/request-id.js';

describe('RequestIds', () => {
  it('formats a per-process tag and the request number in base 36', () => {
    const ids = new RequestIds(1234, 1_700_000_000_000);
    expect(ids.format(1)).toBe(`${ids.tag}1`);
    expect(ids.format(36)).toBe(`${ids.tag}10`);
    expect(ids.tag).toMatch(/^[0-9a-z]+\.[0-9a-z]+-$/);
  });

  it('two processes (or a restarted worker) never share ids', () => {
    const a = new RequestIds(100, 5_000);
    const b = new RequestIds(101, 5_000);
    const c = new RequestIds(100, 9_000);
    const all = new Set<string>();
    for (const ids of [a, b, c]) for (let n = 1; n <= 1000; n++) all.add(ids.format(n));
    expect(all.size).toBe(3000);
  });
});

describe('req_id in the server log', () => {
  it('drop lines carry a req_id, distinct per request', async () => {
    const { Writable } = await import('node:stream');
    const pino = (await import('pino')).default;
    const { startTestServer } = await import('./test-server.js');
    const { UdpClient } = await import('../support/raw-radius.js');
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); cb(); } });
    const ts = await startTestServer('', { logger: pino({ level: 'warn' }, sink) });
    const c = await UdpClient.open();
    try {
      c.send(Buffer.alloc(5), ts.auth);
      await new Promise((r) => setTimeout(r, 1100)); // the drop log allows one line per reason per second
      c.send(Buffer.alloc(6), ts.auth);
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      c.close();
      await ts.stop();
    }
    const drops = lines.filter((l) => l.reason === 'too_short');
    expect(drops).toHaveLength(2);
    for (const d of drops) expect(d.req_id).toMatch(/^[0-9a-z]+\.[0-9a-z]+-[0-9a-z]+$/);
    expect(drops[0]!.req_id).not.toBe(drops[1]!.req_id);
  });
});
