/**
 * FreeRADIUS's own client reads our Status-Server statistics by name, as monitoring scripts that
 * poll FreeRADIUS's `status` server do (netdata, collectd, check_radius scripts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { A, UdpClient, buildRequest } from '../support/raw-radius.js';
import { repoRoot, startTestServer, type TestServer } from './test-server.js';
import { runTool } from '../support/run-tool.js';
import { hasCommand, skipWithout } from '../support/tools.js';


/** radclient's Status-Server query (run without blocking: the server under test shares this event loop). */
const radclient = (port: number, input: string) =>
  runTool('radclient', ['-x', '-t', '3', '-r', '2', '-d', join(repoRoot, 'dictionaries'), `127.0.0.1:${port}`, 'status', 'testing123'], { input });

describe.skipIf(skipWithout(hasCommand('radclient'), 'radclient (freeradius-utils)'))('Status-Server statistics read by radclient', () => {
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
    const out = r.output;
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
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/FreeRADIUS-Total-Access-Requests = 3\b/);
    expect(r.output).toMatch(/FreeRADIUS-Total-Access-Accepts = 1\b/);
    expect(r.output).toMatch(/FreeRADIUS-Total-Access-Rejects = 2\b/);
  });

  it('without FreeRADIUS-Statistics-Type: a bare Access-Accept (RFC 5997)', async () => {
    const r = await radclient(ts.auth, 'Message-Authenticator = 0x00\n');
    const out = r.output;
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Received Access-Accept/);
    expect(out).not.toMatch(/FreeRADIUS-Total/);
  });
});
