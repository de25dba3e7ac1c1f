import { afterEach, describe, expect, it } from 'vitest';
import { Code } from '../../src/protocol/codes.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { MetricsHttpServer, parseAllowList, parseListen } from '../../src/server/metrics-http.js';
import { httpGet } from './http-get.js';

const servers: MetricsHttpServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.close();
});

async function start(allow?: string[], listen = '127.0.0.1:0') {
  const metrics = new ServerMetrics({ processMetrics: false });
  const http = await MetricsHttpServer.start({ listen, allow }, metrics, { configGeneration: () => 7 });
  servers.push(http);
  return { metrics, http };
}

describe('parseListen / parseAllowList', () => {
  it('parses host:port and [v6]:port', () => {
    expect(parseListen('127.0.0.1:9812')).toEqual({ host: '127.0.0.1', port: 9812 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(() => parseListen('localhost:9812')).toThrow(/metrics\.listen/);
    expect(() => parseListen('127.0.0.1')).toThrow(/metrics\.listen/);
    expect(() => parseListen('127.0.0.1:70000')).toThrow(/metrics\.listen/);
  });

  it('matches CIDRs, single addresses and IPv4-mapped peers', () => {
    const ok = parseAllowList(['127.0.0.1/32', '10.0.0.0/8', '::1/128', '192.168.1.5']);
    expect(ok('127.0.0.1')).toBe(true);
    expect(ok('::ffff:127.0.0.1')).toBe(true);
    expect(ok('10.200.3.4')).toBe(true);
    expect(ok('192.168.1.5')).toBe(true);
    expect(ok('::1')).toBe(true);
    expect(ok('127.0.0.2')).toBe(false);
    expect(ok('192.168.1.6')).toBe(false);
    expect(ok('::2')).toBe(false);
    expect(ok('')).toBe(false);
    expect(() => parseAllowList(['10.0.0.0/33'])).toThrow(/"10\.0\.0\.0\/33" is not an IP address or CIDR/);
    expect(() => parseAllowList(['example.com'])).toThrow(/metrics\.allow/);
  });
});

describe('MetricsHttpServer', () => {
  it('serves /metrics in the Prometheus format and reflects counter changes', async () => {
    const { metrics, http } = await start();
    const lab = metrics.client('lab');
    const first = await httpGet(`${http.url()}/metrics`);
    expect(first.status).toBe(200);
    expect(first.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(first.body).toContain('radius_requests_total{client="lab",type="Access-Request"} 0');
    lab.request(Code.AccessRequest);
    lab.request(Code.AccessRequest);
    lab.response(Code.AccessAccept, 0.0001);
    metrics.drop('unknown_client');
    const second = await httpGet(`${http.url()}/metrics`);
    expect(second.body).toContain('radius_requests_total{client="lab",type="Access-Request"} 2');
    expect(second.body).toContain('radius_responses_total{client="lab",code="Access-Accept"} 1');
    expect(second.body).toContain('radius_dropped_packets_total{reason="unknown_client"} 1');
  });

  it('serves /healthz as JSON with status, uptime and config generation', async () => {
    const { http } = await start();
    const res = await httpGet(`${http.url()}/healthz`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(body.config_generation).toBe(7);
    expect(typeof body.uptime).toBe('number');
    expect(body.uptime as number).toBeGreaterThanOrEqual(0);
  });

  it('answers 403 to an address outside the allowlist (127.0.0.2 vs 127.0.0.1/32)', async () => {
    const { http } = await start(['127.0.0.1/32']);
    const denied = await httpGet(`${http.url()}/metrics`, '127.0.0.2');
    expect(denied.status).toBe(403);
    expect(denied.body).not.toContain('radius_');
    expect((await httpGet(`${http.url()}/healthz`, '127.0.0.2')).status).toBe(403);
    expect((await httpGet(`${http.url()}/metrics`, '127.0.0.1')).status).toBe(200);
  });

  it('404 for other paths, 405 for other methods', async () => {
    const { http } = await start();
    expect((await httpGet(`${http.url()}/`)).status).toBe(404);
    expect((await httpGet(`${http.url()}/metrics`, undefined, 'POST')).status).toBe(405);
  });

  it('refuses a bad allowlist at start', async () => {
    const metrics = new ServerMetrics({ processMetrics: false });
    await expect(MetricsHttpServer.start({ listen: '127.0.0.1:0', allow: ['nope'] }, metrics)).rejects.toThrow(/metrics\.allow/);
  });

  it('listens on IPv6 loopback with the default allowlist', async () => {
    const { http } = await start(undefined, '[::1]:0');
    expect(http.url()).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await httpGet(`${http.url()}/healthz`)).status).toBe(200);
  });
});
