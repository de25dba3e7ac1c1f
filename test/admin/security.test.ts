import { statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/admin/sessions.js';
import { ApiClient, PASSWORDS, signedIn, startAdminRig, type AdminRig } from './admin-rig.js';

let rig: AdminRig;
beforeAll(async () => { rig = await startAdminRig(); });
afterAll(async () => { await rig?.stop(); });

describe('transport', () => {
  it('serves HTTPS only, with a self-signed certificate made on first start and its key 0600', async () => {
    expect(statSync(join(rig.dir, 'admin-key.pem')).mode & 0o777).toBe(0o600);
    expect(rig.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const port = new URL(rig.url).port;
    const plain = await new Promise<string>((resolve) => {
      const req = httpRequest(`http://127.0.0.1:${port}/api/session`, { agent: false }, (res) => resolve(`status ${res.statusCode}`));
      req.on('error', (err) => resolve(`error ${err.message}`));
      req.setTimeout(5000, () => req.destroy(new Error('timeout')));
      req.end();
    });
    expect(plain).not.toMatch(/^status 2/);
  });

  it('session cookie: __Host-, HttpOnly, Secure, SameSite=Strict, Path=/; security headers', async () => {
    const c = new ApiClient(rig.url, rig.ca);
    const r = await c.login('viewer', PASSWORDS.viewer);
    const cookie = String(r.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cache-control']).toBe('no-store');
  });
});

describe('sign-in', () => {
  it('session fixation: an id set before sign-in is never the signed-in session', async () => {
    const c = new ApiClient(rig.url, rig.ca);
    const planted = 'A'.repeat(43);
    c.cookies.set(SESSION_COOKIE, planted);
    expect((await c.get('/api/users')).status).toBe(401);
    await c.login('editor', PASSWORDS.editor);
    const issued = c.cookies.get(SESSION_COOKIE);
    expect(issued).toBeDefined();
    expect(issued).not.toBe(planted);
    const attacker = new ApiClient(rig.url, rig.ca);
    attacker.cookies.set(SESSION_COOKIE, planted);
    expect((await attacker.get('/api/users')).status).toBe(401);

    // a real session id from before a new sign-in (viewer -> admin on one browser) is dead after it
    const viewer = await signedIn(rig, 'viewer');
    const before = viewer.cookies.get(SESSION_COOKIE)!;
    await viewer.login('admin', PASSWORDS.admin);
    expect(viewer.cookies.get(SESSION_COOKIE)).not.toBe(before);
    const stale = new ApiClient(rig.url, rig.ca);
    stale.cookies.set(SESSION_COOKIE, before);
    expect((await stale.get('/api/users')).status).toBe(401);
    expect((await viewer.get('/api/session')).body.role).toBe('admin');
  });

  it('sign-out ends the session on the server', async () => {
    const c = await signedIn(rig, 'viewer');
    const id = c.cookies.get(SESSION_COOKIE)!;
    expect((await c.post('/api/logout')).status).toBe(200);
    const replay = new ApiClient(rig.url, rig.ca);
    replay.cookies.set(SESSION_COOKIE, id);
    expect((await replay.get('/api/users')).status).toBe(401);
  });

  it('brute force: backoff after 3 failures, lockout after 6 even for the right password, audited', async () => {
    await (await signedIn(rig, 'admin')).post('/api/admins', { name: 'target', role: 'viewer', password: 'target-password-1' });
    const c = new ApiClient(rig.url, rig.ca);
    const attempt = (password: string) => c.post('/api/login', { name: 'target', password });
    for (let i = 0; i < 3; i++) expect((await attempt(`guess${i}`)).status).toBe(401);
    const early = await attempt('guess3');
    expect(early.status).toBe(429);
    expect(Number(early.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const waitAndTry = async (ms: number, password: string) => {
      await new Promise((r) => setTimeout(r, ms));
      return attempt(password);
    };
    expect((await waitAndTry(1100, 'guess3')).status).toBe(401);
    expect((await waitAndTry(2100, 'guess4')).status).toBe(401);
    expect((await waitAndTry(4100, 'guess5')).status).toBe(401);
    const locked = await waitAndTry(0, 'target-password-1');
    expect(locked.status).toBe(423);
    expect(locked.body.error.code).toBe('locked');
    // other accounts are not locked by it
    expect((await new ApiClient(rig.url, rig.ca).login('viewer', PASSWORDS.viewer)).status).toBe(200);
    const audit = (await (await signedIn(rig, 'admin')).get('/api/audit?limit=1000')).body.records.filter((r: { target: string }) => r.target === 'target');
    expect(audit.filter((r: { action: string }) => r.action === 'login_failed')).toHaveLength(5);
    expect(audit.filter((r: { action: string }) => r.action === 'login_locked')).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toMatch(/guess|target-password/);
  }, 30_000);

  it('unknown names get the same answer as a wrong password', async () => {
    const r = await new ApiClient(rig.url, rig.ca).login('nobody-here', 'whatever-password');
    expect(r.status).toBe(401);
    expect(r.body.error).toEqual({ code: 'bad_credentials', message: 'wrong name or password' });
  });
});

describe('request bodies', () => {
  /** Sends `body` to `path`; the status, or the socket error when the server stopped reading first. */
  const postRaw = (path: string, body: Buffer, headers: Record<string, string> = {}) => new Promise<number | string>((resolve) => {
    const port = Number(new URL(rig.url).port);
    const s = tlsConnect({ host: '127.0.0.1', port, ca: rig.ca, servername: 'localhost' }, () => {
      const head = Object.entries({ 'content-type': 'application/json', 'content-length': String(body.length), ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      s.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${head}Connection: close\r\n\r\n`);
      // no end(): the HTTP server closes a half-closed connection without answering
      s.write(body, () => undefined);
    });
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (out += d));
    s.on('close', () => resolve(out ? Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? 0) : 'closed'));
    s.on('error', (err) => resolve((err as NodeJS.ErrnoException).code ?? err.message));
  });

  it('an oversized body is refused (413) before it is read, signed in or not; a long sign-in name is not kept whole', async () => {
    const dbBytes = () => ['admin.sqlite', 'admin.sqlite-wal'].reduce((n, f) => n + (statSync(join(rig.dir, f), { throwIfNoEntry: false })?.size ?? 0), 0);
    const before = dbBytes();
    const huge = Buffer.from(JSON.stringify({ name: 'n'.repeat(8 * 1024 * 1024), password: 'x' }));
    const refused = await postRaw('/api/login', huge);
    expect([413, 'EPIPE', 'ECONNRESET']).toContain(refused);
    // without Content-Length (chunked), the limit holds while reading
    const chunked = await postRaw('/api/login', Buffer.concat([Buffer.from(`${(huge.length).toString(16)}\r\n`), huge, Buffer.from('\r\n0\r\n\r\n')]), { 'content-length': '', 'transfer-encoding': 'chunked' });
    expect([413, 'EPIPE', 'ECONNRESET']).toContain(chunked);
    const editor = await signedIn(rig, 'editor');
    expect((await editor.post('/api/users', { name: 'u'.repeat(300 * 1024) })).status).toBe(413);

    // under the limit, a 100 KiB name is a failed sign-in; the audit keeps 65 characters of it
    const long = 'm'.repeat(100 * 1024);
    expect((await new ApiClient(rig.url, rig.ca).login(long, 'wrong-password')).status).toBe(401);
    const admin = await signedIn(rig, 'admin');
    const audit = await admin.get('/api/audit?limit=20');
    const failed = (audit.body.entries ?? audit.body.records ?? audit.body).filter?.((e: { action: string }) => e.action === 'login_failed' || e.action === 'login_locked') ?? [];
    expect(JSON.stringify(audit.body)).not.toContain('m'.repeat(66));
    expect(JSON.stringify(failed)).toContain('m'.repeat(65));
    expect(dbBytes() - before).toBeLessThan(1024 * 1024);
  }, 60_000);
});

describe('static files', () => {
  it('path traversal finds nothing outside the built UI', async () => {
    const port = new URL(rig.url).port;
    const raw = (path: string) => new Promise<{ status: number; body: string }>((resolve, reject) => {
      // a raw request line, so the client library does not normalise the path
      const s = tlsConnect({ host: '127.0.0.1', port: Number(port), ca: rig.ca, servername: 'localhost' }, () => {
        s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      });
      let out = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (out += d));
      s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(out)?.[1] ?? 0), body: out }));
      s.on('error', reject);
    });
    for (const path of [
      '/../package.json', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/../../../package.json',
      '/assets/..%2f..%2f..%2fpackage.json', '/..\\..\\package.json', '/index.html%00.js', '//etc/passwd', '/%2fetc%2fpasswd',
      '/../src/admin/admin-app.ts', '/../../radiusd.yaml',
    ]) {
      const r = await raw(path);
      expect([400, 404], path).toContain(r.status);
      expect(r.body, path).not.toMatch(/"name": "vutlan-radius"|root:x:0|createAdminApp|testing123/);
    }
  });
});

describe('allowlist', () => {
  it('loopback only by default; admin.allow admits exactly the listed addresses', async () => {
    const other = await startAdminRig({ admin: '  allow: [127.0.0.2/32]' });
    try {
      const denied = new ApiClient(other.url, other.ca, '127.0.0.1');
      const r = await denied.login('admin', PASSWORDS.admin);
      expect(r.status).toBe(403);
      expect(r.headers['set-cookie']).toBeUndefined();
      expect((await denied.get('/')).status).toBe(403);
      const allowed = new ApiClient(other.url, other.ca, '127.0.0.2');
      expect((await allowed.login('admin', PASSWORDS.admin)).status).toBe(200);
    } finally {
      await other.stop();
    }
  });

  it('a non-loopback admin.allow entry is refused at load unless it parses', async () => {
    const { loadConfig } = await import('../../src/server/config.js');
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'vr-admin-cfg-'));
    writeFileSync(join(dir, 'r.yaml'), 'clients: [{ name: a, address: 127.0.0.1, secret: x }]\nadmin:\n  listen: 127.0.0.1:8443\n  allow: [not-an-ip]\n');
    expect(() => loadConfig(join(dir, 'r.yaml'))).toThrow(/r\.yaml:4: admin\.allow: "not-an-ip" is not an IP address or CIDR/);
    writeFileSync(join(dir, 'r.yaml'), 'clients: [{ name: a, address: 127.0.0.1, secret: x }]\nadmin:\n  listen: localhost:8443\n');
    expect(() => loadConfig(join(dir, 'r.yaml'))).toThrow(/r\.yaml:3: admin\.listen: expected IP:PORT/);
    void connect;
  });
});
