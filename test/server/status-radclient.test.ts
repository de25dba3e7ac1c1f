/**
 * FreeRADIUS's own client reads our Status-Server statistics by name, as monitoring scripts that
 * poll FreeRADIUS's `status` server do (netdata, collectd, check_radius scripts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest } from './raw-radius.js';
import { repoRoot, startTestServer, type TestServer } from './test-server.js';

const hasRadclient = spawnSync('radclient', ['-v']).error === undefined;
const mustRun = process.env.CI === 'true';

/** Runs radclient asynchronously (the server under test shares this event loop). */
function radclient(port: number, input: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('radclient', ['-x', '-t', '3', '-r', '2', '-d', join(repoRoot, 'dictionaries'), `127.0.0.1:${port}`, 'status', 'testing123']);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', (err) => resolve({ status: null, out: `${out}${err.message}` }));
    p.on('exit', (status) => resolve({ status, out }));
    p.stdin.end(input);
  });
}

const title = hasRadclient || mustRun
  ? 'Status-Server statistics read by radclient'
  : 'Status-Server statistics read by radclient (SKIPPED: radclient from freeradius-utils is not installed)';

describe.runIf(hasRadclient || mustRun)(title, () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer();
    const c = await UdpClient.open();
    for (const password of ['35675e68f4b5af7b995d9205ad0fc43842f16450', 'wrong', 'wrong']) {
      await c.request(buildRequest({ secret: 'testing123', ma: true, attrs: [A.userName('username01'), A.nasIp('192.168.1.88')], password }).buf, ts.auth);
    }
    c.close();
  });
  afterAll(async () => {
    await ts?.stop();
  });

  it('FreeRADIUS-Statistics-Type = All: totals by their FreeRADIUS names', async () => {
    const r = await radclient(ts.auth, 'Message-Authenticator = 0x00, FreeRADIUS-Statistics-Type = All\n');
    const out = r.out;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Received Access-Accept/);
    expect(out).toMatch(/FreeRADIUS-Total-Access-Requests = 3\b/);
    expect(out).toMatch(/FreeRADIUS-Total-Access-Accepts = 1\b/);
    expect(out).toMatch(/FreeRADIUS-Total-Access-Rejects = 2\b/);
    expect(out).toMatch(/FreeRADIUS-Stats-Start-Time = /);
  });

  it('Status-Server replies are not counted as Access-Accepts (accepts + rejects never exceed requests)', async () => {
    await radclient(ts.auth, 'Message-Authenticator = 0x00\n');
    await radclient(ts.auth, 'Message-Authenticator = 0x00\n');
    const r = await radclient(ts.auth, 'Message-Authenticator = 0x00, FreeRADIUS-Statistics-Type = All\n');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/FreeRADIUS-Total-Access-Requests = 3\b/);
    expect(r.out).toMatch(/FreeRADIUS-Total-Access-Accepts = 1\b/);
    expect(r.out).toMatch(/FreeRADIUS-Total-Access-Rejects = 2\b/);
  });

  it('without FreeRADIUS-Statistics-Type: a bare Access-Accept (RFC 5997)', async () => {
    const r = await radclient(ts.auth, 'Message-Authenticator = 0x00\n');
    const out = r.out;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Received Access-Accept/);
    expect(out).not.toMatch(/FreeRADIUS-Total/);
  });
});
