/**
 * With `workers: 2` the primary serves /metrics for the whole server: the counters of both
 * worker processes summed (a per-worker endpoint behind node:cluster would answer each scrape
 * from a random worker).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServe } from './cli-serve.js';
import { A, buildRequest, UdpClient } from '../support/raw-radius.js';

const SECRET = 'metrics-workers-secret-42';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

describe.runIf(process.platform === 'linux')('metrics with workers: 2', () => {
  let dir: string;
  let child: ChildProcess;
  let port = 0;
  let metricsUrl = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vutlan-metrics-workers-'));
    writeFileSync(join(dir, 'authorize'), `alice Cleartext-Password := "${HASH}"\n\tSRead = "all,"\n`);
    let out: () => string;
    ({ child, output: out } = await startCliServe(dir, [
      'listen: [{ type: auth, address: 127.0.0.1, port: 0 }]',
      `clients: [{ name: local, address: 127.0.0.1, secret: ${SECRET}, require_message_authenticator: auto }]`,
      'users: { files: [ ./authorize ] }',
      'log: { level: info, pretty: false }',
      'security: { reject_delay: 0 }',
      'metrics: { listen: "127.0.0.1:0" }',
      'workers: 2',
    ], /"metrics":"http:\/\/127\.0\.0\.1:\d+"/));
    const p = /"listen":\["auth 127\.0\.0\.1:(\d+)"\]/.exec(out());
    const m = /"metrics":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out());
    if (!p || !m) throw new Error(`server did not start:\n${out()}`);
    port = Number(p[1]);
    metricsUrl = m[1]!;
  }, 30_000);

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every request once, whichever worker answered it', { timeout: 30_000 }, async () => {
    const sent = 60;
    const clients = await Promise.all([UdpClient.open(), UdpClient.open(), UdpClient.open()]);
    try {
      for (let i = 0; i < sent; i++) {
        const req = buildRequest({ id: i & 0xff, secret: SECRET, ma: true, attrs: [A.userName('alice')], password: HASH });
        expect((await clients[i % 3]!.request(req.buf, port))?.[0]).toBe(2);
      }
    } finally {
      for (const c of clients) c.close();
    }
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toContain(`radius_requests_total{client="local",type="Access-Request"} ${sent}`);
    expect(text).toContain(`radius_responses_total{client="local",code="Access-Accept"} ${sent}`);
    expect(text).toContain(`radius_store_lookups_total{source="files",result="found"} ${sent}`);
    expect(text).toContain(`radius_request_duration_seconds_count ${sent}`);
    expect(text).toMatch(/^radius_config_generation 1$/m);
    const health = await (await fetch(`${metricsUrl}/healthz`)).json() as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', config_generation: 1 });
  });
});
