// The admin's user list at scale: node bench/admin-users-list.mjs [users] (default 100000).
// Fills a fresh SQLite store with generated users (the store's bulk import), then times the
// Users page's query through the real HTTPS API of a running server (sign-in, cookie, CSRF
// as the browser does): the first page, a page in the middle, the last page, a substring search
// and a search that matches nothing. Each is asked 7 times; the median and the slowest are shown.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { hashAdminPassword } from '../dist/admin/admin-password.js';
import { AdminStore } from '../dist/admin/admin-store.js';
import { startServer } from '../dist/server/server.js';
import { bulkInsertUsers } from '../dist/store/sqlite/bulk.js';

const users = Number(process.argv[2] ?? 100_000);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'vutlan-admin-bench-'));
try {
  copyFileSync(join(root, 'config/authorize'), join(dir, 'authorize'));
  bulkInsertUsers(join(dir, 'users.sqlite'), { count: users, prefix: 'user' });
  writeFileSync(join(dir, 'radiusd.yaml'), `listen: [{ type: auth, address: 127.0.0.1, port: 0 }]
clients: [{ name: l, address: 127.0.0.1, secret: admin-bench-secret }]
users: { files: [ ./authorize ], sqlite: ./users.sqlite }
log: { level: warn }
workers: 1
admin: { listen: 127.0.0.1:0 }
`);
  const store = new AdminStore(join(dir, 'admin.sqlite'));
  store.addAccount('bench', 'viewer', await hashAdminPassword('bench-password-1'));
  store.close();
  const server = await startServer(join(dir, 'radiusd.yaml'), { logger: pino({ level: 'silent' }), watch: false });
  const ca = readFileSync(join(dir, 'admin-cert.pem'), 'utf8');
  let cookie = '';
  const call = (method, path, body) => new Promise((resolve, reject) => {
    const headers = { cookie };
    if (body) headers['content-type'] = 'application/json';
    const req = request(new URL(path, server.adminUrl()), { method, headers, ca }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        const sc = res.headers['set-cookie'];
        if (sc) cookie = sc[0].split(';')[0];
        resolve({ status: res.statusCode, body: JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
  await call('POST', '/api/login', { name: 'bench', password: 'bench-password-1' });
  const cases = [
    ['first page', '/api/users?limit=50'],
    ['middle page', `/api/users?offset=${Math.floor(users / 2)}&limit=50`],
    ['last page', `/api/users?offset=${users - 50}&limit=50`],
    ['search "99999" (substring)', '/api/users?search=99999&limit=50'],
    ['search, no match', '/api/users?search=nobody-here&limit=50'],
  ];
  console.log(`${users} users, node ${process.version}; ms per request over HTTPS (keep-alive off), 7 runs`);
  for (const [label, path] of cases) {
    const times = [];
    let total = 0;
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const r = await call('GET', path);
      times.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      total = r.body.total;
    }
    times.sort((a, b) => a - b);
    console.log(`${label.padEnd(28)} median ${times[3].toFixed(1).padStart(6)} ms   max ${times[6].toFixed(1).padStart(6)} ms   (total ${total})`);
  }
  await server.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
