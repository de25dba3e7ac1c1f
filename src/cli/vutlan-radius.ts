#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, formatProblem } from '../server/config-error.js';
import { closeUnusedLogFiles, openLogFiles } from '../server/log-files.js';
import { closeSnapshot, loadSnapshot } from '../server/snapshot.js';
import { checkStateFiles } from '../server/state-files.js';
import { startServer, type RunningServer } from '../server/server.js';
import { attachSql } from '../server/sql-attach.js';
import { createLogger } from '../server/logger.js';
import {
  reportWorkerReady, runWorkersIfConfigured, workerMessageAuthenticatorPolicy, workerComponentsReporter, workerProblemsReporter, workerServingFiles, workerStartFailed,
  workerWatchesFiles,
} from '../server/workers.js';
import { registerAdminCommand } from './admin-command.js';
import { registerBenchCommand } from './bench-command.js';
import { registerTestCommand } from './test-command.js';
import { registerUsersCommand } from './users-command.js';
import { packageVersion } from './package-version.js';

/**
 * `vutlan-radius`: serve, check a configuration, send a test request, manage the SQLite users.
 * Thin: parses arguments and calls the server, store and protocol modules.
 */

const DEFAULT_CONFIG = 'config/radiusd.yaml';

function printLoadError(err: unknown): void {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
  } else {
    process.stderr.write(`error: ${(err as Error).message ?? String(err)}\n`);
  }
}

async function serve(opts: { config: string; X?: boolean }): Promise<void> {
  let server: RunningServer;
  try {
    // workers > 1: this process supervises worker processes, each of which runs the code below.
    if (await runWorkersIfConfigured(opts.config, { trace: opts.X === true })) return;
    const files = await workerServingFiles();
    const onProblems = workerProblemsReporter();
    const onComponents = workerComponentsReporter();
    server = await startServer(opts.config, {
      maPolicy: workerMessageAuthenticatorPolicy(),
      watch: workerWatchesFiles(),
      ...(files ? { files } : {}),
      ...(onProblems ? { onProblems } : {}),
      ...(onComponents ? { onComponents } : {}),
      ...(opts.X ? { trace: true } : {}),
    });
  } catch (err) {
    printLoadError(err);
    process.exitCode = 1;
    workerStartFailed();
    return;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`error during shutdown: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  reportWorkerReady(server, () => stop('primary gone'));
  process.on('SIGHUP', () => {
    server.logger.info('SIGHUP: reloading the configuration');
    server.reload().catch((err: unknown) => server.logger.error({ err: (err as Error).message }, 'reload failed'));
  });
}

async function check(opts: { config: string }): Promise<void> {
  try {
    const s = loadSnapshot(opts.config, { inspectOnly: true });
    try {
      await attachSql(s, undefined, createLogger('silent'));
      // the log files are opened (and their directories created) as a start or reload would
      await closeUnusedLogFiles(await openLogFiles(s.config, undefined, undefined, s.dictionary), undefined);
      // a state file serve could not read fails here too (read only; nothing is created)
      checkStateFiles(s.config.stateDir);
    } catch (err) {
      closeSnapshot(s);
      throw err;
    }
    for (const w of s.warnings) process.stderr.write(`${formatProblem(w)} (warning)\n`);
    const listen = s.config.listen.map((l) => `${l.type} ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`).join(', ');
    const sqlite = `${s.config.users.sqlite ? `, sqlite ${s.config.users.sqlite}` : ''}${s.sqlSource ? `, ${s.sqlSource.name} (${s.sqlSource.health().users} users, ${s.sqlSource.health().badRows} with unparsable rows)` : ''}`;
    process.stdout.write(
      `OK: ${s.counts.clients} clients, ${s.counts.fileEntries} users entries (${s.counts.userFiles} files)${sqlite}; listen ${listen}\n`,
    );
    closeSnapshot(s);
  } catch (err) {
    printLoadError(err);
    process.exitCode = 1;
  }
}

const program = new Command();
program
  .name('vutlan-radius')
  .description('RADIUS server for Vutlan / Sky-Control devices and any NAS (FreeRADIUS-compatible users files, SQLite store)')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the server')
  .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
  .option('-X', 'print a readable trace of every request (debug mode)')
  .action(serve);

program
  .command('check')
  .description('load and validate the configuration, clients, dictionaries and users; exit 1 on any problem')
  .option('-c, --config <file>', 'configuration file', DEFAULT_CONFIG)
  .action(check);

registerTestCommand(program);
registerUsersCommand(program);
registerBenchCommand(program);
registerAdminCommand(program);

await program.parseAsync(process.argv);
