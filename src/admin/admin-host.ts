import type { Snapshot } from '../server/snapshot.js';

/**
 * What the web administration needs from the running RADIUS server. The single-process server
 * (server.ts) provides it directly; nothing here reaches into the request path.
 */

export interface ReloadStatus {
  /** Generation of the configuration in service (1 at start). */
  generation: number;
  /** ISO time of the last reload attempt, or null when none was made since start. */
  lastAttempt: string | null;
  lastOk: boolean | null;
  /** `file:line: message` lines of the last failed reload (empty after a good one). */
  lastErrors: string[];
  /** ISO time of the last successful load (start or reload). */
  lastSuccess: string;
}

export interface AdminHost {
  /** The configuration in service. */
  snapshot(): Snapshot;
  /** The Prometheus text behind /metrics. */
  metricsText(): Promise<string>;
  /** Reload now (as SIGHUP does). */
  reload(): Promise<{ ok: boolean; errors?: string[] }>;
  reloadStatus(): ReloadStatus;
  /** What is wrong while the server keeps serving (as /healthz says), empty when healthy. */
  problems(): string[];
  /** The bound auth sockets (real ports). */
  authAddresses(): { address: string; port: number }[];
}
