/**
 * The operator's HTTP endpoint: `GET /metrics` (Prometheus text format) and `GET /healthz`
 * (JSON `{status, uptime, config_generation}`), served only to addresses in an allowlist; any
 * other address gets 403 before its request is looked at. Config:
 *
 *   metrics:
 *     listen: 127.0.0.1:9812          # host:port, [v6]:port; port 0 = any free port
 *     allow: [127.0.0.1/32, ::1/128]  # CIDRs or single addresses
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { parsePrefix, prefixContains, type IpPrefix } from './ip-prefix.js';
import { AggregatorRegistry } from 'prom-client';

/** The `metrics` section of the config. */
export interface MetricsHttpConfig {
  /** `host:port` or `[ipv6]:port`. */
  listen: string;
  /** Addresses allowed to read the endpoint; default loopback only. */
  allow?: readonly string[];
}

/** The default allowlist: loopback only. */
export const DEFAULT_METRICS_ALLOW: readonly string[] = ['127.0.0.1/32', '::1/128'];

/** What the endpoint serves: {@link ServerMetrics} in a single process, {@link ClusterMetricsSource} in a cluster primary. */
export interface MetricsSource {
  /** The Prometheus text exposition. */
  text(): Promise<string>;
  /** Content-Type of {@link text}. */
  readonly contentType: string;
  /** Seconds since the server started. */
  uptimeSeconds(): number;
  /** Generation of the configuration in service. */
  readonly configGeneration: number;
}

/** What `/healthz` reports beyond uptime, when the caller knows better than the source. */
export interface HealthSource {
  /** Generation of the configuration in service. */
  configGeneration(): number;
  /**
   * What is wrong while the server keeps answering (a refused reload, an accounting log that
   * cannot be written, ...): `/healthz` then says `"status":"degraded"` with these reasons.
   */
  problems?(): readonly string[];
  /**
   * Dependencies and their state (e.g. `{ sql: { status: 'unreachable', ... } }`). A status other
   * than `up` makes /healthz say `degraded`; `refusing` (requests are being refused) makes it
   * `failing` with HTTP 503, since this server then refuses users a healthy one would accept.
   */
  components?(): Record<string, { status: string } & Record<string, unknown>>;
}

/**
 * The metrics of every cluster worker, summed (counters, histograms) or min/max-ed (start and
 * reload times, config generation), for the endpoint in the primary process. Workers call
 * `ServerMetrics.shareWithClusterPrimary()`. The config generation is counted by the primary (1 at
 * start, one more per rolling reload), or the highest any worker reported, if higher.
 */
export class ClusterMetricsSource implements MetricsSource {
  private readonly registry = new AggregatorRegistry();
  private readonly started = Date.now();
  /** Configurations served: 1 at start, counted up by the primary at each reload, raised by a scrape. */
  configGeneration = 1;

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Reloads the primary refused itself (it validates before any worker reloads): added to the workers' count. */
  primaryReloadErrors = 0;
  /** Whether the last reload was refused by the primary. */
  primaryReloadRefused = false;

  async text(): Promise<string> {
    let text = await this.registry.clusterMetrics();
    const m = /^radius_config_generation (\d+)$/m.exec(text);
    if (m) this.configGeneration = Math.max(this.configGeneration, Number(m[1]));
    text = text.replace(/^(radius_reloads_total\{result="error"\}) (\d+)$/m, (_, name: string, n: string) => `${name} ${Number(n) + this.primaryReloadErrors}`);
    if (this.primaryReloadRefused) text = text.replace(/^radius_config_reload_refused \d+$/m, 'radius_config_reload_refused 1');
    return text;
  }

  uptimeSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}

/** Parses `host:port` / `[v6]:port`. Throws Error naming the value when it is not one. */
export function parseListen(text: string, key = 'metrics.listen'): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || isIP(m[1]!) === 0 || !Number.isInteger(port) || port > 65535) {
    throw new Error(`${key}: expected IP:PORT or [IPv6]:PORT, got ${JSON.stringify(text)}`);
  }
  return { host: m[1]!, port };
}

/**
 * Builds an address matcher from CIDRs or single addresses (IPv4 and IPv6). Throws Error naming
 * the first invalid entry.
 */
export function parseAllowList(entries: readonly string[], key = 'metrics.allow'): (address: string) => boolean {
  const prefixes: IpPrefix[] = entries.map((entry) => {
    try {
      return parsePrefix(entry);
    } catch {
      throw new Error(`${key}: ${JSON.stringify(entry)} is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1/128)`);
    }
  });
  // parseIp treats a dual-stack socket's ::ffff:a.b.c.d peers as IPv4, so IPv4 entries match them
  return (address: string) => prefixes.some((p) => prefixContains(p, address));
}

/** A running metrics endpoint. */
export class MetricsHttpServer {
  private constructor(
    private readonly server: Server,
    private readonly metrics: MetricsSource,
    private readonly access: { allowed: (address: string) => boolean },
    private settings: MetricsHttpConfig,
  ) {}

  /** The `metrics` settings in use (a reload compares them). */
  get config(): MetricsHttpConfig {
    return this.settings;
  }

  /** Whether `listen` names the address this endpoint is bound to (a reload then keeps it). */
  serves(listen: string): boolean {
    if (listen === this.settings.listen) return true;
    const { host, port } = parseListen(listen);
    const bound = this.address();
    return host === parseListen(this.settings.listen).host && port === bound.port;
  }

  /** Applies another allowlist from now on (reload; `allow` already validated by the config). */
  setAllow(allow: readonly string[] | undefined): void {
    this.access.allowed = parseAllowList(allow ?? DEFAULT_METRICS_ALLOW);
    this.settings = { listen: this.settings.listen, ...(allow ? { allow } : {}) };
  }

  /**
   * Starts listening. Resolves once bound; rejects with the listen error (address in use,
   * permission) or with a config error for a bad `listen` / `allow`.
   */
  static async start(config: MetricsHttpConfig, metrics: MetricsSource, health?: HealthSource): Promise<MetricsHttpServer> {
    const { host, port } = parseListen(config.listen);
    const access = { allowed: parseAllowList(config.allow ?? DEFAULT_METRICS_ALLOW) };
    const server = createServer((req, res) => {
      handle(req, res, access.allowed, metrics, health).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    // Scrapers keep connections open; do not let idle ones hold the process at shutdown.
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 10_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new MetricsHttpServer(server, metrics, access, { listen: config.listen, ...(config.allow ? { allow: config.allow } : {}) });
  }

  /** The bound address (port resolved when 0 was asked for). */
  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** `http://host:port` of the endpoint. */
  url(): string {
    const a = this.address();
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** The metrics this endpoint serves. */
  get source(): MetricsSource {
    return this.metrics;
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  allowed: (address: string) => boolean,
  metrics: MetricsSource,
  health: HealthSource | undefined,
): Promise<void> {
  if (!allowed(req.socket.remoteAddress ?? '')) {
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('forbidden\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
    res.end('method not allowed\n');
    return;
  }
  if (path === '/metrics') {
    let body: string;
    try {
      body = await metrics.text();
    } catch (err) {
      // A cluster worker that does not answer within prom-client's 5 s: say so, do not hang.
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end(`metrics unavailable: ${(err as Error).message}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': metrics.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  if (path === '/healthz') {
    // 200 while degraded: a degraded server still answers, and a restart would not fix a full disk
    const problems = health?.problems?.() ?? [];
    const components = health?.components?.() ?? {};
    const states = Object.values(components).map((c) => c.status);
    const failing = states.includes('refusing');
    const body = JSON.stringify({
      status: failing ? 'failing' : problems.length > 0 || states.some((s) => s !== 'up') ? 'degraded' : 'ok',
      uptime: Math.round(metrics.uptimeSeconds() * 1000) / 1000,
      config_generation: health?.configGeneration() ?? metrics.configGeneration,
      ...(problems.length > 0 ? { problems } : {}),
      ...(states.length > 0 ? { components } : {}),
    });
    res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found: try /metrics or /healthz\n');
}
