import type { AccountingSink } from './accounting-sink.js';
import { FileAccountingSink } from './accounting-file-sink.js';
import { AppendFile } from './append-file.js';
import type { ServerConfig } from './config.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import type { Dictionary } from '../protocol/dictionary.js';
import { RadacctSink } from '../store/pgsql/radacct-sink.js';
import { RadpostauthWriter } from '../store/pgsql/radpostauth-writer.js';
import type { SourceLogger } from '../store/pgsql/pg-source.js';

/** Longest a log file may take to open (directories included) before a start or reload is refused. */
export const LOG_OPEN_TIMEOUT_MS = 5000;

/** The files one configuration writes: the auth-fail log, the accounting sinks, radpostauth. */
export interface LogFiles {
  authFail: AppendFile | undefined;
  accounting: AccountingSink[];
  postauth?: RadpostauthWriter;
}

/**
 * Opens the files `config` names, reusing those of `previous` that it names the same way, before
 * anything is swapped: a path that cannot be opened (ENOTDIR, EACCES, EROFS, a /proc path, a hung
 * mount past the timeout) rejects with a `ConfigError` naming the config line, and whatever this
 * call opened is closed again, so the running configuration is untouched.
 */
export async function openLogFiles(
  config: ServerConfig, previous?: LogFiles, timeoutMs = LOG_OPEN_TIMEOUT_MS, dictionary?: Dictionary, logger?: SourceLogger,
): Promise<LogFiles> {
  const problems: ConfigProblem[] = [];
  const opened: { close(): Promise<void> }[] = [];
  let authFail: AppendFile | undefined;
  const accounting: AccountingSink[] = [];

  const authPath = config.log.authFail;
  if (authPath !== undefined) {
    if (previous?.authFail?.path === authPath) {
      authFail = previous.authFail;
    } else {
      try {
        // an audit line is ~250 bytes: 1 MiB is thousands of lines behind before lines are counted as lost
        authFail = await AppendFile.open(authPath, { maxQueuedBytes: 1024 * 1024, timeoutMs });
        opened.push(authFail);
      } catch (err) {
        problems.push({ file: config.file, line: config.lines.authFail, message: `log.auth_fail: ${(err as Error).message}` });
      }
    }
  }
  const acctPath = config.log.accounting;
  if (acctPath !== undefined) {
    const same = previous?.accounting.find((s): s is FileAccountingSink => s instanceof FileAccountingSink && s.path === acctPath && s.fsync === config.log.accountingFsync);
    if (same) {
      accounting.push(same);
    } else {
      try {
        const sink = await FileAccountingSink.open(acctPath, { fsync: config.log.accountingFsync, timeoutMs });
        opened.push(sink);
        accounting.push(sink);
      } catch (err) {
        problems.push({ file: config.file, line: config.lines.accounting, message: `log.accounting: ${(err as Error).message}` });
      }
    }
  }
  // sql_accounting: radacct with its spool; one per process while unchanged (it owns the spool's
  // order). It connects lazily: a database down at start means spooling, not a refused start.
  const sqlAcct = config.sqlAccounting;
  if (sqlAcct && dictionary) {
    const same = previous?.accounting.find((s): s is RadacctSink => s instanceof RadacctSink && s.sameConfig(sqlAcct));
    if (same) {
      accounting.push(same);
    } else {
      try {
        const sink = new RadacctSink(dictionary, { url: sqlAcct.url, spoolDir: sqlAcct.spool, timeoutMs: sqlAcct.timeoutMs }, logger);
        opened.push(sink);
        accounting.push(sink);
      } catch (err) {
        problems.push({ file: config.file, line: 0, message: `sql_accounting.spool: ${(err as Error).message}` });
      }
    }
  }
  // sql_postauth: connects lazily like radacct; a database down at start is a degraded server
  const sqlPostauth = config.sqlPostauth;
  let postauth: RadpostauthWriter | undefined;
  if (sqlPostauth) {
    postauth = previous?.postauth?.sameConfig(sqlPostauth) ? previous.postauth : new RadpostauthWriter(sqlPostauth, logger);
    if (postauth !== previous?.postauth) opened.push(postauth);
  }
  if (problems.length > 0) {
    await Promise.all(opened.map((f) => f.close()));
    throw new ConfigError(problems);
  }
  return { authFail, accounting, ...(postauth ? { postauth } : {}) };
}

/** Closes what `old` holds that `next` does not (everything when `next` is undefined). */
export async function closeUnusedLogFiles(old: LogFiles, next: LogFiles | undefined): Promise<void> {
  const closing: Promise<void>[] = [];
  if (old.authFail && old.authFail !== next?.authFail) closing.push(old.authFail.close());
  for (const s of old.accounting) if (!next?.accounting.includes(s)) closing.push(s.close());
  if (old.postauth && old.postauth !== next?.postauth) closing.push(old.postauth.close());
  await Promise.all(closing);
}
