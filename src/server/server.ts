import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type pino from 'pino';
import { AccountingRecorder, sinksHealth } from './accounting-recorder.js';
import { AuditLoss, AuthFailLog } from './auth-fail-log.js';
import type { ListenConfig, ListenerType } from './config.js';
import { ConfigError, formatProblem } from './config-error.js';
import { ConfigWatcher } from './config-watcher.js';
import { DuplicateCache } from './duplicate-cache.js';
import { SlowHashPool } from './hash-pool.js';
import { closeUnusedLogFiles, openLogFiles, type LogFiles } from './log-files.js';
import { createLogger } from './logger.js';
import { MessageAuthenticatorPolicy } from './message-authenticator-policy.js';
import { MetricsHttpServer } from './metrics-http.js';
import { ServerMetrics } from './metrics.js';
import { countLookups } from './store-metrics.js';
import { RequestPipeline, type PipelineEvent, type ServerState } from './pipeline.js';
import { DROPS, isDropReason } from './reasons.js';
import { StatusCounterAttributes } from './status-counters.js';
import { DelayedSender } from './delayed-sender.js';
import { PacketRateLimiter } from './pps-limit.js';
import { RateLimitedLogger } from './rate-limited-logger.js';
import { closeSnapshot, loadSnapshot, loadSnapshotSliced, type Snapshot } from './snapshot.js';
import type { ServingFiles } from './serving-files.js';
import { heldBackUsersFiles, type UsersFileSize } from './users-shrink-guard.js';
import { StoreFailures } from './store-error.js';
import { attachSql } from './sql-attach.js';
import { RadacctSink } from '../store/pgsql/radacct-sink.js';
import { registerSqlMetrics } from './sql-metrics.js';
import { LearntStateFile, loadOrCreateFingerprintKey, saveLearnt } from './state-files.js';
import { CancelledError } from './time-slice.js';
import { reportsForAll } from './worker-role.js';
import { UdpListener } from './udp-listener.js';
import { AdminServer } from '../admin/admin-server.js';
import type { ReloadStatus } from '../admin/admin-host.js';
import { certificateProblems, type TlsMaterial } from './tls-material.js';
import { StreamListener, type StreamListenerEnv } from '../transport/stream-listener.js';
import { StreamStats } from '../transport/stream-stats.js';

/** A bound listener of either transport. */
type Listener = UdpListener | StreamListener;

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** -X: print a readable per-request trace (to stdout, or to the given function). */
  trace?: boolean | ((line: string) => void);
  /** Use this logger instead of creating one from `log.level` / `log.pretty`. */
  logger?: pino.Logger;
  /** Reload when a loaded file changes (default true). */
  watch?: boolean;
  /** Observer of each datagram's outcome (tests, soak runs). */
  observe?: (event: PipelineEvent) => void;
  /** Use these counters instead of new ones. */
  metrics?: ServerMetrics;
  /** The `auto` Message-Authenticator memory to use (worker processes share decisions through it). */
  maPolicy?: MessageAuthenticatorPolicy;
  /** Load the first configuration from this copy instead of the disk (a cluster worker: the primary's). */
  files?: ServingFiles;
  /** Called when the list of {@link RunningServer.problems} changes (a worker reports it to the primary). */
  onProblems?: (problems: string[]) => void;
}

/** A started server. */
export interface RunningServer {
  /** The bound sockets (with the real port when the config said 0). */
  addresses(): { type: ListenerType; address: string; port: number }[];
  /**
   * Loads the configuration again beside the running one and swaps it in atomically; on any
   * problem the old one keeps serving and the errors (`file:line: message`) are returned and logged.
   */
  reload(files?: ServingFiles, opts?: { watcher?: boolean }): Promise<{ ok: boolean; errors?: string[] }>;
  /** Stops receiving, sends what is in flight (held rejects), flushes logs, closes sockets. */
  close(): Promise<void>;
  /** The configuration now in use. */
  snapshot(): Snapshot;
  readonly logger: pino.Logger;
  /** Counters of this server (Prometheus registry, Status-Server statistics). */
  readonly metrics: ServerMetrics;
  /** The /metrics endpoint, when `metrics.listen` is configured. */
  metricsUrl(): string | undefined;
  /** The web administration (https://...), when `admin.listen` is configured. */
  adminUrl(): string | undefined;
  /** Outcome of the last reload (the admin's status page). */
  reloadStatus(): ReloadStatus;
  /** What is wrong while it keeps serving (refused reload, unwritable logs); empty when healthy. */
  problems(): string[];
}

/**
 * Loads `configPath` (throws `ConfigError` listing every problem when it is not usable), binds
 * the listeners and starts answering. Signals are the caller's business (the CLI maps SIGHUP to
 * `reload()` and SIGTERM/SIGINT to `close()`), so several servers can run in one process (tests).
 */
export async function startServer(configPath: string, opts: StartServerOptions = {}): Promise<RunningServer> {
  const first = loadSnapshot(configPath, opts.files ? { files: opts.files } : {});
  const ownLogger = opts.logger === undefined;
  const traceOn = opts.trace !== undefined && opts.trace !== false;
  const logger = opts.logger ?? createLogger(traceOn ? 'debug' : first.config.log.level, first.config.log.pretty);
  let firstLogs: LogFiles;
  try {
    firstLogs = await openLogFiles(first.config, undefined, undefined, first.dictionary, logger);
  } catch (err) {
    closeSnapshot(first);
    throw err;
  }
  // with worker processes the primary printed them once already
  if (!cluster.isWorker) for (const w of first.warnings) logger.warn(formatProblem(w));
  try {
    await attachSql(first, undefined, logger);
  } catch (err) {
    await closeUnusedLogFiles(firstLogs, undefined);
    closeSnapshot(first);
    throw err;
  }
  // learnt state lives for the process, in the state_dir it started with (a reload keeps it)
  const maPolicy = opts.maPolicy ?? new MessageAuthenticatorPolicy();
  const learntFile = new LearntStateFile(first.config.stateDir);
  try {
    for (const client of learntFile.load()) maPolicy.adopt(client);
  } catch (err) {
    closeSnapshot(first);
    throw err;
  }
  // a worker reports to the primary, which saves; a single process saves itself
  maPolicy.onLearnt ??= () => saveLearnt(learntFile, maPolicy.requiredClients(), logger);
  const fingerprintKey = lazyFingerprintKey(first.config.stateDir, logger);

  const trace = typeof opts.trace === 'function' ? opts.trace : opts.trace ? (line: string) => process.stdout.write(`${line}\n`) : undefined;
  const senders = new Set<DelayedSender>();
  const metrics = opts.metrics ?? new ServerMetrics({ processMetrics: first.config.metrics !== undefined });
  // count user lookups per source; in a worker, report to the primary's endpoint
  first.sources = countLookups(first.sources, metrics);
  metrics.shareWithClusterPrimary();
  let generation = 1;
  metrics.configGeneration = generation;
  const auditLoss = new AuditLoss((lost, reason) => logger.error({ lost, reason }, `auth-fail log: ${lost} lines not written (${reason})`));
  const recorder = new AccountingRecorder();
  // a failing store: one line per source and reason per 10 s, then how many more there were
  const storeErrors = {
    failures: new StoreFailures(),
    log: new RateLimitedLogger((fields, msg) => logger.error(fields, msg), 1, 10_000),
  };
  const hashPool = SlowHashPool.create();
  let state = buildState(first, firstLogs, undefined, senders, auditLoss, fingerprintKey);

  // one line per drop reason per second, then a count of what was suppressed
  const dropLog = new RateLimitedLogger((fields, msg) => logger.warn(fields, msg), 1, 1000);
  const dropAuditLog = new RateLimitedLogger((fields) => {
    const authFail = state.authFail;
    if ('suppressed' in fields) {
      // a flood must not fill the disk: past 100 lines per reason per second only a count is written
      const key = String(fields.key);
      const audit = isDropReason(key) ? DROPS[key].audit : null;
      if (audit === null) return;
      authFail.write({
        src: '', src_port: 0, client: null, nas_ip: null, nas_id: null, user: null,
        reason: audit,
        detail: `${String(fields.suppressed)} more drops (${String(fields.key)}) not logged in the last second`,
        action: 'drop',
      });
    } else {
      authFail.write(fields as never);
    }
  }, 100, 1000);
  const pipeline = new RequestPipeline({
    state: () => state,
    log: logger,
    dropLog,
    dropAuditLog,
    maPolicy,
    metrics,
    recorder,
    ...(hashPool ? { hashPool } : {}),
    storeErrors,
    ...(trace ? { trace } : {}),
    ...(opts.observe ? { observe: opts.observe } : {}),
  });
  metrics.gauge('radius_duplicate_cache_entries', 'Requests held in the RFC 5080 duplicate cache.', () => state.duplicates.size);
  metrics.gauge('radius_delayed_rejects', 'Access-Rejects waiting for reject_delay.', () => state.rejects.pending);
  metrics.gauge('radius_password_checks_pending', 'Slow password checks (PBKDF2, SHA-crypt) running or waiting in the thread pool.', () => hashPool?.pending ?? 0);
  registerSqlMetrics(metrics, () => state.snapshot.sqlSource);
  metrics.labelled('radius_accounting_records_total', 'Accounting-Requests by outcome: recorded (then answered), failed (not answered), duplicate (a retransmission joined to its first attempt).', 'counter', ['result'],
    () => [{ labels: { result: 'recorded' }, value: recorder.recorded }, { labels: { result: 'failed' }, value: recorder.failed }, { labels: { result: 'duplicate' }, value: recorder.duplicates }]);
  metrics.labelled('radius_log_sink_up', 'Whether a log sink could write at its last attempt (1) or not (0).', 'gauge', ['sink'], () => [
    ...state.accounting.map((s) => ({ labels: { sink: `accounting_${s.name}` }, value: s.health().ok ? 1 : 0 })),
    ...(state.logs.authFail ? [{ labels: { sink: 'auth_fail' }, value: state.logs.authFail.lastError ? 0 : 1 }] : []),
  ]);
  metrics.labelled('radius_log_lines_lost_total', 'Audit lines not written because the log failed or could not keep up.', 'counter', ['log'],
    () => [{ labels: { log: 'auth_fail' }, value: auditLoss.lost }]);
  metrics.labelled('radius_sql_postauth_rows_total', 'radpostauth rows by outcome: written, or lost (queue full, refused by the database, not written before shutdown).', 'counter', ['result'], () => {
    const h = state.logs.postauth?.health();
    return h ? [{ labels: { result: 'written' }, value: h.written }, { labels: { result: 'lost' }, value: h.lost }] : [];
  });
  metrics.gauge('radius_sql_postauth_queued', 'radpostauth rows waiting to be written.', () => state.logs.postauth?.health().queued ?? 0);
  metrics.gauge('radius_config_reload_refused', '1 while the last reload was refused (the previous configuration serves), else 0.', () => (reloadRefused ? 1 : 0), 'max');
  // set while the last reload was refused; cleared by a good one
  let reloadRefused: string | undefined;
  const problems = (): string[] => {
    const out: string[] = [];
    if (reloadRefused) out.push(reloadRefused);
    out.push(...sinksHealth(state.accounting).reasons.map((r) => `accounting is not recorded (not answered): ${r}`));
    for (const f of storeErrors.failures.recent()) out.push(`${f}: requests that need it are dropped`);
    const authErr = state.logs.authFail?.lastError;
    if (authErr) out.push(`auth-fail log: cannot write ${state.logs.authFail!.path}: ${authErr.message}`);
    out.push(...certificateProblems(state.snapshot.config.listen, state.snapshot.tls));
    const postauth = state.logs.postauth?.problem();
    if (postauth) out.push(postauth);
    return out;
  };
  // one log line when a problem appears and one when it is gone (not one per request)
  let known = new Set<string>();
  const healthTimer = setInterval(() => {
    const now = new Set(problems());
    for (const p of now) if (!known.has(p)) logger.error(`degraded: ${p}`);
    for (const p of known) if (!now.has(p)) logger.info(`recovered: ${p}`);
    const changed = now.size !== known.size || [...now].some((p) => !known.has(p));
    known = now;
    if (changed) opts.onProblems?.([...now]);
  }, 1000);
  healthTimer.unref();
  const onMessage = (msg: Buffer, address: string, port: number, listener: UdpListener) => pipeline.handle(msg, address, port, listener);
  const streamStats = new StreamStats();
  streamStats.register(metrics);
  // refused and failed connections: one line per reason per second; ordinary closes at info
  const connectionLog = new RateLimitedLogger((fields, msg) => {
    const { level, ...rest } = fields;
    if (level === 'info') logger.info(rest, msg);
    else logger.warn(rest, msg);
  }, 1, 1000);
  const streamEnv: StreamListenerEnv = {
    state: () => state,
    handle: (packet, address, port, conn) => pipeline.handle(packet, address, port, conn),
    log: logger,
    connectionLog,
    auditLog: dropAuditLog,
    stats: streamStats,
  };

  let nextIndex = 0;
  let listeners: Listener[];
  try {
    listeners = await openListeners(first.config.listen, first.tls, () => nextIndex++, onMessage, streamEnv, []);
  } catch (err) {
    clearInterval(healthTimer);
    await disposeState(state, undefined);
    closeSnapshot(first);
    throw err;
  }
  let metricsHttp: MetricsHttpServer | undefined;
  // workers share one socket through node:cluster, so an endpoint per worker would
  // answer each scrape from a random worker; the primary serves the sum instead (workers.ts).
  if (first.config.metrics && !cluster.isWorker) {
    try {
      metricsHttp = await MetricsHttpServer.start(first.config.metrics, metrics, {
        configGeneration: () => generation,
        problems,
        components: (): Record<string, { status: string } & Record<string, unknown>> => {
          const out: Record<string, { status: string } & Record<string, unknown>> = {};
          const sql = state.snapshot.sqlSource?.health();
          if (sql) out.sql = { status: sql.state, age_s: Math.round(sql.ageMs / 100) / 10, ...(sql.error ? { error: sql.error } : {}) };
          const radacct = state.accounting.find((s): s is RadacctSink => s instanceof RadacctSink);
          if (radacct) out.radacct = radacct.state();
          const postauth = state.logs.postauth?.health();
          if (postauth) out.radpostauth = { ...postauth };
          return out;
        },
      });
    } catch (err) {
      clearInterval(healthTimer);
      await Promise.all(listeners.map((l) => l.close()));
      await disposeState(state, undefined);
      closeSnapshot(first);
      throw new Error(`cannot start the metrics endpoint on ${first.config.metrics.listen}: ${(err as Error).message}`);
    }
  }
  let closed = false;
  let reloading: Promise<{ ok: boolean; errors?: string[] }> = Promise.resolve({ ok: true });
  const reloadStatus: ReloadStatus = { generation, lastAttempt: null, lastOk: null, lastErrors: [], lastSuccess: new Date().toISOString() };
  let admin: AdminServer | undefined;
  if (first.config.admin && !cluster.isWorker) {
    try {
      admin = await AdminServer.start(first.config.admin, {
        snapshot: () => state.snapshot,
        metricsText: () => metrics.text(),
        reload: () => reload(),
        reloadStatus: () => ({ ...reloadStatus, generation }),
        problems,
        authAddresses: () => listeners.filter((l) => l.type === 'auth').map((l) => ({ address: l.local.address, port: l.local.port })),
      }, logger);
    } catch (err) {
      clearInterval(healthTimer);
      await metricsHttp?.close();
      await Promise.all(listeners.map((l) => l.close()));
      await disposeState(state, undefined);
      closeSnapshot(first);
      throw new Error(`cannot start the admin endpoint on ${first.config.admin.listen}: ${(err as Error).message}`);
    }
  }
  // a worker's ready is reported by the primary, once for all ("ready with N worker processes")
  (cluster.isWorker ? logger.debug.bind(logger) : logger.info.bind(logger))({
    ...(metricsHttp ? { metrics: metricsHttp.url() } : {}),
    ...(admin ? { admin: admin.url() } : {}),
    listen: listeners.map((l) => `${l.type} ${l.local.address}:${l.local.port}`),
    clients: first.counts.clients,
    users_entries: first.counts.fileEntries,
  }, 'vutlan-radius ready');

  const doReload = async (files: ServingFiles | undefined, explicit: boolean): Promise<{ ok: boolean; errors?: string[] }> => {
    const r = await doReloadOnce(files, explicit);
    if (r.errors?.[0] !== 'server is closed') {
      reloadStatus.lastAttempt = new Date().toISOString();
      reloadStatus.lastOk = r.ok;
      reloadStatus.lastErrors = r.errors ?? [];
      if (r.ok) reloadStatus.lastSuccess = reloadStatus.lastAttempt;
    }
    return r;
  };
  const doReloadOnce = async (files: ServingFiles | undefined, explicit: boolean): Promise<{ ok: boolean; errors?: string[] }> => {
    if (closed) return { ok: false, errors: ['server is closed'] };
    let next: Snapshot;
    let nextLogs: LogFiles;
    const refuse = (errors: string[]): { ok: boolean; errors: string[] } => {
      logger.error({ errors }, `reload failed, still serving the previous configuration:\n${errors.join('\n')}`);
      metrics.reload(false);
      reloadRefused = `reload refused, still serving generation ${generation}: ${errors[0] ?? 'error'}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}`;
      return { ok: false, errors };
    };
    try {
      // a close() during the load stops it at the next slice
      next = await loadSnapshotSliced(configPath, { previous: state.snapshot, cancelled: () => closed, ...(files ? { files } : {}) });
      try {
        await attachSql(next, state.snapshot, logger);
      } catch (err) {
        closeSnapshot(next);
        throw err;
      }
      if (closed) {
        closeSnapshot(next);
        return { ok: false, errors: ['server is closed'] };
      }
      next.sources = countLookups(next.sources, metrics);
    } catch (err) {
      if (err instanceof CancelledError) return { ok: false, errors: ['server is closed'] };
      return refuse(err instanceof ConfigError ? err.problems.map(formatProblem) : [String((err as Error).message)]);
    }
    // a watcher event that finds a users file emptied or cut short waits for an explicit SIGHUP
    const held = explicit ? [] : heldBackUsersFiles(usersFileSizes(state.snapshot), usersFileSizes(next));
    if (held.length > 0) {
      closeSnapshot(next);
      return refuse(held);
    }
    // everything the new configuration writes is opened before the swap (bounded time each)
    try {
      nextLogs = await openLogFiles(next.config, state.logs, undefined, next.dictionary, logger);
    } catch (err) {
      closeSnapshot(next);
      return refuse(err instanceof ConfigError ? err.problems.map(formatProblem) : [String((err as Error).message)]);
    }
    const discardLogs = () => closeUnusedLogFiles(nextLogs, state.logs);
    // the metrics endpoint: a new address is bound before the swap, an allowlist applied with it
    let nextMetricsHttp: MetricsHttpServer | undefined;
    const wantMetrics = cluster.isWorker ? undefined : next.config.metrics;
    if (wantMetrics && !metricsHttp?.serves(wantMetrics.listen)) {
      try {
        nextMetricsHttp = await MetricsHttpServer.start(wantMetrics, metrics, { configGeneration: () => generation, problems });
      } catch (err) {
        closeSnapshot(next);
        await discardLogs();
        return refuse([`${next.config.file}:${next.config.lines.metricsListen}: cannot start the metrics endpoint on ${wantMetrics.listen}: ${(err as Error).message}`]);
      }
    }
    let newListeners: Listener[] | undefined;
    if (!sameListen(state.snapshot.config.listen, next.config.listen)) {
      try {
        // a stream listener on the same address and port is kept (its connections stay open)
        newListeners = await openListeners(next.config.listen, next.tls, () => nextIndex++, onMessage, streamEnv, listeners);
      } catch (err) {
        closeSnapshot(next);
        await discardLogs();
        await nextMetricsHttp?.close();
        return refuse([`${next.config.file}:0: cannot listen: ${(err as Error).message}`]);
      }
    }
    if (reportsForAll()) for (const w of next.warnings) logger.warn(formatProblem(w));
    const old = state;
    state = buildState(next, nextLogs, old, senders, auditLoss, fingerprintKey);
    if (nextMetricsHttp) {
      const oldHttp = metricsHttp;
      metricsHttp = nextMetricsHttp;
      await oldHttp?.close();
    } else if (wantMetrics && metricsHttp) {
      metricsHttp.setAllow(wantMetrics.allow);
    } else if (!wantMetrics && metricsHttp && !cluster.isWorker) {
      await metricsHttp.close();
      metricsHttp = undefined;
    }
    if (ownLogger) logger.level = traceOn ? 'debug' : next.config.log.level;
    if (newListeners) {
      const oldListeners = listeners;
      listeners = newListeners;
      await Promise.all(oldListeners.filter((l) => !newListeners!.includes(l)).map((l) => l.close()));
    }
    // new certificates, limits and clients for the stream listeners (open connections re-checked)
    next.config.listen.forEach((c, i) => {
      const l = listeners[i];
      if (l instanceof StreamListener) l.update(c, next.tls[i]);
    });
    watcher?.setFiles(next.files);
    // requests are handled synchronously, so nothing still runs on the old snapshot now
    await disposeState(old, state);
    closeSnapshot(old.snapshot);
    generation++;
    metrics.reload(true, generation);
    reloadRefused = undefined;
    logger.info({
      clients: next.counts.clients, users_entries: next.counts.fileEntries, users_files_unchanged: next.counts.userFilesKept, generation,
    }, 'configuration reloaded');
    return { ok: true };
  };

  // A reload asked for while one runs is done once more after it; further asks meanwhile join
  // that one, so a burst of SIGHUPs or file events never queues more than one reload.
  let queued: Promise<{ ok: boolean; errors?: string[] }> | undefined;
  let queuedFiles: ServingFiles | undefined;
  let queuedExplicit = false;
  const reload = (files?: ServingFiles, opts: { watcher?: boolean } = {}): Promise<{ ok: boolean; errors?: string[] }> => {
    queuedFiles = files; // the latest copy wins
    queuedExplicit ||= opts.watcher !== true;
    if (queued) return queued;
    const start = (): Promise<{ ok: boolean; errors?: string[] }> => {
      queued = undefined;
      const from = queuedFiles;
      const explicit = queuedExplicit;
      queuedFiles = undefined;
      queuedExplicit = false;
      // never rejects: whatever goes wrong is a refused reload, and the old configuration serves
      return doReload(from, explicit).catch((err: unknown) => {
        const errors = [`internal error during reload: ${(err as Error).message ?? String(err)}`];
        logger.error({ errors }, `reload failed, still serving the previous configuration: ${errors[0]}`);
        metrics.reload(false);
        reloadRefused = `reload refused, still serving generation ${generation}: ${errors[0]}`;
        return { ok: false, errors };
      });
    };
    queued = reloading = reloading.then(start, start);
    return queued;
  };

  const watcher = opts.watch === false ? undefined : new ConfigWatcher(first.files, () => {
    void reload(undefined, { watcher: true });
  });

  return {
    logger,
    metrics,
    metricsUrl: () => metricsHttp?.url(),
    adminUrl: () => admin?.url(),
    reloadStatus: () => ({ ...reloadStatus, generation }),
    problems,
    addresses: () => listeners.map((l) => ({ type: l.type, address: l.local.address, port: l.local.port })),
    reload,
    snapshot: () => state.snapshot,
    close: async () => {
      if (closed) return;
      closed = true;
      watcher?.close();
      for (const l of listeners) l.stopReceiving();
      await reloading.catch(() => undefined);
      for (const s of senders) s.close(true);
      await Promise.all(listeners.map((l) => l.close()));
      await metricsHttp?.close();
      await admin?.close();
      clearInterval(healthTimer);
      await hashPool?.close();
      connectionLog.flush();
      dropLog.flush();
      dropAuditLog.flush();
      storeErrors.log.flush();
      auditLoss.flush();
      await disposeState(state, undefined);
      closeSnapshot(state.snapshot);
      if (ownLogger) await new Promise<void>((resolve) => logger.flush(() => resolve()));
    },
  };
}

async function openListeners(
  configs: readonly ListenConfig[],
  tls: readonly (TlsMaterial | undefined)[],
  nextIndex: () => number,
  onMessage: (msg: Buffer, address: string, port: number, listener: UdpListener) => void,
  streamEnv: StreamListenerEnv,
  running: readonly Listener[],
): Promise<Listener[]> {
  const opened: Listener[] = [];
  const reused = new Set<Listener>();
  try {
    for (const [i, c] of configs.entries()) {
      if (c.type === 'auth' || c.type === 'acct') {
        opened.push(await UdpListener.open(nextIndex(), c, onMessage));
        continue;
      }
      const same = c.port !== 0 && running.find((l): l is StreamListener => l instanceof StreamListener && !reused.has(l)
        && l.config.type === c.type && l.config.address === c.address && l.config.port === c.port);
      if (same) {
        reused.add(same);
        opened.push(same);
      } else {
        opened.push(await StreamListener.open(nextIndex(), c, tls[i], streamEnv));
      }
    }
    return opened;
  } catch (err) {
    await Promise.all(opened.filter((l) => !reused.has(l)).map((l) => l.close()));
    throw err;
  }
}

function sameListen(a: readonly ListenConfig[], b: readonly ListenConfig[]): boolean {
  return a.length === b.length && a.every((x, i) => x.type === b[i]!.type && x.address === b[i]!.address && x.port === b[i]!.port);
}

/** Builds the per-configuration tools, carrying over what did not change (cache, files). */
function buildState(
  snapshot: Snapshot, logs: LogFiles, prev: ServerState | undefined, senders: Set<DelayedSender>, loss: AuditLoss, fingerprintKey: () => Buffer,
): ServerState {
  const sec = snapshot.config.security;
  const prevSec = prev?.snapshot.config.security;
  const duplicates = prev && prevSec && prevSec.duplicateCacheSeconds === sec.duplicateCacheSeconds && prevSec.duplicateCacheEntries === sec.duplicateCacheEntries
    ? prev.duplicates
    : new DuplicateCache(sec.duplicateCacheSeconds * 1000, sec.duplicateCacheEntries);
  let rejects: DelayedSender;
  if (prev && prevSec && prevSec.rejectDelay === sec.rejectDelay && prevSec.maxDelayedRejects === sec.maxDelayedRejects) {
    rejects = prev.rejects;
  } else {
    rejects = new DelayedSender(sec.rejectDelay * 1000, sec.maxDelayedRejects);
    senders.add(rejects);
  }
  const limiter = prev && prevSec && prevSec.maxPps === sec.maxPps && prevSec.maxPpsPerClient === sec.maxPpsPerClient
    ? prev.limiter
    : new PacketRateLimiter({ maxPps: sec.maxPps, maxPpsPerClient: sec.maxPpsPerClient });
  const authFail = new AuthFailLog(logs.authFail, fingerprintKey, loss);
  const statusAttributes = prev && prev.snapshot.dictionary === snapshot.dictionary ? prev.statusAttributes : new StatusCounterAttributes(snapshot.dictionary);
  return { snapshot, duplicates, rejects, limiter, authFail, accounting: logs.accounting, logs, statusAttributes };
}

/** Closes the files of `old` that `next` does not use any more (all of them when next is undefined). */
async function disposeState(old: ServerState, next: ServerState | undefined): Promise<void> {
  await closeUnusedLogFiles(old.logs, next?.logs);
}

function usersFileSizes(s: Snapshot): UsersFileSize[] {
  return s.usersFiles.map((u) => ({ file: u.source.name, entries: u.source.entries.length }));
}

/**
 * The password fingerprint key, read (or created) in `stateDir` when first needed, so every
 * worker and every restart fingerprints alike. If it cannot be kept there, a random key for
 * this process is used and the problem logged once.
 */
function lazyFingerprintKey(stateDir: string, logger: pino.Logger): () => Buffer {
  let key: Buffer | undefined;
  return () => {
    if (key) return key;
    try {
      key = loadOrCreateFingerprintKey(stateDir);
    } catch (err) {
      key = randomBytes(32);
      logger.error({ err: (err as Error).message }, `cannot keep the password fingerprint key in ${stateDir}: ${(err as Error).message}; using a key of this process only, so password_fp values will differ between workers and restarts`);
    }
    return key;
  };
}
