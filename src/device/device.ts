/**
 * One running emulated device: user database + sessions + engine + HTTP server, built from a
 * DeviceConfig. Used by `vutlan-device serve` and by the tests.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { DeviceConfig } from './config.js';
import { DeviceEngine, type EngineOptions } from './engine.js';
import { createDeviceHttpServer } from './http-server.js';
import { SessionTable } from './sessions.js';
import { UserStore } from './user-store.js';

/** A started emulator. */
export interface RunningDevice {
  /** Base URL, e.g. `http://127.0.0.2:41234` (POST to `${url}/engine.htm`). */
  url: string;
  address: string;
  port: number;
  engine: DeviceEngine;
  store: UserStore;
  sessions: SessionTable;
  /** Stops the HTTP server and closes the database. */
  close(): Promise<void>;
}

/** Extra knobs for tests. */
export interface StartDeviceOptions {
  log?: Logger;
  login?: EngineOptions['login'];
  /** Clock (ms) of the session idle timeout; default Date.now. */
  now?: () => number;
}

/** Why the emulator could not start: its database or its HTTP listener; `setting` is the config key to fix. */
export class DeviceStartError extends Error {
  constructor(readonly setting: 'database' | 'http', message: string) {
    super(message);
    this.name = 'DeviceStartError';
  }
}

function openUserStore(file: string): UserStore {
  if (file !== ':memory:' && !existsSync(path.dirname(file))) {
    throw new DeviceStartError('database', `database: cannot create ${file}: the directory ${path.dirname(file)} does not exist (create it or change database)`);
  }
  try {
    return new UserStore(file);
  } catch (err) {
    throw new DeviceStartError('database', `database: cannot open ${file}: ${(err as Error).message}`);
  }
}

function listenProblem(err: NodeJS.ErrnoException, address: string, port: number): DeviceStartError {
  const where = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  const why = err.code === 'EADDRINUSE' ? 'the port is in use by another process (stop it or change http.port)'
    : err.code === 'EADDRNOTAVAIL' ? 'no such address on this host (change http.address)'
    : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges; change http.port)'
    : err.message;
  return new DeviceStartError('http', `http: cannot listen on ${where}: ${why}`);
}

/**
 * Opens the database and listens on `config.http` (port 0 = ephemeral; see `.port`). Throws
 * DeviceStartError, saying which setting to fix, when the database or the port cannot be used.
 */
export async function startDevice(config: DeviceConfig, opts: StartDeviceOptions = {}): Promise<RunningDevice> {
  const log = opts.log ?? pino({ level: config.log.level, base: { nas_ip: config.nas_ip } }, pino.destination(2));
  const store = openUserStore(config.database);
  const sessions = new SessionTable({
    idleSeconds: config.session_idle_seconds, replaceOnLogin: config.replace_sessions_on_login, ...(opts.now ? { now: opts.now } : {}),
  });
  const r = config.radius;
  const engine = new DeviceEngine({
    store, sessions, nasIp: config.nas_ip, log, login: opts.login,
    transport: { timeoutMs: r.timeout_ms, retries: r.retries, messageAuthenticator: r.message_authenticator, requireMessageAuthenticator: r.require_message_authenticator, bindAddress: r.bind_address },
    initialRadius: { enable: r.enable, addr: r.addr, port: r.port, secret: r.secret },
  });
  const server = createDeviceHttpServer(engine, log);
  const sweeper = setInterval(() => sessions.sweep(), 60_000);
  sweeper.unref();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.http.port, config.http.address, () => { server.off('error', reject); resolve(); });
    });
  } catch (err) {
    clearInterval(sweeper);
    store.close();
    throw listenProblem(err as NodeJS.ErrnoException, config.http.address, config.http.port);
  }
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  log.info({ address: a.address, port: a.port }, 'device emulator listening');
  return {
    url: `http://${host}:${a.port}`, address: a.address, port: a.port, engine, store, sessions,
    close: async () => {
      clearInterval(sweeper);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}
