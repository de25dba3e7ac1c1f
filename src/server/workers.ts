import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type pino from 'pino';
import { loadConfig, type ServerConfig } from './config.js';
import { ConfigError, formatProblem } from './config-error.js';
import { ConfigWatcher } from './config-watcher.js';
import { closeUnusedLogFiles, openLogFiles } from './log-files.js';
import { createLogger } from './logger.js';
import { ClusterMetricsSource, MetricsHttpServer } from './metrics-http.js';
import { AdminServer } from '../admin/admin-server.js';
import { ClusterAdminHost } from '../admin/cluster-admin-host.js';
import { MessageAuthenticatorPolicy } from './message-authenticator-policy.js';
import type { RunningServer } from './server.js';
import { FileCapture, servingFilesOf, type ServingFiles, type ServingFilesMessage } from './serving-files.js';
import { closeSnapshot, loadSnapshot, loadSnapshotSliced } from './snapshot.js';
import { LearntStateFile, saveLearnt } from './state-files.js';
import { probeListenPorts } from './udp-listener.js';
import { heldBackUsersFiles, type UsersFileSize } from './users-shrink-guard.js';
import { REPORTER_ENV } from './worker-role.js';

/**
 * Worker processes: one server uses every core (config `workers: N | auto`).
 *
 * The primary process validates the configuration, forks N workers running the same `serve`
 * command and supervises them; it does not answer RADIUS itself. Each worker is a complete
 * single-process server (startServer). Node 20's dgram has no SO_REUSEPORT, so the listening
 * sockets are bound through node:cluster with `exclusive: false` (udp-listener.ts): the primary
 * owns each socket and every worker reads from the same one; the kernel gives each datagram to
 * one waiting worker, which balances load by itself.
 *
 * What is per worker, and what that means:
 * - Duplicate cache (RFC 5080): per worker. A retransmission can reach another worker, which then
 *   answers it again instead of replaying the cached reply. For Access-Request the answer is the
 *   same (same entries, same reply items); an Accounting-Request would be logged twice. Run
 *   `workers: 1` where exact duplicate suppression matters more than throughput.
 * - `require_message_authenticator: auto`: learnt (upwards only) from the client's first valid
 *   signed Access-Request. A worker that learns reports to the primary, which saves the state
 *   file and tells every worker (also ones started later), so all workers require it from then on.
 * - Metrics counters, rate limits (max_pps) and reject_delay queues are per worker; limits
 *   therefore apply per worker (N workers allow up to N x max_pps).
 * - Reload: the primary loads and validates the new configuration first (users, clients,
 *   dictionaries, log paths, metrics endpoint) and keeps a copy of every file it read
 *   (serving-files.ts). A refused reload is logged once by the primary, counted, and shown in
 *   /healthz until a good one; no worker is touched. A valid one is handed to the workers one
 *   at a time as that copy (not re-read from disk), so all of them serve what was validated;
 *   reloading in turn keeps the others answering meanwhile. A reload requested while one is
 *   running is done once more after it.
 * - A worker that dies is restarted from the copy of the configuration in service, never from
 *   the disk (which may hold a refused edit). Restarts back off (1 s doubling to 30 s while a
 *   new worker keeps dying within 10 s of its start) and never stop the primary: the workers
 *   still alive keep serving, and /healthz says how many run. If the primary goes away,
 *   workers shut down.
 */

/** Messages between the primary and its workers (IPC). */
type WorkerMessage =
  | { type: 'vutlan:ready'; addresses: string[]; files: string[] }
  | { type: 'vutlan:ma'; client: string }
  | { type: 'vutlan:reload'; files: ServingFilesMessage }
  | { type: 'vutlan:reloaded'; ok: boolean; files: string[] }
  | { type: 'vutlan:config-request' }
  | { type: 'vutlan:config'; files: ServingFilesMessage }
  | { type: 'vutlan:problems'; problems: string[] };

function isWorkerMessage(m: unknown): m is WorkerMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string'
    && (m as { type: string }).type.startsWith('vutlan:');
}

/** Number of worker processes for a `workers` setting: `auto` = the cores Node may use. */
export function workerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.max(1, availableParallelism()) : setting;
}

/** A worker that dies sooner than this after its start counts as failing (restarts back off). */
const EARLY_EXIT_MS = 10_000;
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * In the primary: when the configuration asks for more than one worker (and no -X trace, which
 * needs one process), forks and supervises the workers and returns true once they are all
 * ready (the process then lives until SIGTERM/SIGINT). Returns false when the caller should
 * serve in this process (workers: 1, -X, or already a worker). Throws the configuration error
 * when the configuration is not usable (as startServer would).
 */
export async function runWorkersIfConfigured(configPath: string, opts: { trace?: boolean } = {}): Promise<boolean> {
  if (cluster.isWorker || opts.trace) return false;
  // The config file alone says how many workers (cheap); users and dictionaries are loaded only
  // when this process will not load them again itself.
  const { workers, log, metrics, admin } = loadConfig(configPath);
  const count = workerCount(workers);
  if (count <= 1) return false;
  // Validate everything once here, so a broken configuration is reported once, not per worker;
  // the copy of what was read is what the workers load.
  const capture = new FileCapture();
  const snapshot = loadSnapshot(configPath, { files: capture.serving });
  const files = snapshot.files;
  const learntFile = new LearntStateFile(snapshot.config.stateDir);
  closeSnapshot(snapshot);
  // a state file that cannot be read stops the start here, once, instead of in every worker
  const learnt = new Set(learntFile.load());
  await closeUnusedLogFiles(await openLogFiles(snapshot.config), undefined);
  // a busy port is one clear error here, not one per worker and then "worker exited"
  await probeListenPorts(snapshot.config.listen);
  const logger = createLogger(log.level, log.pretty);
  for (const w of snapshot.warnings) logger.warn(formatProblem(w));
  const endpoint: PrimaryEndpoint = { http: undefined, source: new ClusterMetricsSource(), problems: () => [] };
  const sizes = snapshot.usersFiles.map((u) => ({ file: u.source.name, entries: u.source.entries.length }));
  let adminHost: ClusterAdminHost | undefined;
  const supervisor = await superviseWorkers(count, logger, files, configPath, capture.toMessage(), endpoint, sizes,
    { file: learntFile, clients: learnt }, () => { void adminHost?.refresh(); });
  endpoint.problems = supervisor.problems;
  // one /metrics + /healthz for the whole server: the sum over the workers' counters
  if (metrics) {
    endpoint.http = await MetricsHttpServer.start(metrics, endpoint.source, { configGeneration: () => endpoint.source.configGeneration, problems: () => endpoint.problems() });
    logger.info({ metrics: endpoint.http.url() }, 'metrics endpoint (sum over workers)');
  }
  // the web administration runs here, beside the workers (see cluster-admin-host.ts)
  if (admin) {
    adminHost = new ClusterAdminHost(configPath, endpoint.source, () => supervisor.reload('admin'), supervisor.authAddresses);
    const server = await AdminServer.start(admin, adminHost, logger);
    logger.info({ admin: server.url() }, 'admin endpoint');
  }
  return true;
}

/** What the primary's other services (the admin, /healthz) may ask of the supervisor. */
interface Supervisor {
  /** A rolling reload; resolves when every worker has reloaded (or joins the one running). */
  reload(why: string): Promise<void>;
  /** The auth sockets the workers listen on (real ports). */
  authAddresses(): { address: string; port: number }[];
  /** What is wrong while the workers serve (refused reload, workers missing, their own problems). */
  problems(): string[];
}

/** The primary's /metrics + /healthz endpoint (replaced by a reload that changes `metrics.listen`). */
interface PrimaryEndpoint {
  http: MetricsHttpServer | undefined;
  source: ClusterMetricsSource;
  problems: () => string[];
}

/** Applies `metrics` of a validated configuration to the primary's endpoint; throws when a new address cannot be bound. */
async function applyMetricsConfig(endpoint: PrimaryEndpoint, config: ServerConfig): Promise<void> {
  const want = config.metrics;
  if (!want) {
    await endpoint.http?.close();
    endpoint.http = undefined;
    return;
  }
  if (endpoint.http?.serves(want.listen)) {
    endpoint.http.setAllow(want.allow);
    return;
  }
  let next: MetricsHttpServer;
  try {
    next = await MetricsHttpServer.start(want, endpoint.source, { configGeneration: () => endpoint.source.configGeneration, problems: () => endpoint.problems() });
  } catch (err) {
    throw new ConfigError([{ file: config.file, line: config.lines.metricsListen, message: `cannot start the metrics endpoint on ${want.listen}: ${(err as Error).message}` }]);
  }
  const old = endpoint.http;
  endpoint.http = next;
  await old?.close();
}

async function superviseWorkers(
  count: number, logger: pino.Logger, files: readonly string[], configPath: string, firstServing: ServingFilesMessage, endpoint: PrimaryEndpoint,
  firstSizes: UsersFileSize[], learnt: { file: LearntStateFile; clients: Set<string> },
  afterReload: () => void = () => undefined,
): Promise<Supervisor> {
  let serving = firstServing;
  let servingSizes = firstSizes;
  let refused: string | undefined;
  const workerProblems = new Map<Worker, string[]>();
  let consecutiveEarlyExits = 0;
  const decisions = learnt.clients;
  const ready = new Set<Worker>();
  let stopping = false;
  let started = false;
  // Rolling reload state: the worker being reloaded, and whether another round was asked for.
  let reloading = false;
  let reloadAgain = false;
  const reloadWaiters = new Map<Worker, (ok: boolean) => void>();

  const reloadOne = (w: Worker): Promise<boolean> => new Promise((resolve) => {
    if (w.isDead()) { resolve(false); return; }
    reloadWaiters.set(w, resolve);
    w.send({ type: 'vutlan:reload', files: serving } satisfies WorkerMessage);
  });

  /** Loads and checks the configuration on disk here; the copy that workers will load, or the errors. */
  const validate = async (explicit: boolean): Promise<{ files: ServingFilesMessage; watched: readonly string[] } | { errors: string[] }> => {
    const capture = new FileCapture();
    try {
      const snapshot = await loadSnapshotSliced(configPath, { files: capture.serving });
      closeSnapshot(snapshot);
      const sizes = snapshot.usersFiles.map((u) => ({ file: u.source.name, entries: u.source.entries.length }));
      // a watcher event that finds a users file emptied or cut short waits for an explicit SIGHUP
      const held = explicit ? [] : heldBackUsersFiles(servingSizes, sizes);
      if (held.length > 0) return { errors: held };
      await closeUnusedLogFiles(await openLogFiles(snapshot.config), undefined);
      await applyMetricsConfig(endpoint, snapshot.config);
      servingSizes = sizes;
      return { files: capture.toMessage(), watched: snapshot.files };
    } catch (err) {
      return { errors: err instanceof ConfigError ? err.problems.map(formatProblem) : [String((err as Error).message ?? err)] };
    }
  };

  let explicitPending = false;
  let listening: string[] = [];
  let round: Promise<void> = Promise.resolve();
  const rollingReload = (why: string, explicit: boolean): Promise<void> => {
    explicitPending ||= explicit;
    if (reloading) { reloadAgain = true; return round; }
    round = rollingRound(why);
    return round;
  };
  const rollingRound = async (why: string): Promise<void> => {
    reloading = true;
    try {
      do {
        reloadAgain = false;
        const asked = explicitPending;
        explicitPending = false;
        logger.info(`${why}: reloading the configuration, one worker at a time`);
        const checked = await validate(asked);
        if ('errors' in checked) {
          logger.error({ errors: checked.errors }, `reload failed, still serving the previous configuration:\n${checked.errors.join('\n')}`);
          const first = checked.errors[0] ?? 'error';
          refused = `reload refused, still serving the previous configuration: ${first}${checked.errors.length > 1 ? ` (+${checked.errors.length - 1} more)` : ''}`;
          // counted here, once: the endpoint adds it to the sum of the workers' radius_reloads_total
          endpoint.source.primaryReloadErrors++;
          endpoint.source.primaryReloadRefused = true;
          continue;
        }
        serving = checked.files;
        refused = undefined;
        endpoint.source.primaryReloadRefused = false;
        watcher.setFiles(checked.watched);
        for (const w of [...ready]) {
          if (stopping) return;
          await reloadOne(w);
        }
      } while (reloadAgain && !stopping);
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'reload failed');
    } finally {
      reloading = false;
      afterReload();
    }
  };
  const watcher = new ConfigWatcher(files, () => { void rollingReload('a loaded file changed', false); });

  const stopAll = (exitCode: number): void => {
    if (stopping) return;
    stopping = true;
    watcher.close();
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    if (alive.length === 0) process.exit(exitCode);
    let left = alive.length;
    const timer = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    for (const w of alive) {
      w.once('exit', () => {
        if (--left === 0) {
          clearTimeout(timer);
          process.exit(exitCode);
        }
      });
      w.process.kill('SIGTERM');
    }
  };

  let resolveStarted!: () => void;
  let rejectStarted!: (err: Error) => void;
  const allReady = new Promise<void>((res, rej) => { resolveStarted = res; rejectStarted = rej; });

  // One worker prints what all would print alike (reload warnings); its replacement takes over.
  let reporter: Worker | undefined;
  const fork = (): void => {
    const reports = reporter === undefined || reporter.isDead();
    const w = cluster.fork({ [REPORTER_ENV]: reports ? '1' : '0' });
    if (reports) reporter = w;
    const forkedAt = Date.now();
    w.on('message', (m: unknown) => {
      if (!isWorkerMessage(m)) return;
      if (m.type === 'vutlan:config-request') {
        w.send({ type: 'vutlan:config', files: serving } satisfies WorkerMessage);
      } else if (m.type === 'vutlan:problems') {
        workerProblems.set(w, m.problems);
      } else if (m.type === 'vutlan:reloaded') {
        watcher.setFiles(m.files);
        const done = reloadWaiters.get(w);
        reloadWaiters.delete(w);
        done?.(m.ok);
      } else if (m.type === 'vutlan:ready') {
        ready.add(w);
        listening = m.addresses;
        watcher.setFiles(m.files);
        for (const client of decisions) w.send({ type: 'vutlan:ma', client } satisfies WorkerMessage);
        if (started) logger.info({ pid: w.process.pid, workers_running: ready.size }, 'restarted worker ready');
        if (!started && ready.size === count) {
          started = true;
          logger.info({ workers: count, listen: m.addresses }, `vutlan-radius ready with ${count} worker processes`);
          resolveStarted();
        }
      } else if (m.type === 'vutlan:ma' && typeof m.client === 'string' && !decisions.has(m.client)) {
        decisions.add(m.client);
        saveLearnt(learnt.file, [...decisions], logger);
        for (const other of Object.values(cluster.workers ?? {})) {
          if (other && other !== w && ready.has(other)) other.send({ type: 'vutlan:ma', client: m.client } satisfies WorkerMessage);
        }
      }
    });
    w.on('exit', (code, signal) => {
      ready.delete(w);
      workerProblems.delete(w);
      reloadWaiters.get(w)?.(false);
      reloadWaiters.delete(w);
      if (stopping) return;
      if (!started) {
        // The worker printed why (bind error, ...); the configuration itself was valid.
        rejectStarted(new Error(`a worker process could not start (${signal ? `signal ${signal}` : `exit code ${code}`}); its error is printed above`));
        return;
      }
      consecutiveEarlyExits = Date.now() - forkedAt < EARLY_EXIT_MS ? consecutiveEarlyExits + 1 : 0;
      const delay = consecutiveEarlyExits === 0 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (consecutiveEarlyExits - 1));
      logger.error({ pid: w.process.pid, code, signal, restart_in_ms: delay, workers_running: ready.size },
        `worker exited; starting a new one${delay > 0 ? ` in ${delay} ms` : ''} with the configuration in service`);
      restartsPending++;
      const timer = setTimeout(() => {
        restartsPending--;
        if (!stopping) fork();
      }, delay);
      timer.unref();
    });
  };
  let restartsPending = 0;

  process.on('SIGTERM', () => { logger.info({ signal: 'SIGTERM' }, 'shutting down workers'); stopAll(0); });
  process.on('SIGINT', () => { logger.info({ signal: 'SIGINT' }, 'shutting down workers'); stopAll(0); });
  process.on('SIGHUP', () => { void rollingReload('SIGHUP', true); });

  for (let i = 0; i < count; i++) fork();
  try {
    await allReady;
  } catch (err) {
    // the CLI prints the error once, then stopAll exits when the other workers are gone
    setImmediate(() => stopAll(1));
    throw err;
  }
  return {
    reload: (why) => rollingReload(why, true),
    authAddresses: () => listening.filter((a) => a.startsWith('auth ')).map((a) => {
      const text = a.slice(5);
      const i = text.lastIndexOf(':');
      return { address: text.slice(0, i), port: Number(text.slice(i + 1)) };
    }),
    problems: () => {
      const out: string[] = [];
      if (refused) out.push(refused);
      if (ready.size < count) out.push(`${ready.size} of ${count} worker processes running${restartsPending > 0 ? ' (restarting)' : ''}`);
      for (const p of new Set([...workerProblems.values()].flat())) out.push(p);
      return out;
    },
  };
}

/**
 * In a worker: the Message-Authenticator memory to give `startServer`, wired to share `auto`
 * decisions through the primary. Outside a worker: a plain one.
 */
export function workerMessageAuthenticatorPolicy(): MessageAuthenticatorPolicy {
  const policy = new MessageAuthenticatorPolicy();
  if (!cluster.isWorker) return policy;
  policy.onLearnt = (client) => process.send?.({ type: 'vutlan:ma', client } satisfies WorkerMessage);
  process.on('message', (m: unknown) => {
    if (isWorkerMessage(m) && m.type === 'vutlan:ma') policy.adopt(m.client);
  });
  return policy;
}

/**
 * In a worker, after startServer: tells the primary it is ready, reloads when the primary says so
 * (rolling reload), and shuts the server down if the primary goes away. `stop` is the caller's
 * graceful shutdown. Start workers with `watch: false` ({@link workerWatchesFiles}): the primary
 * watches the files and reloads the workers in turn.
 */
export function reportWorkerReady(server: RunningServer, stop: () => void): void {
  if (!cluster.isWorker) return;
  process.once('disconnect', stop);
  process.on('message', (m: unknown) => {
    if (!isWorkerMessage(m)) return;
    if (m.type !== 'vutlan:reload') return;
    void server.reload(servingFilesOf(m.files)).then(
      (r) => process.send?.({ type: 'vutlan:reloaded', ok: r.ok, files: [...server.snapshot().files] } satisfies WorkerMessage),
      () => process.send?.({ type: 'vutlan:reloaded', ok: false, files: [...server.snapshot().files] } satisfies WorkerMessage),
    );
  });
  const addresses = server.addresses().map((a) => `${a.type} ${a.address}:${a.port}`);
  process.send?.({ type: 'vutlan:ready', addresses, files: [...server.snapshot().files] } satisfies WorkerMessage);
}

/**
 * In a worker: the copy of the configuration in service, from the primary (load it instead of
 * the disk). Outside a worker: undefined.
 */
export function workerServingFiles(): Promise<ServingFiles | undefined> {
  if (!cluster.isWorker) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onMessage = (m: unknown): void => {
      if (!isWorkerMessage(m) || m.type !== 'vutlan:config') return;
      process.off('message', onMessage);
      resolve(servingFilesOf(m.files));
    };
    process.on('message', onMessage);
    process.send?.({ type: 'vutlan:config-request' } satisfies WorkerMessage);
  });
}

/** In a worker: tells the primary what is wrong here (for its /healthz). Outside a worker: undefined. */
export function workerProblemsReporter(): ((problems: string[]) => void) | undefined {
  if (!cluster.isWorker) return undefined;
  return (problems) => process.send?.({ type: 'vutlan:problems', problems } satisfies WorkerMessage);
}

/** Whether startServer should watch the loaded files itself (not in a worker: the primary does). */
export function workerWatchesFiles(): boolean {
  return !cluster.isWorker;
}

/** In a worker whose server could not start: leave the primary so this process can exit. */
export function workerStartFailed(): void {
  if (cluster.isWorker) process.disconnect?.();
}
