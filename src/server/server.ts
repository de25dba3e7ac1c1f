import cluster from 'node:cluster';
import type pino from 'pino';
import { AuthFailLog } from './auth-fail-log.js';
import type { ListenConfig, ListenerType } from './config.js';
import { ConfigError, formatProblem } from './config-error.js';
import { ConfigWatcher } from './config-watcher.js';
import { DuplicateCache } from './duplicate-cache.js';
import { JsonLinesFile } from './json-lines-file.js';
import { createLogger } from './logger.js';
import { MessageAuthenticatorPolicy } from './message-authenticator-policy.js';
import { MetricsHttpServer } from './metrics-http.js';
import { ServerMetrics, countLookups } from './metrics.js';
import { RequestPipeline, auditReasonOf, type PipelineEvent, type ServerState } from './pipeline.js';
import { StatusCounterAttributes } from './status-counters.js';
import { DelayedSender, PacketRateLimiter, RateLimitedLogger } from './rate-limit.js';
import { closeSnapshot, loadSnapshot, loadSnapshotSliced, type Snapshot } from './snapshot.js';
import { CancelledError } from './time-slice.js';
import { UdpListener } from './udp-listener.js';
import type { TlsMaterial } from './tls-material.js';
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
}

/** A started server. */
export interface RunningServer {
  /** The bound sockets (with the real port when the config said 0). */
  addresses(): { type: ListenerType; address: string; port: number }[];
  /**
   * Loads the configuration again beside the running one and swaps it in atomically; on any
   * problem the old one keeps serving and the errors (`file:line: message`) are returned and logged.
   */
  reload(): Promise<{ ok: boolean; errors?: string[] }>;
  /** Stops receiving, sends what is in flight (held rejects), flushes logs, closes sockets. */
  close(): Promise<void>;
  /** The configuration now in use. */
  snapshot(): Snapshot;
  readonly logger: pino.Logger;
  /** Counters of this server (Prometheus registry, Status-Server statistics). */
  readonly metrics: ServerMetrics;
  /** The /metrics endpoint, when `metrics.listen` is configured. */
  metricsUrl(): string | undefined;
}

/**
 * Loads `configPath` (throws `ConfigError` listing every problem when it is not usable), binds
 * the listeners and starts answering. Signals are the caller's business (the CLI maps SIGHUP to
 * `reload()` and SIGTERM/SIGINT to `close()`), so several servers can run in one process (tests).
 */
export async function startServer(configPath: string, opts: StartServerOptions = {}): Promise<RunningServer> {
  const first = loadSnapshot(configPath);
  const ownLogger = opts.logger === undefined;
  const traceOn = opts.trace !== undefined && opts.trace !== false;
  const logger = opts.logger ?? createLogger(traceOn ? 'debug' : first.config.log.level, first.config.log.pretty);
  for (const w of first.warnings) logger.warn(formatProblem(w));

  const trace = typeof opts.trace === 'function' ? opts.trace : opts.trace ? (line: string) => process.stdout.write(`${line}\n`) : undefined;
  const senders = new Set<DelayedSender>();
  const metrics = opts.metrics ?? new ServerMetrics({ processMetrics: first.config.metrics !== undefined });
  // [hardening] count user lookups per source; in a worker, report to the primary's endpoint
  first.sources = countLookups(first.sources, metrics);
  metrics.shareWithClusterPrimary();
  let generation = 1;
  metrics.configGeneration = generation;
  let state = buildState(first, undefined, logger, senders);

  // one line per drop reason per second, then a count of what was suppressed
  const dropLog = new RateLimitedLogger((fields, msg) => {
    if (fields.reason === 'internal_error') logger.error(fields, msg);
    else logger.warn(fields, msg);
  }, 1, 1000);
  const dropAuditLog = new RateLimitedLogger((fields) => {
    const authFail = state.authFail;
    if ('suppressed' in fields) {
      // a flood must not fill the disk: past 100 lines per reason per second only a count is written
      authFail.write({
        src: '', src_port: 0, client: null, nas_ip: null, nas_id: null, user: null,
        reason: auditReasonOf(String(fields.key)),
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
    maPolicy: opts.maPolicy ?? new MessageAuthenticatorPolicy(),
    metrics,
    ...(trace ? { trace } : {}),
    ...(opts.observe ? { observe: opts.observe } : {}),
  });
  metrics.gauge('radius_duplicate_cache_entries', 'Requests held in the RFC 5080 duplicate cache.', () => state.duplicates.size);
  metrics.gauge('radius_delayed_rejects', 'Access-Rejects waiting for reject_delay.', () => state.rejects.pending);
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
    await disposeState(state, undefined);
    closeSnapshot(first);
    throw err;
  }
  let metricsHttp: MetricsHttpServer | undefined;
  // [hardening] workers share one socket through node:cluster, so an endpoint per worker would
  // answer each scrape from a random worker; the primary serves the sum instead (workers.ts).
  if (first.config.metrics && !cluster.isWorker) {
    try {
      metricsHttp = await MetricsHttpServer.start(first.config.metrics, metrics, { configGeneration: () => generation });
    } catch (err) {
      await Promise.all(listeners.map((l) => l.close()));
      await disposeState(state, undefined);
      closeSnapshot(first);
      throw new Error(`cannot start the metrics endpoint on ${first.config.metrics.listen}: ${(err as Error).message}`);
    }
  }
  logger.info({
    ...(metricsHttp ? { metrics: metricsHttp.url() } : {}),
    listen: listeners.map((l) => `${l.type} ${l.local.address}:${l.local.port}`),
    clients: first.counts.clients,
    users_entries: first.counts.fileEntries,
  }, 'vutlan-radius ready');

  let closed = false;
  let reloading: Promise<{ ok: boolean; errors?: string[] }> = Promise.resolve({ ok: true });

  const doReload = async (): Promise<{ ok: boolean; errors?: string[] }> => {
    if (closed) return { ok: false, errors: ['server is closed'] };
    let next: Snapshot;
    try {
      // a close() during the load stops it at the next slice
      next = await loadSnapshotSliced(configPath, { previous: state.snapshot, cancelled: () => closed });
      if (closed) {
        closeSnapshot(next);
        return { ok: false, errors: ['server is closed'] };
      }
      next.sources = countLookups(next.sources, metrics); // [hardening]
    } catch (err) {
      if (err instanceof CancelledError) return { ok: false, errors: ['server is closed'] };
      const errors = err instanceof ConfigError ? err.problems.map(formatProblem) : [String((err as Error).message)];
      logger.error({ errors }, `reload failed, still serving the previous configuration:\n${errors.join('\n')}`);
      metrics.reload(false);
      return { ok: false, errors };
    }
    let newListeners: Listener[] | undefined;
    if (!sameListen(state.snapshot.config.listen, next.config.listen)) {
      try {
        // a stream listener on the same address and port is kept (its connections stay open)
        newListeners = await openListeners(next.config.listen, next.tls, () => nextIndex++, onMessage, streamEnv, listeners);
      } catch (err) {
        closeSnapshot(next);
        const errors = [(err as Error).message];
        logger.error({ errors }, `reload failed, still serving the previous configuration: ${errors[0]}`);
        metrics.reload(false);
        return { ok: false, errors };
      }
    }
    for (const w of next.warnings) logger.warn(formatProblem(w));
    const old = state;
    state = buildState(next, old, logger, senders);
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
    logger.info({
      clients: next.counts.clients, users_entries: next.counts.fileEntries, users_files_unchanged: next.counts.userFilesKept, generation,
    }, 'configuration reloaded');
    return { ok: true };
  };

  // A reload asked for while one runs is done once more after it; further asks meanwhile join
  // that one, so a burst of SIGHUPs or file events never queues more than one reload.
  let queued: Promise<{ ok: boolean; errors?: string[] }> | undefined;
  const reload = (): Promise<{ ok: boolean; errors?: string[] }> => {
    if (queued) return queued;
    const start = (): Promise<{ ok: boolean; errors?: string[] }> => {
      queued = undefined;
      return doReload();
    };
    queued = reloading = reloading.then(start, start);
    return queued;
  };

  const watcher = opts.watch === false ? undefined : new ConfigWatcher(first.files, () => {
    void reload();
  });

  return {
    logger,
    metrics,
    metricsUrl: () => metricsHttp?.url(),
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
      connectionLog.flush();
      dropLog.flush();
      dropAuditLog.flush();
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
function buildState(snapshot: Snapshot, prev: ServerState | undefined, logger: pino.Logger, senders: Set<DelayedSender>): ServerState {
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
  const onError = (what: string) => (err: Error) => logger.error({ err: err.message }, `cannot write the ${what} log`);
  const authFailPath = snapshot.config.log.authFail;
  const authFailFile = authFailPath === undefined ? undefined
    : prev?.authFail && prev.authFail.file?.path === authFailPath ? prev.authFail.file : new JsonLinesFile(authFailPath, onError('auth-fail'));
  const accountingPath = snapshot.config.log.accounting;
  const accounting = accountingPath === undefined ? undefined
    : prev?.accounting && prev.accounting.path === accountingPath ? prev.accounting : new JsonLinesFile(accountingPath, onError('accounting'));
  const authFail = new AuthFailLog(authFailFile);
  const statusAttributes = prev && prev.snapshot.dictionary === snapshot.dictionary ? prev.statusAttributes : new StatusCounterAttributes(snapshot.dictionary);
  return { snapshot, duplicates, rejects, limiter, authFail, accounting, statusAttributes };
}

/** Closes the files of `old` that `next` does not use any more (all of them when next is undefined). */
async function disposeState(old: ServerState, next: ServerState | undefined): Promise<void> {
  const closing: Promise<void>[] = [];
  const oldAuth = old.authFail.file;
  if (oldAuth && oldAuth !== next?.authFail.file) closing.push(oldAuth.close());
  if (old.accounting && old.accounting !== next?.accounting) closing.push(old.accounting.close());
  await Promise.all(closing);
}
