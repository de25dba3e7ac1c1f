import cluster, { type Worker } from 'node:cluster';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterMetricsSource, MetricsHttpServer } from '../../src/server/metrics-http.js';
import { httpGet as get } from './http-get.js';

const workers: Worker[] = [];
let http: MetricsHttpServer | undefined;

afterAll(async () => {
  await http?.close();
  await Promise.all(workers.map((w) => new Promise<void>((resolve) => {
    if (w.isDead()) return resolve();
    w.once('exit', () => resolve());
    w.disconnect();
    setTimeout(() => w.process.kill(), 3000).unref();
  })));
});

describe('metrics with worker processes', () => {
  it('the primary serves the sum over its workers', { timeout: 30_000 }, async () => {
    cluster.setupPrimary({
      exec: new URL('../fixtures/metrics/cluster-worker.ts', import.meta.url).pathname,
      execArgv: ['--import', 'tsx'],
      silent: true,
    });
    const counts = [3, 5];
    await Promise.all(counts.map((n, i) => new Promise<void>((resolve, reject) => {
      const w = cluster.fork({ WORKER_REQUESTS: String(n), WORKER_GENERATION: String(i + 1) });
      workers.push(w);
      w.on('message', (m: { type?: string }) => { if (m.type === 'test:ready') resolve(); });
      w.on('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    })));
    const source = new ClusterMetricsSource();
    http = await MetricsHttpServer.start({ listen: '127.0.0.1:0' }, source);
    const res = await get(`${http.url()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('radius_requests_total{client="lab",type="Access-Request"} 8');
    expect(res.body).toContain('radius_responses_total{client="lab",code="Access-Accept"} 8');
    expect(res.body).toContain('radius_dropped_packets_total{reason="unknown_client"} 2');
    expect(res.body).toContain('radius_request_duration_seconds_count 8');
    expect(res.body).toMatch(/^radius_config_generation 2$/m);
    const health = JSON.parse((await get(`${http.url()}/healthz`)).body) as { config_generation: number };
    expect(health.config_generation).toBe(2);
  });
});
