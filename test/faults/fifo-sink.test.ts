import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRequest, A } from '../server/raw-radius.js';
import { cleanup, eventually, faultDir, health, login, metric, SECRET, startFaultServer, UdpClient, type FaultServer } from './harness.js';

/**
 * Fault 5 of issue 11: the auth-fail log is a FIFO whose reader stopped reading. The server must
 * keep answering, keep its memory bounded (lines are lost, counted and logged), and SIGTERM must
 * finish in bounded time.
 */
describe.runIf(process.platform === 'linux')('auth-fail log on a FIFO nobody reads', () => {
  let server: FaultServer;
  let dir: string;
  let reader: ChildProcess;

  beforeAll(async () => {
    dir = faultDir();
    expect(spawnSync('mkfifo', [join(dir, 'audit.fifo')]).status).toBe(0);
    // holds the FIFO open for reading (read-write, so the open does not block) and never reads
    reader = spawn('sh', ['-c', 'exec 3<>audit.fifo; exec sleep 600'], { cwd: dir, stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    server = await startFaultServer({ dir, extra: ['log: { level: info, pretty: false, auth_fail: ./audit.fifo }'] });
  });

  afterAll(async () => {
    reader?.kill('SIGKILL');
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    cleanup(dir);
  });

  function rssKb(pid: number): number {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  }

  it('keeps answering with bounded memory, counts and logs the lost lines, stops on SIGTERM in bounded time', async () => {
    const clients = await Promise.all(Array.from({ length: 16 }, () => UdpClient.open()));
    const rejectRound = async (round: number): Promise<number> => {
      let rejects = 0;
      await Promise.all(clients.map(async (c, i) => {
        for (let k = 0; k < 25; k++) {
          const req = buildRequest({ id: k, secret: SECRET, attrs: [A.userName('username01'), A.nasIp('10.0.0.5')], password: `wrong-${round}-${i}-${k}`, ma: true });
          const reply = await c.request(req.buf, server.auth, '127.0.0.1', 2000);
          if (reply?.[0] === 3) rejects++;
        }
      }));
      return rejects;
    };
    // 64 KiB of pipe, then 1 MiB of queue, then lines are lost: ~6,000 rejects are well past both
    let rejects = 0;
    for (let round = 0; round < 4; round++) rejects += await rejectRound(round);
    const rssAfterWarmup = rssKb(server.child.pid!);
    for (let round = 4; round < 16; round++) rejects += await rejectRound(round);
    for (const c of clients) c.close();
    expect(rejects).toBe(16 * 25 * 16);
    expect(await login(server.auth)).toBe(2);
    // lost lines are counted and logged; the sink shows as not keeping up
    const lost = await metric(server.metrics, 'radius_log_lines_lost_total{log="auth_fail"}');
    expect(lost).toBeGreaterThan(0);
    await server.waitFor(/auth-fail log: \d+ lines not written \(cannot keep up/);
    expect(await metric(server.metrics, 'radius_log_sink_up{sink="auth_fail"}')).toBe(0);
    expect((await eventually(async () => (await health(server.metrics)).status === 'degraded'))).toBe(true);
    // memory: 4,800 more rejects after the queue was full grew RSS by far less than their lines would
    expect(rssKb(server.child.pid!) - rssAfterWarmup).toBeLessThan(30_000);
    const started = Date.now();
    expect(await server.stop()).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
  });
});
