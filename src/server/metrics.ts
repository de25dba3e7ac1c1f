/**
 * Server metrics: plain-number counters on the request path, exported in the Prometheus text
 * format through a prom-client `Registry` of our own (never the global one, so several servers
 * in one process, as in tests, do not mix their numbers).
 *
 * Why not prom-client's counters directly: `counter.labels(..).inc()` builds a label-hash
 * string and validates the labels on every call. Here the server binds a {@link ClientMetrics}
 * per configured client once, at config load, and the request path only does `n++`; the label
 * strings are built at scrape time, a few times a minute.
 */
import cluster from 'node:cluster';
import { StoreLookupError } from './store-error.js';
import { AggregatorRegistry, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { Code, codeName } from '../protocol/codes.js';
import type { DropReason } from '../protocol/errors.js';
import type { Entry } from '../policy/entry.js';
import type { UserSource } from '../store/source.js';
import { parsePrefix, prefixContains, type IpPrefix } from './ip-prefix.js';
import type { MetricsSource } from './metrics-http.js';
import { RadiusCounters, type ClientStatsView, type StatsSource } from './status-counters.js';

/** Drop codes raised by the protocol layer and the receive path (src/protocol/errors.ts). */
export const PROTOCOL_DROP_REASONS = [
  'too_short',
  'bad_length',
  'bad_code',
  'attribute_too_short',
  'attribute_overflow',
  'attribute_type_zero',
  'too_many_attributes',
  'bad_message_authenticator_length',
  'bad_message_authenticator',
  'missing_message_authenticator',
  'bad_request_authenticator',
  'eap_with_password',
  'bad_user_password',
  'chap_without_challenge',
  'unknown_client',
  'rate_limited',
  'duplicate_in_progress',
] as const satisfies readonly DropReason[];

// Compile-time check that the list above names every DropReason.
type MissingDropReason = Exclude<DropReason, (typeof PROTOCOL_DROP_REASONS)[number]>;
const everyDropReasonListed: [MissingDropReason] extends [never] ? true : never = true;
void everyDropReasonListed;

/**
 * Drop codes only the server raises: `wrong_port` (a packet code the listener does not take,
 * e.g. Accounting-Request on the auth port), `status_server_disabled`, `overloaded` (the
 * reject-delay queue or another bounded table is full), `no_response` (policy decided not to
 * answer), `internal_error` (a bug caught at the top of the request path).
 */
export const SERVER_DROP_REASONS = [
  'wrong_port',
  'status_server_disabled',
  'overloaded',
  'no_response',
  'internal_error',
  'accounting_not_recorded',
  'password_check_busy',
  'store_error',
] as const;

/** Every drop code the server reports; metrics carry exactly these as the `reason` label. */
export type ServerDropReason = DropReason | (typeof SERVER_DROP_REASONS)[number];

/** Which FreeRADIUS statistics counter a drop reason feeds (stats.c semantics). */
function statsField(reason: string): 'malformed' | 'badAuthenticators' | 'unknownTypes' | 'duplicates' | 'dropped' {
  switch (reason) {
    case 'too_short':
    case 'bad_length':
    case 'attribute_too_short':
    case 'attribute_overflow':
    case 'attribute_type_zero':
    case 'too_many_attributes':
    case 'bad_message_authenticator_length':
    case 'missing_message_authenticator':
    case 'eap_with_password':
    case 'bad_user_password':
    case 'chap_without_challenge':
      return 'malformed';
    case 'bad_message_authenticator':
    case 'bad_request_authenticator':
      return 'badAuthenticators';
    case 'bad_code':
    case 'wrong_port':
      return 'unknownTypes';
    case 'duplicate_in_progress':
      return 'duplicates';
    default:
      return 'dropped';
  }
}

/** Latency histogram bounds in seconds (prometheus `le`), 50 us to 2.5 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/** A fixed-bucket histogram whose `observe` is a short loop and three additions. */
export class LatencyHistogram {
  /** counts[i] = observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one duration in seconds. */
  observe(seconds: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    this.counts[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** Request-type counters of one client. */
interface RequestCounts {
  access: number;
  accounting: number;
  status: number;
  other: number;
}

/** Response-code counters of one client. */
interface ResponseCounts {
  accept: number;
  reject: number;
  challenge: number;
  accountingResponse: number;
  other: number;
}

/**
 * The counters of one configured client (NAS). Bind once per client at config load
 * (`metrics.client(name)`) and keep the object with the client; every method is O(1) and
 * allocation-free.
 */
export class ClientMetrics implements ClientStatsView {
  readonly auth = new RadiusCounters();
  readonly acct = new RadiusCounters();
  readonly requests: RequestCounts = { access: 0, accounting: 0, status: 0, other: 0 };
  readonly responses: ResponseCounts = { accept: 0, reject: 0, challenge: 0, accountingResponse: 0, other: 0 };
  duplicateReplays = 0;
  /** Datagrams of this client dropped without a reply. */
  dropped = 0;
  /** Unix time in ms of the last datagram from this client (0: none yet); "last seen" in the admin UI. */
  lastSeenMs = 0;
  address: string;
  prefix: number;

  constructor(
    readonly name: string,
    private readonly server: ServerMetrics,
    address = '',
    prefix = 32,
  ) {
    this.address = address;
    this.prefix = prefix;
  }

  /** A request from this client passed decoding and verification and will be processed. */
  request(code: number): void {
    this.lastSeenMs = Date.now();
    switch (code) {
      case Code.AccessRequest:
        this.requests.access++;
        this.auth.requests++;
        this.server.auth.requests++;
        break;
      case Code.AccountingRequest:
        this.requests.accounting++;
        this.acct.requests++;
        this.server.acct.requests++;
        break;
      case Code.StatusServer:
        this.requests.status++;
        break;
      default:
        this.requests.other++;
    }
  }

  /**
   * A reply with `code` was sent to this client; `seconds` is the processing time from receipt
   * to send (omit it for re-sent duplicates and for deliberately delayed rejects' delay).
   */
  response(code: number, seconds?: number): void {
    const toAcct = code === Code.AccountingResponse;
    const mine = toAcct ? this.acct : this.auth;
    const total = toAcct ? this.server.acct : this.server.auth;
    mine.responses++;
    total.responses++;
    switch (code) {
      case Code.AccessAccept:
        this.responses.accept++;
        mine.accepts++;
        total.accepts++;
        break;
      case Code.AccessReject:
        this.responses.reject++;
        mine.rejects++;
        total.rejects++;
        break;
      case Code.AccessChallenge:
        this.responses.challenge++;
        mine.challenges++;
        total.challenges++;
        break;
      case Code.AccountingResponse:
        this.responses.accountingResponse++;
        break;
      default:
        this.responses.other++;
    }
    if (seconds !== undefined) this.server.latency.observe(seconds);
  }

  /** A retransmission was answered from the duplicate cache (RFC 5080). */
  duplicate(requestCode: number): void {
    this.duplicateReplays++;
    this.countersFor(requestCode).duplicates++;
    this.server.countersFor(requestCode).duplicates++;
  }

  /** Same source, port and identifier but a new authenticator replaced an unfinished request. */
  conflict(requestCode: number): void {
    this.countersFor(requestCode).conflicts++;
    this.server.countersFor(requestCode).conflicts++;
  }

  /** A packet from this (known) client was dropped; counts it globally too. */
  drop(reason: ServerDropReason, requestCode?: number): void {
    this.dropped++;
    this.lastSeenMs = Date.now();
    this.countersFor(requestCode)[statsField(reason)]++;
    this.server.drop(reason, requestCode);
  }

  private countersFor(code: number | undefined): RadiusCounters {
    return code === Code.AccountingRequest ? this.acct : this.auth;
  }
}

/** Lookup counters of one user source (`files`, `sqlite`, ...). */
export class StoreLookupMetrics {
  found = 0;
  notFound = 0;
  errors = 0;
  constructor(readonly source: string) {}
}

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
  readonly latency = new LatencyHistogram();
  readonly startTime: number;
  hupTime: number;
  configGeneration = 0;
  reloadsOk = 0;
  reloadsFailed = 0;

  private readonly clients = new Map<string, ClientMetrics>();
  private readonly stores = new Map<string, StoreLookupMetrics>();
  private readonly drops = new Map<string, { n: number }>();
  private readonly now: () => number;

  constructor(opts: ServerMetricsOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.startTime = Math.floor(this.now() / 1000);
    this.hupTime = this.startTime;
    for (const r of [...PROTOCOL_DROP_REASONS, ...SERVER_DROP_REASONS]) this.drops.set(r, { n: 0 });
    this.registerCollectors();
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
  drop(reason: ServerDropReason, requestCode?: number): void {
    let d = this.drops.get(reason);
    if (d === undefined) {
      d = { n: 0 };
      this.drops.set(reason, d);
    }
    d.n++;
    this.countersFor(requestCode)[statsField(reason)]++;
  }

  /** Number of drops counted under `reason` so far. */
  dropped(reason: ServerDropReason): number {
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
    this.addCollector(name, help, 'gauge', () => [v({}, read())], aggregator);
  }

  /** Exports a metric with labels read at scrape time (health states, loss counters). Names must be unique. */
  labelled(name: string, help: string, type: 'counter' | 'gauge', read: () => { labels: Record<string, string>; value: number }[]): void {
    this.addCollector(name, help, type, read);
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
   * Registers a metric whose values are computed at scrape time: prom-client's custom-collector
   * shape (`name`, `help`, `type`, `get()`), so the request path never touches prom-client.
   */
  private addCollector(
    name: string,
    help: string,
    type: 'counter' | 'gauge' | 'histogram',
    values: () => MetricValue[],
    aggregator: 'sum' | 'min' | 'max' = 'sum',
  ): void {
    // `aggregator` tells a cluster primary how to combine workers' values (see shareWithClusterPrimary).
    const metric = { name, help, type, aggregator, get: async () => ({ name, help, type, aggregator, values: values() }) };
    this.registry.registerMetric(metric as unknown as Metric);
  }

  private registerCollectors(): void {
    const add = this.addCollector.bind(this);
    const perClient = (fn: (c: ClientMetrics) => MetricValue[]) => () => [...this.clients.values()].flatMap(fn);

    add('radius_requests_total', 'Requests accepted for processing, by client and packet type.', 'counter',
      perClient((c) => [
        v({ client: c.name, type: 'Access-Request' }, c.requests.access),
        v({ client: c.name, type: 'Accounting-Request' }, c.requests.accounting),
        v({ client: c.name, type: 'Status-Server' }, c.requests.status),
        ...(c.requests.other > 0 ? [v({ client: c.name, type: 'other' }, c.requests.other)] : []),
      ]));
    add('radius_responses_total', 'Replies sent, by client and reply code (re-sent duplicates included).', 'counter',
      perClient((c) => [
        v({ client: c.name, code: codeName(Code.AccessAccept) }, c.responses.accept),
        v({ client: c.name, code: codeName(Code.AccessReject) }, c.responses.reject),
        v({ client: c.name, code: codeName(Code.AccessChallenge) }, c.responses.challenge),
        v({ client: c.name, code: codeName(Code.AccountingResponse) }, c.responses.accountingResponse),
        ...(c.responses.other > 0 ? [v({ client: c.name, code: 'other' }, c.responses.other)] : []),
      ]));
    add('radius_duplicate_requests_total', 'Retransmissions answered from the duplicate cache, by client.', 'counter',
      perClient((c) => [v({ client: c.name }, c.duplicateReplays)]));
    add('radius_client_dropped_packets_total', 'Datagrams of a known client dropped without a reply, by client.', 'counter',
      perClient((c) => [v({ client: c.name }, c.dropped)]));
    add('radius_client_last_seen_time_seconds', 'Unix time of the last datagram from a client (0: never), by client.', 'gauge',
      perClient((c) => [v({ client: c.name }, Math.floor(c.lastSeenMs / 1000))]), 'max');
    add('radius_dropped_packets_total', 'Datagrams dropped without a reply, by reason code.', 'counter',
      () => [...this.drops].map(([reason, d]) => v({ reason }, d.n)));
    add('radius_request_duration_seconds', 'Time from receipt to reply, excluding reject_delay.', 'histogram', () => {
      const h = this.latency;
      const out: MetricValue[] = [];
      let acc = 0;
      h.bounds.forEach((le, i) => {
        acc += h.counts[i]!;
        out.push({ labels: { le }, value: acc, metricName: 'radius_request_duration_seconds_bucket' });
      });
      out.push({ labels: { le: '+Inf' }, value: h.count, metricName: 'radius_request_duration_seconds_bucket' });
      out.push({ labels: {}, value: h.sum, metricName: 'radius_request_duration_seconds_sum' });
      out.push({ labels: {}, value: h.count, metricName: 'radius_request_duration_seconds_count' });
      return out;
    });
    add('radius_reloads_total', 'Configuration reloads, by result.', 'counter',
      () => [v({ result: 'ok' }, this.reloadsOk), v({ result: 'error' }, this.reloadsFailed)]);
    add('radius_store_lookups_total', 'User lookups, by source and result.', 'counter',
      () => [...this.stores.values()].flatMap((s) => [
        v({ source: s.source, result: 'found' }, s.found),
        v({ source: s.source, result: 'not_found' }, s.notFound),
        v({ source: s.source, result: 'error' }, s.errors),
      ]));
    add('radius_config_generation', 'Generation of the configuration in service (1 at start, +1 per successful reload).', 'gauge',
      () => [v({}, this.configGeneration)], 'max');
    add('radius_start_time_seconds', 'Unix time the server started.', 'gauge', () => [v({}, this.startTime)], 'min');
    add('radius_last_reload_time_seconds', 'Unix time of the last successful reload (start time before any).', 'gauge',
      () => [v({}, this.hupTime)], 'max');
  }
}

/** One value of a metric with its labels. */
export interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

function v(labels: Record<string, string | number>, value: number): MetricValue {
  return { labels, value };
}

/**
 * Wraps user sources so each lookup is counted under `radius_store_lookups_total` by source
 * kind (`files`, `sqlite`) and result: `found` (an entry for that user, not only DEFAULTs),
 * `not_found`, `error` (the lookup threw; rethrown). Two increments and one scan of the
 * returned entries per lookup.
 */
export function countLookups(sources: readonly UserSource[], metrics: ServerMetrics): UserSource[] {
  return sources.map((source) => {
    const counters = metrics.store(source.name.startsWith('sqlite:') ? 'sqlite' : 'files');
    return {
      name: source.name,
      lookup(userName: string): readonly Entry[] {
        let entries: readonly Entry[];
        try {
          entries = source.lookup(userName);
        } catch (err) {
          counters.errors++;
          throw new StoreLookupError(source.name, err);
        }
        if (entries.some((e) => !e.isDefault)) counters.found++;
        else counters.notFound++;
        return entries;
      },
      close: () => source.close(),
    };
  });
}
