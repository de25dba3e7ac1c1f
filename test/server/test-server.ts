/**
 * Starts a server for a test on ephemeral loopback ports, from a config written to a fresh
 * temporary directory (the example `config/authorize` copied beside it).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/server/server.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The clients every test server knows (bind the client socket to the address to be one). */
export const CLIENTS = `
clients:
  - { name: lo-auto, address: 127.0.0.1, secret: testing123, require_message_authenticator: auto }
  - { name: lo-yes, address: 127.0.0.2, secret: testing123, require_message_authenticator: yes }
  - { name: lo-no, address: 127.0.0.3, secret: testing123, require_message_authenticator: no }
  - { name: lo-learn, address: 127.0.0.4, secret: testing123, require_message_authenticator: auto }
  - { name: lo-learn-no, address: 127.0.0.5, secret: testing123, require_message_authenticator: auto }
  - { name: lo-net, address: 127.0.1.0/24, secret: testing123, require_message_authenticator: auto }
  - { name: lo6, address: "::1", secret: testing123 }
`;

export interface TestServer {
  server: RunningServer;
  dir: string;
  auth: number;
  acct: number;
  authFailLines(): Record<string, unknown>[];
  accountingLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Writes radiusd.yaml (with `extra` YAML appended) and starts the server. */
export async function startTestServer(extra = '', opts: StartServerOptions & { clients?: string; listen?: string } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vr-server-'));
  copyFileSync(join(repoRoot, 'config/authorize'), join(dir, 'authorize'));
  const listen = opts.listen ?? `
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
  - { type: acct, address: 127.0.0.1, port: 0 }
  - { type: auth, address: "::1", port: 0 }
`;
  writeFileSync(join(dir, 'radiusd.yaml'), `${listen}
dictionary: ${JSON.stringify(join(repoRoot, 'dictionaries/dictionary'))}
${opts.clients ?? CLIENTS}
users:
  files: [ ./authorize ]
log:
  level: warn
  auth_fail: ./auth-fail.log
  accounting: ./accounting.log
${extra.includes('security:') ? '' : 'security:\n  reject_delay: 0\n'}${extra}
`);
  const { clients: _c, listen: _l, ...startOpts } = opts;
  const server = await startServer(join(dir, 'radiusd.yaml'), { logger: pino({ level: 'silent' }), watch: false, ...startOpts });
  const addrs = server.addresses();
  const readLines = (name: string) => {
    try {
      return readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  return {
    server,
    dir,
    auth: addrs.find((a) => a.type === 'auth')!.port,
    acct: addrs.find((a) => a.type === 'acct')?.port ?? 0,
    authFailLines: () => readLines('auth-fail.log'),
    accountingLines: () => readLines('accounting.log'),
    stop: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
