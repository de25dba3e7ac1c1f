import type { MetricsSource } from '../server/metrics-http.js';
import { ConfigError, formatProblem } from '../server/config-error.js';
import { closeSnapshot, loadSnapshot, loadSnapshotSliced, type Snapshot } from '../server/snapshot.js';
import type { AdminHost, ReloadStatus } from './admin-host.js';

/**
 * The admin's view of a server running `workers: N`: the primary process, which answers no RADIUS
 * itself, loads the configuration too (to show clients and compute effective rights with the
 * same evaluator), reads the workers' summed metrics, and reloads the workers one at a time.
 * Its own copy follows every rolling reload (SIGHUP, a changed file, the admin's button).
 */
export class ClusterAdminHost implements AdminHost {
  private current: Snapshot;
  private generation = 1;
  private readonly status: Omit<ReloadStatus, 'generation'> = { lastAttempt: null, lastOk: null, lastErrors: [], lastSuccess: new Date().toISOString() };
  private refreshing: Promise<{ ok: boolean; errors?: string[] }> | undefined;

  constructor(
    private readonly configPath: string,
    private readonly metrics: MetricsSource,
    private readonly reloadWorkers: () => Promise<void>,
    private readonly listening: () => { address: string; port: number }[],
  ) {
    this.current = loadSnapshot(configPath);
  }

  snapshot(): Snapshot {
    return this.current;
  }

  metricsText(): Promise<string> {
    return this.metrics.text();
  }

  /** Loads the configuration again for the admin's own copy (after the workers reloaded). */
  refresh(): Promise<{ ok: boolean; errors?: string[] }> {
    this.refreshing ??= this.load().finally(() => { this.refreshing = undefined; });
    return this.refreshing;
  }

  /** Validates the configuration here first: a broken one is reported and the workers are left alone. */
  async reload(): Promise<{ ok: boolean; errors?: string[] }> {
    const r = await this.refresh();
    if (r.ok) await this.reloadWorkers();
    return r;
  }

  reloadStatus(): ReloadStatus {
    return { ...this.status, generation: this.generation };
  }

  problems(): string[] {
    return this.status.lastOk === false ? [`reload refused, still serving generation ${this.generation}: ${this.status.lastErrors[0] ?? 'error'}`] : [];
  }

  authAddresses(): { address: string; port: number }[] {
    return this.listening();
  }

  close(): void {
    closeSnapshot(this.current);
  }

  private async load(): Promise<{ ok: boolean; errors?: string[] }> {
    this.status.lastAttempt = new Date().toISOString();
    try {
      const next = await loadSnapshotSliced(this.configPath, { previous: this.current });
      const old = this.current;
      this.current = next;
      closeSnapshot(old);
      this.generation++;
      this.status.lastOk = true;
      this.status.lastErrors = [];
      this.status.lastSuccess = this.status.lastAttempt;
      return { ok: true };
    } catch (err) {
      const errors = err instanceof ConfigError ? err.problems.map(formatProblem) : [(err as Error).message];
      this.status.lastOk = false;
      this.status.lastErrors = errors;
      return { ok: false, errors };
    }
  }
}
