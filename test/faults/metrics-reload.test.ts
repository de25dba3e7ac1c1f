import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../server/http-get.js';
import { cleanup, health, login, metric, startFaultServer, writeConfig, type FaultServer } from './harness.js';

/** A TCP port free on 127.0.0.1 right now (held by the returned server until closed). */
async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as { port: number }).port, server };
}

/**
 * Fault 4 of issue 11: a reload must apply `metrics.allow` and `metrics.listen`, or refuse
 * (busy port) and keep the old endpoint.
 */
describe('reload of the metrics endpoint', () => {
  let server: FaultServer;
  const log = ['log: { level: info, pretty: false }'];

  beforeAll(async () => {
    server = await startFaultServer({ extra: log, metrics: 'metrics: { listen: "127.0.0.1:0", allow: [127.0.0.1/32, 127.0.0.2/32] }' });
  });
  afterAll(async () => {
    await server?.stop();
    cleanup(server.dir);
  });

  async function reloadWith(metricsLine: string): Promise<string> {
    const from = server.output().length;
    writeConfig(server.dir, { extra: log, metrics: metricsLine });
    server.child.kill('SIGHUP');
    return server.waitFor(/configuration reloaded|reload failed[^\n]*/, 10_000, from);
  }

  it('a tightened allowlist applies at the reload', async () => {
    const url = server.metrics;
    expect((await httpGet(`${url}/metrics`, '127.0.0.2')).status).toBe(200);
    const port = Number(/:(\d+)$/.exec(url)![1]);
    expect(await reloadWith(`metrics: { listen: "127.0.0.1:${port}", allow: [127.0.0.1/32] }`)).toMatch(/configuration reloaded/);
    expect((await httpGet(`${url}/metrics`, '127.0.0.2')).status).toBe(403);
    expect((await httpGet(`${url}/metrics`, '127.0.0.1')).status).toBe(200);
  });

  it('a new listen address is bound at the reload, the old one closed', async () => {
    const old = server.metrics;
    const { port, server: holder } = await holdPort();
    await new Promise<void>((r) => holder.close(() => r()));
    expect(await reloadWith(`metrics: { listen: "127.0.0.1:${port}" }`)).toMatch(/configuration reloaded/);
    expect((await httpGet(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await expect(httpGet(`${old}/healthz`)).rejects.toThrow();
    server.metrics = `http://127.0.0.1:${port}`;
  });

  it('a busy port refuses the reload and the old endpoint keeps serving', async () => {
    const { port, server: holder } = await holdPort();
    try {
      const line = await reloadWith(`metrics: { listen: "127.0.0.1:${port}" }`);
      expect(line).toMatch(/reload failed/);
      expect(server.output()).toMatch(/radiusd\.yaml:\d+: cannot start the metrics endpoint on 127\.0\.0\.1:\d+: [^"]*EADDRINUSE/);
      expect(await login(server.auth)).toBe(2);
      expect(await metric(server.metrics, 'radius_reloads_total{result="error"}')).toBeGreaterThanOrEqual(1);
      const h = await health(server.metrics);
      expect(h.status).toBe('degraded');
      expect(h.problems?.join()).toMatch(/EADDRINUSE/);
    } finally {
      holder.close();
    }
  });
});
