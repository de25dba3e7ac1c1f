import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import type { HttpBindings } from '@hono/node-server';
import { isIP } from 'node:net';
import { runTest } from '../cli/test-command.js';
import { parsePrefix, prefixContains } from '../server/ip-prefix.js';
import { LIST_KEYS, ProfileError, RESOURCE_IDS } from '../store/sqlite/profile.js';
import { SqliteStoreError } from '../store/sqlite/schema.js';
import { SqlStoreError } from '../store/pgsql/sql-user-store.js';
import { deviceSha1Hex } from '../store/sqlite/password-hash.js';
import type { AdminHost } from './admin-host.js';
import { dummyAdminHash, hashAdminPassword, MIN_ADMIN_PASSWORD_LENGTH, verifyAdminPassword } from './admin-password.js';
import { AdminAccountError, type AdminStore, parseRole, roleAtLeast, validateAdminName, type Role } from './admin-store.js';
import type { AuditTrail } from './audit-trail.js';
import { recentAuthFailures } from './auth-fail-reader.js';
import { appendClientToConfig, generateSecret, parseNewClient, writeAtomically } from './clients-editor.js';
import { effectiveRights } from './effective-rights.js';
import { LoginThrottle } from './login-throttle.js';
import { OPENAPI } from './openapi.js';
import { parsePrometheusText, sum } from './prometheus-text.js';
import { csrfMatches, SESSION_COOKIE, SessionTable, type Session } from './sessions.js';
import type { StaticFile } from './static-files.js';
import type { UserDirectory } from './user-directory.js';
import { FormError, parseUserForm } from './user-form.js';

/**
 * The web administration's HTTP application (hono): the JSON REST API under /api (described by
 * /api/openapi.json) and the built UI. Order of checks on every request: address allowlist
 * (403), then for the API the session (401), the role (403) and, for anything that changes
 * state, a JSON body and the session's CSRF token (403).
 */

export interface AdminAppDeps {
  host: AdminHost;
  store: AdminStore;
  audit: AuditTrail;
  users: () => UserDirectory | undefined;
  allowed: (address: string) => boolean;
  staticFiles: Map<string, StaticFile>;
  throttle?: LoginThrottle;
  sessions?: SessionTable;
  log: (level: 'info' | 'warn' | 'error', fields: object, msg: string) => void;
}

type Env = { Bindings: HttpBindings; Variables: { session: Session } };

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Largest request body read (the biggest user form, with many per-NAS overrides, is a few dozen KiB). */
const MAX_BODY_BYTES = 256 * 1024;

class ApiError extends Error {
  constructor(readonly status: 400 | 401 | 403 | 404 | 409 | 415 | 423 | 429 | 500 | 503, readonly code: string, message: string, readonly extra: object = {}) {
    super(message);
  }
}

function peer(c: Context<Env>): string {
  return c.env.incoming.socket.remoteAddress ?? '';
}

function publicProfile(p: Awaited<ReturnType<UserDirectory['get']>>): object | null {
  if (!p) return null;
  return { ...p, entries: p.entries.map(({ password, ...rest }) => ({ ...rest, password: password ? password.attribute : null })) };
}

function int(v: string | undefined, def: number, min: number, max: number): number {
  const n = v === undefined ? def : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new ApiError(400, 'invalid_argument', `expected a whole number ${min}..${max}, got ${JSON.stringify(v)}`);
  return n;
}

export function createAdminApp(d: AdminAppDeps): Hono<Env> {
  const app = new Hono<Env>();
  const sessions = d.sessions ?? new SessionTable();
  const throttle = d.throttle ?? new LoginThrottle();

  app.use('*', async (c, next) => {
    if (!d.allowed(peer(c))) {
      return c.text('forbidden\n', 403);
    }
    await next();
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) c.header(k, v);
    if (c.req.path.startsWith('/api/')) c.header('cache-control', 'no-store');
  });

  // a request body is read into memory whole: bound it before anything parses one (sign-in included)
  app.use('/api/*', bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: { code: 'body_too_large', message: `the request body is over ${MAX_BODY_BYTES / 1024} KiB` } }, 413),
  }));

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json({ error: { code: err.code, message: err.message, ...err.extra } }, err.status);
    if (err instanceof FormError) return c.json({ error: { code: 'invalid_form', message: err.message, fields: err.fields } }, 400);
    if (err instanceof ProfileError) {
      const status = err.code === 'not_found' ? 404 : err.code === 'already_exists' ? 409 : 400;
      return c.json({ error: { code: err.code, message: err.message } }, status);
    }
    if (err instanceof AdminAccountError) {
      const status = err.code === 'not_found' ? 404 : err.code === 'already_exists' ? 409 : 400;
      return c.json({ error: { code: err.code, message: err.message } }, status);
    }
    if (err instanceof SqlStoreError) {
      d.log('warn', { path: c.req.path, err: err.message }, 'admin: the PostgreSQL user store failed');
      return c.json({ error: { code: 'store_unavailable', message: `${err.message}; nothing was changed, try again` } }, 503);
    }
    if (err instanceof SqliteStoreError && err.code === 'bad_row') {
      return c.json({ error: { code: 'invalid_argument', message: err.message } }, 400);
    }
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      d.log('warn', { path: c.req.path }, 'admin: the user store is busy');
      return c.json({ error: { code: 'store_busy', message: 'the user store is locked by another writer; nothing was changed, try again' } }, 503);
    }
    d.log('error', { err: (err as Error).message, path: c.req.path }, 'admin request failed');
    return c.json({ error: { code: 'internal_error', message: 'internal error (see the server log)' } }, 500);
  });

  const sessionOf = (c: Context<Env>): Session | undefined => sessions.get(getCookie(c, SESSION_COOKIE));

  const requireRole = (role: Role): MiddlewareHandler<Env> => async (c, next) => {
    const s = sessionOf(c);
    if (!s) throw new ApiError(401, 'unauthenticated', 'sign in first');
    if (!roleAtLeast(s.role, role)) throw new ApiError(403, 'forbidden', `this needs the ${role} role (you are ${s.role})`);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (!csrfMatches(s, c.req.header('x-csrf-token'))) throw new ApiError(403, 'csrf', 'missing or wrong X-CSRF-Token header: reload the page');
    }
    c.set('session', s);
    await next();
  };

  const requireJsonAndOrigin = (c: Context<Env>): void => {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) throw new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== `https://${c.req.header('host')}`) throw new ApiError(403, 'csrf', 'cross-origin request refused');
  };

  const body = async (c: Context<Env>): Promise<unknown> => {
    if (c.req.method === 'DELETE') return {};
    requireJsonAndOrigin(c);
    try {
      return await c.req.json();
    } catch {
      throw new ApiError(400, 'invalid_json', 'the body is not valid JSON');
    }
  };

  const audit = (c: Context<Env>, action: string, target: string, before: unknown, after: unknown): Promise<void> => {
    return d.audit.record({ actor: c.get('session').name, address: peer(c), action, target, before: before ?? null, after: after ?? null });
  };

  const directory = (): UserDirectory => {
    const u = d.users();
    if (!u) throw new ApiError(503, 'no_store', 'no user store is configured (set users.sqlite or users.sql in the config file)');
    return u;
  };

  // ---- public: the UI, the API description, sign-in ----
  app.get('/api/openapi.json', (c) => c.json(OPENAPI));

  app.post('/api/login', async (c) => {
    const b = await body(c) as { name?: unknown; password?: unknown };
    // longer than any account name can be (64): cut, so the throttle and the audit keep little of it
    const name = typeof b.name === 'string' ? b.name.slice(0, 65) : '';
    const password = typeof b.password === 'string' ? b.password : '';
    const address = peer(c);
    const verdict = throttle.check(name, address);
    if (!verdict.ok) {
      c.header('retry-after', String(verdict.retryAfterSeconds));
      d.log('warn', { admin: name, src: address, reason: verdict.reason }, 'admin sign-in refused');
      throw verdict.reason === 'locked'
        ? new ApiError(423, 'locked', `too many failed sign-ins: locked, try again in ${verdict.retryAfterSeconds} s`, { retry_after: verdict.retryAfterSeconds })
        : new ApiError(429, 'backoff', `too many failed sign-ins: wait ${verdict.retryAfterSeconds} s`, { retry_after: verdict.retryAfterSeconds });
    }
    const account = d.store.account(name);
    const ok = await verifyAdminPassword(password, account?.passwordHash ?? await dummyAdminHash());
    // the session id presented before sign-in (if any) is dropped whatever the outcome (fixation)
    sessions.delete(getCookie(c, SESSION_COOKIE));
    if (!account || !ok) {
      const locked = throttle.failed(name, address);
      await d.audit.record({ actor: name, address, action: locked ? 'login_locked' : 'login_failed', target: name, before: null, after: null });
      throw new ApiError(401, 'bad_credentials', 'wrong name or password');
    }
    throttle.succeeded(name);
    const s = sessions.create(account.name, account.role);
    const now = new Date().toISOString();
    d.store.markLogin(account.name, now);
    await d.audit.record({ actor: account.name, address, action: 'login', target: account.name, before: null, after: null });
    setCookie(c, SESSION_COOKIE, s.id, { httpOnly: true, secure: true, sameSite: 'Strict', path: '/' });
    return c.json({ name: s.name, role: s.role, csrf: s.csrf });
  });

  app.post('/api/logout', async (c) => {
    requireJsonAndOrigin(c);
    const s = sessionOf(c);
    if (s && !csrfMatches(s, c.req.header('x-csrf-token'))) throw new ApiError(403, 'csrf', 'missing or wrong X-CSRF-Token header');
    sessions.delete(s?.id);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: true });
    return c.json({ ok: true });
  });

  // 200 either way: the UI asks on load, and a 401 there would be a console error for nothing
  app.get('/api/session', (c) => {
    const s = sessionOf(c);
    if (!s) return c.json({ signed_in: false });
    return c.json({ signed_in: true, name: s.name, role: s.role, csrf: s.csrf });
  });

  // ---- viewer ----
  app.get('/api/meta', requireRole('viewer'), (c) => c.json({
    list_keys: LIST_KEYS, resource_ids: [...RESOURCE_IDS], store: d.users()?.name ?? null,
  }));

  app.get('/api/users', requireRole('viewer'), async (c) => {
    const offset = int(c.req.query('offset'), 0, 0, 1e9);
    const limit = int(c.req.query('limit'), 50, 1, 500);
    const search = c.req.query('search') ?? '';
    return c.json(await directory().list({ search, offset, limit }));
  });

  app.get('/api/users/:name', requireRole('viewer'), async (c) => {
    const p = await directory().get(c.req.param('name'));
    if (!p) throw new ApiError(404, 'not_found', `no such user "${c.req.param('name')}"`);
    return c.json(publicProfile(p));
  });

  app.get('/api/users/:name/rights', requireRole('viewer'), async (c) => {
    const name = c.req.param('name');
    // the rights come from the serving snapshot; the store only adds the user's NAS overrides
    const p = await d.users()?.get(name).catch(() => undefined);
    const nas = p ? p.entries.filter((e) => e.nas !== undefined).map((e) => e.nas!) : [];
    const extra = c.req.query('nas');
    if (extra !== undefined && isIP(extra) === 0) throw new ApiError(400, 'invalid_argument', `nas: "${extra}" is not an IPv4 or IPv6 address`);
    return c.json({ user: name, devices: effectiveRights(d.host.snapshot(), name, extra ? [...nas, extra] : nas) });
  });

  app.get('/api/clients', requireRole('viewer'), async (c) => {
    const samples = parsePrometheusText(await d.host.metricsText());
    const clients = d.host.snapshot().clients.clients().map((cl) => {
      const lastSeen = sum(samples, 'radius_client_last_seen_time_seconds', { client: cl.name });
      return {
        name: cl.name,
        address: cl.cidr,
        require_message_authenticator: cl.requireMessageAuthenticator,
        origin: `${cl.origin.file}:${cl.origin.line}`,
        requests: sum(samples, 'radius_requests_total', { client: cl.name }),
        accepts: sum(samples, 'radius_responses_total', { client: cl.name, code: 'Access-Accept' }),
        rejects: sum(samples, 'radius_responses_total', { client: cl.name, code: 'Access-Reject' }),
        drops: sum(samples, 'radius_client_dropped_packets_total', { client: cl.name }),
        last_seen: lastSeen > 0 ? new Date(lastSeen * 1000).toISOString() : null,
      };
    });
    return c.json({ clients });
  });

  app.get('/api/activity/counters', requireRole('viewer'), async (c) => {
    const samples = parsePrometheusText(await d.host.metricsText());
    return c.json({
      time: Date.now() / 1000,
      requests: sum(samples, 'radius_requests_total'),
      accepts: sum(samples, 'radius_responses_total', { code: 'Access-Accept' }),
      rejects: sum(samples, 'radius_responses_total', { code: 'Access-Reject' }),
      drops: sum(samples, 'radius_dropped_packets_total'),
    });
  });

  app.get('/api/activity/failures', requireRole('viewer'), async (c) => {
    const path = d.host.snapshot().config.log.authFail;
    if (!path) return c.json({ configured: false, records: [] });
    const q = (k: string) => c.req.query(k) || undefined;
    const records = await recentAuthFailures(path, {
      limit: int(c.req.query('limit'), 100, 1, 1000),
      ...(q('user') ? { user: q('user')! } : {}),
      ...(q('reason') ? { reason: q('reason')! } : {}),
      ...(q('client') ? { client: q('client')! } : {}),
      ...(q('src') ? { src: q('src')! } : {}),
      ...(q('since') ? { since: q('since')! } : {}),
    });
    return c.json({ configured: true, records });
  });

  app.get('/api/status', requireRole('viewer'), (c) => {
    const s = d.host.snapshot();
    return c.json({
      reload: d.host.reloadStatus(),
      problems: d.host.problems(),
      config: s.config.file,
      clients: s.counts.clients,
      users_files: s.config.users.files,
      users_file_entries: s.counts.fileEntries,
      store: d.users()?.name ?? null,
      warnings: s.warnings.map((w) => (w.line > 0 ? `${w.file}:${w.line}: ${w.message}` : `${w.file}: ${w.message}`)),
    });
  });

  app.get('/api/files', requireRole('viewer'), (c) => {
    const s = d.host.snapshot();
    const offset = int(c.req.query('offset'), 0, 0, 1e9);
    const limit = int(c.req.query('limit'), 100, 1, 1000);
    const search = (c.req.query('search') ?? '').toLowerCase();
    const all = s.usersFiles.flatMap((u) => u.source.entries);
    const matching = search ? all.filter((e) => e.name.toLowerCase().includes(search)) : all;
    const db = s.config.users.sqlite;
    return c.json({
      files: s.config.users.files,
      total: matching.length,
      entries: matching.slice(offset, offset + limit).map((e) => ({
        name: e.name,
        origin: `${e.origin.file}:${e.origin.line}`,
        check: e.check.map((i) => (/Password$/.test(i.attr.name) ? `${i.attr.name} ${i.op} <hidden>` : `${i.attr.name} ${i.op} ${i.text}`)),
        reply: e.reply.map((i) => `${i.attr.name} ${i.op} ${i.quote}${i.text}${i.quote}`),
        fall_through: e.fallThrough,
      })),
      import_command: s.config.users.files.map((f) => `vutlan-radius users --db ${db ?? 'users.sqlite'} import ${f}`),
    });
  });

  // ---- editor ----
  app.post('/api/users', requireRole('editor'), async (c) => {
    const { name, change } = parseUserForm(await body(c), true);
    const dir = directory();
    await dir.create(name, change as typeof change & { password: NonNullable<typeof change.password> });
    const after = publicProfile(await dir.get(name));
    await audit(c, 'user_create', name, null, after);
    return c.json(after, 201);
  });

  app.put('/api/users/:name', requireRole('editor'), async (c) => {
    const name = c.req.param('name');
    const { change } = parseUserForm(await body(c), false);
    const dir = directory();
    const before = publicProfile(await dir.get(name));
    if (!before) throw new ApiError(404, 'not_found', `no such user "${name}"`);
    await dir.replace(name, change);
    const after = publicProfile(await dir.get(name));
    await audit(c, change.password ? 'user_update_password' : 'user_update', name, before, after);
    return c.json(after);
  });

  app.post('/api/users/:name/:action{enable|disable}', requireRole('editor'), async (c) => {
    await body(c);
    const name = c.req.param('name');
    const dir = directory();
    const before = publicProfile(await dir.get(name));
    if (!before) throw new ApiError(404, 'not_found', `no such user "${name}"`);
    await dir.setEnabled(name, c.req.param('action') === 'enable');
    const after = publicProfile(await dir.get(name));
    await audit(c, `user_${c.req.param('action')}`, name, before, after);
    return c.json(after);
  });

  app.delete('/api/users/:name', requireRole('editor'), async (c) => {
    const name = c.req.param('name');
    const dir = directory();
    const before = publicProfile(await dir.get(name));
    if (!before) throw new ApiError(404, 'not_found', `no such user "${name}"`);
    await dir.delete(name);
    await audit(c, 'user_delete', name, before, null);
    return c.json({ ok: true });
  });

  app.post('/api/clients', requireRole('editor'), async (c) => {
    const snapshot = d.host.snapshot();
    const client = parseNewClient(await body(c), snapshot);
    const secret = generateSecret();
    const file = snapshot.config.file;
    const previous = appendClientToConfig(file, client, secret);
    const r = await d.host.reload();
    if (!r.ok) {
      writeAtomically(file, previous);
      await d.host.reload();
      throw new ApiError(400, 'reload_failed', `the server did not take the new client, the config file was restored: ${(r.errors ?? []).join('; ')}`);
    }
    const after = { name: client.name, address: client.address, require_message_authenticator: client.requireMessageAuthenticator };
    await audit(c, 'client_create', client.name, null, after);
    // the secret is in this answer only; the list never shows it
    return c.json({ ...after, secret }, 201);
  });

  app.post('/api/reload', requireRole('editor'), async (c) => {
    await body(c);
    const r = await d.host.reload();
    await audit(c, 'reload', d.host.snapshot().config.file, null, { ok: r.ok, errors: r.errors ?? [] });
    return c.json({ ok: r.ok, errors: r.errors ?? [], status: d.host.reloadStatus() });
  });

  app.post('/api/test-login', requireRole('editor'), async (c) => {
    const b = await body(c) as Record<string, unknown>;
    const user = typeof b.user === 'string' ? b.user : '';
    const password = typeof b.password === 'string' ? b.password : '';
    const nas = typeof b.nas === 'string' ? b.nas.trim() : '';
    if (user === '') throw new FormError([{ field: 'user', message: 'give a user name' }]);
    if (isIP(nas) === 0) throw new FormError([{ field: 'nas', message: `"${nas}" is not an IPv4 or IPv6 address` }]);
    const s = d.host.snapshot();
    // from the NAS's own address when it is a local one (127.0.0.0/8, ::1), else from loopback
    // with the NAS's address in NAS-IP-Address, using the client the server knows loopback as
    const local = nas.startsWith('127.') || nas === '::1';
    const from = local ? nas : isIP(nas) === 6 ? '::1' : '127.0.0.1';
    const client = s.clients.lookup(from);
    if (!client) throw new FormError([{ field: 'nas', message: `the server has no client for ${from}: add one (e.g. 127.0.0.0/8) to send test logins` }]);
    const listener = d.host.authAddresses().find((a) => isIP(a.address) === isIP(from) || (a.address === '::' && isIP(from) === 4));
    if (!listener) throw new FormError([{ field: 'nas', message: `the server has no auth listener for IPv${isIP(from)}` }]);
    const to = listener.address === '0.0.0.0' || listener.address === '::' ? (isIP(from) === 6 ? '::1' : '127.0.0.1') : listener.address;
    if (!prefixContains(parsePrefix(isIP(to) === 6 ? '::1/128' : '127.0.0.0/8'), to)) {
      throw new FormError([{ field: 'nas', message: `the auth listener ${to} is not on loopback; test logins are sent to loopback only` }]);
    }
    const sent = b.device === false ? password : deviceSha1Hex(password);
    const r = await runTest(user, sent, {
      server: isIP(to) === 6 ? `[${to}]:${listener.port}` : `${to}:${listener.port}`,
      secret: client.secret.toString('utf8'),
      nasIp: nas,
      timeout: '2',
      retries: '2',
      dictionary: s.config.dictionary,
      bindAddress: from,
    }, () => undefined);
    await audit(c, 'test_login', user, null, { nas, client: client.name, code: r.code ?? null });
    return c.json({
      code: r.code === 2 ? 'Access-Accept' : r.code === 3 ? 'Access-Reject' : r.code === undefined ? 'no reply' : String(r.code),
      client: client.name,
      from,
      lines: r.lines,
    });
  });

  // ---- admin ----
  app.get('/api/admins', requireRole('admin'), (c) => c.json({
    admins: d.store.accounts().map((a) => ({ name: a.name, role: a.role, created_at: a.createdAt, last_login_at: a.lastLoginAt })),
  }));

  app.post('/api/admins', requireRole('admin'), async (c) => {
    const b = await body(c) as Record<string, unknown>;
    const errors: Array<{ field: string; message: string }> = [];
    const name = typeof b.name === 'string' ? b.name : '';
    try { validateAdminName(name); } catch (err) { errors.push({ field: 'name', message: (err as Error).message }); }
    let role: Role = 'viewer';
    try { role = parseRole(String(b.role ?? 'viewer')); } catch (err) { errors.push({ field: 'role', message: (err as Error).message }); }
    const password = typeof b.password === 'string' ? b.password : '';
    if (password.length < MIN_ADMIN_PASSWORD_LENGTH) errors.push({ field: 'password', message: `password: at least ${MIN_ADMIN_PASSWORD_LENGTH} characters` });
    if (errors.length > 0) throw new FormError(errors);
    d.store.addAccount(name, role, await hashAdminPassword(password));
    await audit(c, 'admin_create', name, null, { name, role });
    return c.json({ name, role }, 201);
  });

  app.patch('/api/admins/:name', requireRole('admin'), async (c) => {
    const name = c.req.param('name');
    const b = await body(c) as Record<string, unknown>;
    const account = d.store.account(name);
    if (!account) throw new ApiError(404, 'not_found', `no such admin "${name}"`);
    const before = { name, role: account.role };
    if (b.role !== undefined) {
      const role = parseRole(String(b.role));
      if (account.role === 'admin' && role !== 'admin' && d.store.adminCount() <= 1) {
        throw new FormError([{ field: 'role', message: 'the last admin cannot be demoted' }]);
      }
      d.store.setRole(name, role);
      sessions.setRole(name, role);
    }
    if (b.password !== undefined) {
      if (typeof b.password !== 'string' || b.password.length < MIN_ADMIN_PASSWORD_LENGTH) {
        throw new FormError([{ field: 'password', message: `password: at least ${MIN_ADMIN_PASSWORD_LENGTH} characters` }]);
      }
      d.store.setPasswordHash(name, await hashAdminPassword(b.password));
      if (name !== c.get('session').name) sessions.deleteFor(name);
    }
    const after = { name, role: d.store.account(name)!.role, ...(b.password !== undefined ? { password: 'changed' } : {}) };
    await audit(c, 'admin_update', name, before, after);
    return c.json(after);
  });

  app.delete('/api/admins/:name', requireRole('admin'), async (c) => {
    const name = c.req.param('name');
    const account = d.store.account(name);
    if (!account) throw new ApiError(404, 'not_found', `no such admin "${name}"`);
    if (name === c.get('session').name) throw new ApiError(400, 'invalid_argument', 'you cannot delete your own account');
    if (account.role === 'admin' && d.store.adminCount() <= 1) throw new ApiError(400, 'invalid_argument', 'the last admin cannot be deleted');
    d.store.deleteAccount(name);
    sessions.deleteFor(name);
    await audit(c, 'admin_delete', name, { name, role: account.role }, null);
    return c.json({ ok: true });
  });

  app.get('/api/audit', requireRole('admin'), (c) => {
    const limit = int(c.req.query('limit'), 100, 1, 1000);
    const offset = int(c.req.query('offset'), 0, 0, 1e9);
    return c.json(d.store.audit(limit, offset));
  });

  app.all('/api/*', () => {
    throw new ApiError(404, 'not_found', 'no such API endpoint: see /api/openapi.json');
  });

  // ---- the UI: exact paths only ----
  app.get('*', (c) => {
    const f = d.staticFiles.get(c.req.path);
    if (!f) return c.text('not found\n', 404);
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type, 'cache-control': c.req.path === '/' || c.req.path.endsWith('.html') ? 'no-cache' : 'max-age=300' });
  });

  return app;
}
