import type { ServerMetrics } from '../server/metrics.js';

/**
 * Counters of stream (RADIUS/TLS, RADIUS/TCP) connections, shared by all stream listeners of a
 * server: accepted and refused connections by reason, closes by reason, and how many are open.
 * Plain numbers on the connection path; exported at scrape time.
 */
export class StreamStats {
  private readonly accepted = new Map<string, number>();
  private readonly refused = new Map<string, number>();
  private readonly closed = new Map<string, number>();
  open = 0;

  accept(type: string): void {
    bump(this.accepted, type);
    this.open++;
  }

  refuse(type: string, reason: string): void {
    bump(this.refused, `${type}|${reason}`);
  }

  close(type: string, reason: string): void {
    bump(this.closed, `${type}|${reason}`);
    this.open--;
  }

  /** Connections refused under `reason` so far (all listener types). */
  refusedCount(reason: string): number {
    let n = 0;
    for (const [k, v] of this.refused) if (k.endsWith(`|${reason}`)) n += v;
    return n;
  }

  /** Registers the metrics with a server's registry (once per server). */
  register(metrics: ServerMetrics): void {
    metrics.gauge('radius_stream_connections_open', 'Open RADIUS/TLS and RADIUS/TCP connections.', () => this.open);
    metrics.labelled('radius_stream_connections_total', 'Stream connections accepted (result "accepted") or refused (result = reason), by listener type.', 'counter', ['type', 'result'], () => [
      ...[...this.accepted].map(([type, value]) => ({ labels: { type, result: 'accepted' }, value })),
      ...[...this.refused].map(([k, value]) => {
        const [type, result] = k.split('|') as [string, string];
        return { labels: { type, result }, value };
      }),
    ]);
    metrics.labelled('radius_stream_closes_total', 'Stream connections closed, by listener type and reason.', 'counter', ['type', 'reason'], () => [...this.closed].map(([k, value]) => {
      const [type, reason] = k.split('|') as [string, string];
      return { labels: { type, reason }, value };
    }));
  }
}

function bump(m: Map<string, number>, key: string): void {
  m.set(key, (m.get(key) ?? 0) + 1);
}
