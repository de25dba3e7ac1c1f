import { createAdaptorServer } from '@hono/node-server';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import type { AdminConfig } from '../server/config.js';
import { parseAllowList, parseListen } from '../server/metrics-http.js';
import type { AdminHost } from './admin-host.js';
import { createAdminApp } from './admin-app.js';
import { AdminStore } from './admin-store.js';
import { AuditTrail } from './audit-trail.js';
import { LoginThrottle, type ThrottleOptions } from './login-throttle.js';
import { SqliteUserDirectory } from './sqlite-user-directory.js';
import { SqlUserDirectory } from './sql-user-directory.js';
import { defaultUiDir, loadStaticFiles } from './static-files.js';
import { ensureTlsFiles } from './tls-files.js';
import type { UserDirectory } from './user-directory.js';

/**
 * The admin listener: HTTPS only (TLS 1.2+), loopback by default (`admin.allow`, like metrics),
 * serving the admin app. Started by the server when the config has an `admin` block.
 */

export const DEFAULT_ADMIN_ALLOW: readonly string[] = ['127.0.0.1/32', '::1/128'];

export interface AdminServerOptions {
  throttle?: ThrottleOptions;
  uiDir?: string;
}

export class AdminServer {
  private constructor(
    private readonly server: Server,
    private readonly store: AdminStore,
    private readonly audit: AuditTrail,
    private readonly closeUsers: () => void | Promise<void>,
  ) {}

  static async start(config: AdminConfig, host: AdminHost, logger: pino.Logger, opts: AdminServerOptions = {}): Promise<AdminServer> {
    const { host: address, port } = parseListen(config.listen, 'admin.listen');
    const allowed = parseAllowList(config.allow ?? DEFAULT_ADMIN_ALLOW, 'admin.allow');
    const tls = await ensureTlsFiles(config.cert, config.key, address);
    if (tls.created) logger.info({ cert: config.cert, key: config.key }, 'admin: made a self-signed certificate');
    let store: AdminStore;
    try {
      store = new AdminStore(config.db);
    } catch (err) {
      throw new Error(`admin.db ${config.db}: ${(err as Error).message}`);
    }
    if (store.accounts().length === 0) {
      logger.warn(`admin: no admin accounts yet; create one with: vutlan-radius admin -c ${host.snapshot().config.file} add NAME --role admin`);
    }
    let audit: AuditTrail;
    try {
      audit = await AuditTrail.open(store, config.auditLog, (err) => logger.error({ err: err.message }, 'cannot write the admin audit log'));
    } catch (err) {
      store.close();
      throw new Error(`admin.audit_log ${config.auditLog}: ${(err as Error).message}`);
    }
    // the user store follows the configuration in service (users.sqlite / users.sql may change
    // on reload); with both, the SQLite store is the one edited here
    let users: { key: string; dir: UserDirectory } | undefined;
    const currentUsers = (): UserDirectory | undefined => {
      const { sqlite, sql } = host.snapshot().config.users;
      const key = sqlite ? `sqlite:${sqlite}` : sql ? `sql:${sql.url}` : undefined;
      if (users && users.key !== key) {
        void users.dir.close();
        users = undefined;
      }
      const dictionary = () => host.snapshot().dictionary;
      if (!users && sqlite) users = { key: key!, dir: new SqliteUserDirectory(sqlite, dictionary) };
      else if (!users && sql) users = { key: key!, dir: new SqlUserDirectory(sql.url, dictionary, sql.timeoutMs) };
      return users?.dir;
    };
    const app = createAdminApp({
      host,
      store,
      audit,
      users: currentUsers,
      allowed,
      staticFiles: loadStaticFiles(opts.uiDir ?? defaultUiDir()),
      throttle: new LoginThrottle(opts.throttle),
      log: (level, fields, msg) => logger[level](fields, msg),
    });
    const server = createAdaptorServer({
      fetch: app.fetch,
      createServer: createHttpsServer,
      serverOptions: { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2' },
    }) as Server;
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      store.close();
      await audit.close();
      throw err;
    }
    return new AdminServer(server, store, audit, () => users?.dir.close());
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  url(): string {
    const a = this.address();
    const host = a.address === '0.0.0.0' ? '127.0.0.1' : a.address === '::' ? '::1' : a.address;
    return `https://${host.includes(':') ? `[${host}]` : host}:${a.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    await this.closeUsers();
    await this.audit.close();
    this.store.close();
  }
}
