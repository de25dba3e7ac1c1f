/**
 * Server metrics: plain-number counters on the request path (per client: client-metrics.ts;
 * per user source: store-metrics.ts), exported in the Prometheus
 * text format through a prom-client `Registry` of our own (never the global one, so several
 * servers in one process, as in tests, do not mix their numbers).
 *
 * Why not prom-client's counters on the request path: `counter.labels(..).inc()` builds a
 * label-hash string and validates the labels on every call. Here the server binds a
 * {@link ClientMetrics} per configured client once, at config load, and the request path only
 * does `n++`; each exported Counter or Gauge copies those numbers in its `collect()` hook, which
 * prom-client calls at scrape time (a few times a minute).
 */
import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Aggregator } from 'prom-client';
import { Code, codeName } from '../protocol/codes.js';
import { ClientMetrics } from './client-metrics.js';
import { parsePrefix, prefixContains, type IpPrefix } from './ip-prefix.js';
import type { MetricsSource } from './metrics-http.js';
import { DROPS, DROP_REASONS, type DropReason } from './reasons.js';
import { RadiusCounters, type ClientStatsView, type StatsSource } from './status-counters.js';
import { StoreLookupMetrics } from './store-metrics.js';

/** Latency histogram bounds in seconds (prometheus `le`), 50 us to 2.5 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** Options of {@link ServerMetrics}. */
export interface ServerMetricsOptions {
  /** Also export Node's process metrics (memory, CPU, event loop lag, GC). Default true. */
  processMetrics?: boolean;
  /** Clock in ms (tests). */
  now?: () => number;
}

/**
 * All metrics of one server instance and its Prometheus registry. Also the source of the
 * FreeRADIUS statistics that Status-Server replies carry.
 */
export class ServerMetrics implements StatsSource, MetricsSource {
  readonly registry = new Registry();
  readonly auth = new RadiusCounters();
  readonly acct = new RadiusCounters();
  /**
   * Time from receipt to reply. prom-client's own Histogram: its observe() costs about 0.1 us
   * more than counting into a plain array (Node 20), nothing beside a request's 30 us or more.
   */
  readonly latency: Histogram;
  readonly startTime: number;
  hupTime: number;
  configGeneration = 0;
  reloadsOk = 0;
  reloadsFailed = 0;

  private readonly clients = new Map<string, ClientMetrics>();
  private readonly stores = new Map<string, StoreLookupMetrics>();
  private readonly drops = new Map<DropReason, { n: number }>();
  private readonly now: () => number;

  constructor(opts: ServerMetricsOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.startTime = Math.floor(this.now() / 1000);
    this.hupTime = this.startTime;
    for (const r of DROP_REASONS) this.drops.set(r, { n: 0 });
    this.latency = this.registerCollectors();
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The counters of the client named `name` (created on first use and kept across reloads, so
   * counters do not reset when the configuration is reloaded). `address`/`prefix` are the
   * client's configured network, used by Status-Server's per-client statistics.
   */
  client(name: string, address?: string, prefix?: number): ClientMetrics {
    let c = this.clients.get(name);
    if (c === undefined) {
      c = new ClientMetrics(name, this, address, prefix);
      this.clients.set(name, c);
    } else {
      if (address !== undefined) c.address = address;
      if (prefix !== undefined) c.prefix = prefix;
    }
    return c;
  }

  /**
   * A datagram was dropped. Use for drops before a client is known (unknown_client, rate
   * limits applied globally); known clients' drops go through {@link ClientMetrics.drop}, which
   * calls this.
   */
  drop(reason: DropReason, requestCode?: number): void {
    let d = this.drops.get(reason);
    if (d === undefined) {
      d = { n: 0 };
      this.drops.set(reason, d);
    }
    d.n++;
    this.countersFor(requestCode)[DROPS[reason].stats]++;
  }

  /** Number of drops counted under `reason` so far. */
  dropped(reason: DropReason): number {
    return this.drops.get(reason)?.n ?? 0;
  }

  /** The lookup counters of a user source; bind once per source. */
  store(source: string): StoreLookupMetrics {
    let s = this.stores.get(source);
    if (s === undefined) {
      s = new StoreLookupMetrics(source);
      this.stores.set(source, s);
    }
    return s;
  }

  /** A configuration reload finished; on success `generation` is the new config generation. */
  reload(ok: boolean, generation?: number): void {
    if (ok) {
      this.reloadsOk++;
      this.hupTime = Math.floor(this.now() / 1000);
      if (generation !== undefined) this.configGeneration = generation;
    } else {
      this.reloadsFailed++;
    }
  }

  /** Exports a gauge read at scrape time (table sizes, queue lengths). Names must be unique. */
  gauge(name: string, help: string, read: () => number, aggregator: 'sum' | 'min' | 'max' = 'sum'): void {
    this.addCollector(name, help, 'gauge', [], () => [v({}, read())], aggregator);
  }

  /**
   * Exports a metric with labels read at scrape time (health states, loss counters). Names must
   * be unique; `labelNames` lists every label `read` may return (prom-client checks them).
   */
  labelled(name: string, help: string, type: 'counter' | 'gauge', labelNames: readonly string[], read: () => MetricValue[]): void {
    this.addCollector(name, help, type, labelNames, read);
  }

  /** Seconds since the server started. */
  uptimeSeconds(): number {
    return this.now() / 1000 - this.startTime;
  }

  /** Client counters by configured address (Status-Server Stats-Client-IP-Address). */
  clientByAddress(address: string): ClientStatsView | undefined {
    let best: ClientMetrics | undefined;
    for (const c of this.clients.values()) {
      if (c.address === '' || (best && best.prefix >= c.prefix)) continue;
      let prefix: IpPrefix;
      try {
        prefix = parsePrefix(`${c.address}/${c.prefix}`);
      } catch {
        continue;
      }
      if (prefixContains(prefix, address)) best = c;
    }
    return best;
  }

  /** Client counters by position in creation order (Status-Server Stats-Client-Number). */
  clientByNumber(n: number): ClientStatsView | undefined {
    let i = 0;
    for (const c of this.clients.values()) if (i++ === n) return c;
    return undefined;
  }

  /**
   * In a cluster worker: answers the primary's metric requests with this registry, so the
   * primary's endpoint ({@link ClusterMetricsSource}) serves the sum over all workers. No-op
   * outside a worker. One registry per process (prom-client keeps the list module-wide).
   */
  shareWithClusterPrimary(): void {
    if (!cluster.isWorker) return;
    new AggregatorRegistry(); // installs prom-client's worker-side message listener
    AggregatorRegistry.setRegistries([this.registry]);
  }

  /** The Prometheus text exposition of every metric. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of {@link text}. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** @internal FreeRADIUS counters a request code belongs to (auth unless Accounting-Request). */
  countersFor(code: number | undefined): RadiusCounters {
    return code === Code.AccountingRequest ? this.acct : this.auth;
  }

  /**
   * Registers a Counter or Gauge whose values are copied from `values()` at scrape time, in
   * prom-client's `collect()` hook, so the request path never touches prom-client. `aggregator`
   * tells a cluster primary how to combine workers' values (see shareWithClusterPrimary).
   */
  private addCollector(
    name: string,
    help: string,
    type: 'counter' | 'gauge',
    labelNames: readonly string[],
    values: () => MetricValue[],
    aggregator: Aggregator = 'sum',
  ): void {
    const config = { name, help, labelNames, aggregator, registers: [this.registry] };
    if (type === 'gauge') {
      new Gauge({ ...config, collect() {
        this.reset();
        for (const x of values()) this.set(x.labels, x.value);
      } });
    } else {
      new Counter({ ...config, collect() {
        this.reset();
        for (const x of values()) this.inc(x.labels, x.value);
      } });
    }
  }

  /** Registers the server's own metrics, in exposition order; returns the latency histogram. */
  private registerCollectors(): Histogram {
    const add = this.addCollector.bind(this);
    const perClient = (fn: (c: ClientMetrics) => MetricValue[]) => () => [...this.clients.values()].flatMap(fn);

    add('radius_requests_total', 'Requests accepted for processing, by client and packet type.', 'counter', ['client', 'type'],
      perClient((c) => [
        v({ client: c.name, type: 'Access-Request' }, c.requests.access),
        v({ client: c.name, type: 'Accounting-Request' }, c.requests.accounting),
        v({ client: c.name, type: 'Status-Server' }, c.requests.status),
        ...(c.requests.other > 0 ? [v({ client: c.name, type: 'other' }, c.requests.other)] : []),
      ]));
    add('radius_responses_total', 'Replies sent, by client and reply code (re-sent duplicates included).', 'counter', ['client', 'code'],
      perClient((c) => [
        v({ client: c.name, code: codeName(Code.AccessAccept) }, c.responses.accept),
        v({ client: c.name, code: codeName(Code.AccessReject) }, c.responses.reject),
        v({ client: c.name, code: codeName(Code.AccessChallenge) }, c.responses.challenge),
        v({ client: c.name, code: codeName(Code.AccountingResponse) }, c.responses.accountingResponse),
        ...(c.responses.other > 0 ? [v({ client: c.name, code: 'other' }, c.responses.other)] : []),
      ]));
    add('radius_duplicate_requests_total', 'Retransmissions answered from the duplicate cache, by client.', 'counter', ['client'],
      perClient((c) => [v({ client: c.name }, c.duplicateReplays)]));
    add('radius_client_dropped_packets_total', 'Datagrams of a known client dropped without a reply, by client.', 'counter', ['client'],
      perClient((c) => [v({ client: c.name }, c.dropped)]));
    add('radius_client_last_seen_time_seconds', 'Unix time of the last datagram from a client (0: never), by client.', 'gauge', ['client'],
      perClient((c) => [v({ client: c.name }, Math.floor(c.lastSeenMs / 1000))]), 'max');
    add('radius_dropped_packets_total', 'Datagrams dropped without a reply, by reason code.', 'counter', ['reason'],
      () => [...this.drops].map(([reason, d]) => v({ reason }, d.n)));
    const latency = new Histogram({
      name: 'radius_request_duration_seconds', help: 'Time from receipt to reply, excluding reject_delay.',
      buckets: [...LATENCY_BUCKETS], registers: [this.registry],
    });
    add('radius_reloads_total', 'Configuration reloads, by result.', 'counter', ['result'],
      () => [v({ result: 'ok' }, this.reloadsOk), v({ result: 'error' }, this.reloadsFailed)]);
    add('radius_store_lookups_total', 'User lookups, by source and result.', 'counter', ['source', 'result'],
      () => [...this.stores.values()].flatMap((s) => [
        v({ source: s.source, result: 'found' }, s.found),
        v({ source: s.source, result: 'not_found' }, s.notFound),
        v({ source: s.source, result: 'error' }, s.errors),
      ]));
    add('radius_config_generation', 'Generation of the configuration in service (1 at start, +1 per successful reload).', 'gauge', [],
      () => [v({}, this.configGeneration)], 'max');
    add('radius_start_time_seconds', 'Unix time the server started.', 'gauge', [], () => [v({}, this.startTime)], 'min');
    add('radius_last_reload_time_seconds', 'Unix time of the last successful reload (start time before any).', 'gauge', [],
      () => [v({}, this.hupTime)], 'max');
    return latency;
  }
}

/** One value of a metric with its labels. */
export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
}

function v(labels: Record<string, string | number>, value: number): MetricValue {
  return { labels, value };
}
