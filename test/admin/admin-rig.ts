/**
 * A server with the web administration on loopback for tests: temporary directory, SQLite user
 * store, authorize file, admin accounts of each role, and an HTTPS client that keeps cookies
 * and checks the server's (self-signed, made at start) certificate against the file written.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { hashAdminPassword } from '../../src/admin/admin-password.js';
import { AdminStore, type Role } from '../../src/admin/admin-store.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { repoRoot } from '../server/test-server.js';

export const PASSWORDS: Record<Role, string> = { viewer: 'viewer-pass-123', editor: 'editor-pass-123', admin: 'admin-pass-1234' };

export interface AdminRig {
  dir: string;
  server: RunningServer;
  url: string;
  auth: number;
  ca: string;
  stop(): Promise<void>;
}

export interface RigOptions {
  /** YAML lines for the admin block besides listen. */
  admin?: string;
  clients?: string;
  /** Run through the CLI instead (browser tests); not used here. */
}

export const RIG_CLIENTS = `
clients:
  - { name: lab, address: 127.0.0.0/8, secret: testing123 }
  - { name: dev-a, address: 127.0.0.21, secret: secret-a-0123456, require_message_authenticator: auto }
  - { name: dev-b, address: 127.0.0.22, secret: secret-b-0123456, require_message_authenticator: auto }
`;

/** Writes the config in a new directory; returns its path. */
export function writeRigConfig(dir: string, opts: RigOptions = {}, adminListen = '127.0.0.1:0'): string {
  copyFileSync(join(repoRoot, 'config/authorize'), join(dir, 'authorize'));
  const file = join(dir, 'radiusd.yaml');
  writeFileSync(file, `# test config
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
${opts.clients ?? RIG_CLIENTS}
users:
  files: [ ./authorize ]
  sqlite: ./users.sqlite
log:
  level: warn
  auth_fail: ./auth-fail.log
security:
  reject_delay: 0
workers: 1
admin:
  listen: ${adminListen}
${opts.admin ?? ''}
`);
  return file;
}

export async function addAccounts(dbPath: string): Promise<void> {
  const store = new AdminStore(dbPath);
  try {
    for (const role of ['viewer', 'editor', 'admin'] as const) store.addAccount(role, role, await hashAdminPassword(PASSWORDS[role]));
  } finally {
    store.close();
  }
}

export async function startAdminRig(opts: RigOptions = {}): Promise<AdminRig> {
  const dir = mkdtempSync(join(tmpdir(), 'vr-admin-'));
  const file = writeRigConfig(dir, opts);
  await addAccounts(join(dir, 'admin.sqlite'));
  const server = await startServer(file, { logger: pino({ level: 'silent' }), watch: false });
  const url = server.adminUrl()!;
  return {
    dir,
    server,
    url,
    auth: server.addresses().find((a) => a.type === 'auth')!.port,
    ca: readFileSync(join(dir, 'admin-cert.pem'), 'utf8'),
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** An HTTPS client with a cookie jar and the CSRF token of its session. */
export class ApiClient {
  cookies = new Map<string, string>();
  csrf: string | undefined;

  constructor(readonly base: string, readonly ca: string, readonly localAddress?: string) {}

  request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const h: Record<string, string> = { ...headers };
    if (this.cookies.size > 0) h.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    let data: string | undefined;
    if (body !== undefined) {
      data = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    if (method !== 'GET' && this.csrf && h['x-csrf-token'] === undefined) h['x-csrf-token'] = this.csrf;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.base), { method, headers: h, ca: this.ca, agent: false, ...(this.localAddress ? { localAddress: this.localAddress } : {}) }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          for (const sc of res.headers['set-cookie'] ?? []) {
            const [pair] = sc.split(';');
            const i = pair!.indexOf('=');
            const k = pair!.slice(0, i);
            const v = pair!.slice(i + 1);
            if (v === '' || /max-age=0/i.test(sc)) this.cookies.delete(k);
            else this.cookies.set(k, v);
          }
          let parsed: unknown = undefined;
          try { parsed = JSON.parse(text); } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text });
        });
      });
      req.on('error', reject);
      req.setTimeout(15_000, () => req.destroy(new Error('timeout')));
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  get(path: string): Promise<Reply> { return this.request('GET', path); }
  post(path: string, body: unknown = {}, headers?: Record<string, string>): Promise<Reply> { return this.request('POST', path, body, headers); }
  put(path: string, body: unknown): Promise<Reply> { return this.request('PUT', path, body); }
  delete(path: string): Promise<Reply> { return this.request('DELETE', path); }

  async login(name: string, password: string): Promise<Reply> {
    const r = await this.post('/api/login', { name, password });
    if (r.status === 200) this.csrf = r.body.csrf;
    return r;
  }
}

export async function signedIn(rig: AdminRig, role: Role): Promise<ApiClient> {
  const c = new ApiClient(rig.url, rig.ca);
  const r = await c.login(role, PASSWORDS[role]);
  if (r.status !== 200) throw new Error(`login ${role}: ${r.status} ${r.text}`);
  return c;
}
