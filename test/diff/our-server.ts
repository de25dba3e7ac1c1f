import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';

import { type RunningServer, startServer } from '../../src/server/server.js';

/**
 * Our server for the differential tests, started for real (`startServer` on a YAML config, one
 * auth listener on 127.0.0.1:<ephemeral>) the way `vutlan-radius serve` starts it, with the
 * users file or SQLite store FreeRADIUS is compared against.
 */

/** What the server answers from (exactly one kind, so each run tests one source). */
export type OurUsers = { files: string[] } | { sqlite: string } | { files?: string[]; sql: string };

/** Options of {@link startOurServer}. */
export interface OurServerOptions {
  users: OurUsers;
  /** Entry dictionary (FreeRADIUS $INCLUDEs the same file). */
  dictionary: string;
  /** Secret of the client 127.0.0.0/8. */
  secret: string;
}

/** A running server of ours with the trace of the requests since the last `clearTrace()`. */
export interface OurServer {
  port: number;
  /** The temp directory holding radiusd.yaml and the logs. */
  dir: string;
  server: RunningServer;
  /** -X trace lines (no secrets or passwords in them), for failure messages. */
  trace(): string[];
  clearTrace(): void;
  /** Stops the server and removes the temp directory. */
  close(): Promise<void>;
}

/** Writes radiusd.yaml into a fresh temp directory and starts the server on it. */
export async function startOurServer(opts: OurServerOptions): Promise<OurServer> {
  const dir = mkdtempSync(join(tmpdir(), 'diff-ours-'));
  const files = (list: string[]) => `  files: [ ${list.map((f) => JSON.stringify(resolve(f))).join(', ')} ]\n`;
  const users = 'sql' in opts.users
    ? `users:\n${files(opts.users.files ?? [])}  sql:\n    url: ${JSON.stringify(opts.users.sql)}\n    poll_interval: 0.1\n`
    : 'files' in opts.users
      ? `users:\n${files(opts.users.files)}`
      : `users:\n  sqlite: ${JSON.stringify(resolve(opts.users.sqlite))}\n`;
  // FreeRADIUS 3.2.1's radclient sends no Message-Authenticator: the client must not require it.
  writeFileSync(join(dir, 'radiusd.yaml'), `listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
dictionary: ${JSON.stringify(resolve(opts.dictionary))}
clients:
  - { name: loopback, address: 127.0.0.0/8, secret: ${JSON.stringify(opts.secret)}, require_message_authenticator: no }
${users}log:
  level: warn
  auth_fail: ./auth-fail.log
  accounting: ./accounting.log
security:
  reject_delay: 0
`);
  let lines: string[] = [];
  let server: RunningServer;
  try {
    server = await startServer(join(dir, 'radiusd.yaml'), {
      logger: pino({ level: 'silent' }), watch: false, trace: (line) => { if (lines.length < 2000) lines.push(line); },
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const auth = server.addresses().find((a) => a.type === 'auth');
  if (!auth) throw new Error('our server bound no auth listener');
  return {
    port: auth.port,
    dir,
    server,
    trace: () => lines,
    clearTrace: () => { lines = []; },
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
