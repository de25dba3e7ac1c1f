import type { Avp } from '../protocol/attribute.js';

/**
 * Where Accounting-Requests are recorded, and the contract that makes "nothing acknowledged is
 * lost" hold (RFC 2866 §2: a server that cannot record an Accounting-Request MUST NOT answer it;
 * the NAS retransmits, and that is how nothing is lost):
 *
 * - The pipeline sends an Accounting-Response only after `record()` of EVERY configured sink
 *   resolved. A sink resolves only once the record is as durable as it promises (the file sink:
 *   written to the OS, or fsync'ed with `log.accounting_fsync`; a database sink: committed, or
 *   written to its own durable spool). When it cannot, it rejects, and the request is dropped
 *   unanswered (`radius_dropped_packets_total{reason="accounting_not_recorded"}`).
 * - A sink never blocks the event loop and keeps its memory bounded: when it cannot keep up it
 *   rejects rather than queueing without end.
 * - A sink recovers by itself: after a failure, the next `record()` tries again (a NAS
 *   retransmission is exactly that), with no reload or restart needed.
 * - `health()` says whether the last attempt worked; the server shows an unhealthy sink in its
 *   log (once per change), in `radius_accounting_sink_up{sink}` and in `/healthz` ("degraded").
 * - Retransmissions are not the sink's business: {@link AccountingRecorder} (accounting-recorder.ts)
 *   hands each distinct request (by `record.key`) to the sinks once, and joins retransmissions to
 *   the attempt in flight or to the one that succeeded.
 *
 * Implementations: `FileAccountingSink` (accounting-file-sink.ts, `log.accounting`). A second
 * sink (e.g. PostgreSQL radacct with a disk spool) implements this same interface and is added
 * to the list the server builds in `openAccountingSinks` (server-state.ts).
 */

/** One Accounting-Request, as a sink gets it. */
export interface AccountingRecord {
  /**
   * Identity of the request for duplicate suppression: client, source address and port,
   * Identifier and Request Authenticator. A retransmission has the same key; a new request (or
   * one whose Acct-Delay-Time changed, which RFC 2866 says needs a new Identifier) has another.
   */
  key: string;
  /** When the server received it. */
  time: Date;
  /** Name of the RADIUS client (NAS entry) it came from. */
  client: string;
  src: string;
  srcPort: number;
  identifier: number;
  /** The request's attributes by dictionary name, values as text (`attributesRecord`). */
  attributes: Record<string, string | string[]>;
  /** The same attributes as decoded (wire values, tags, order), for sinks that need them (radacct). */
  avps?: readonly Avp[];
}

/** What a sink says about itself. */
export interface SinkHealth {
  ok: boolean;
  /** Why not, when not ok (e.g. `cannot write /var/log/acct.log: ENOSPC: no space left on the device`). */
  reason?: string;
}

/** A place Accounting-Requests are recorded. See the module comment for the contract. */
export interface AccountingSink {
  /** Short stable name for logs and metrics labels (`file`, `postgresql`). */
  readonly name: string;
  /** Resolves once `record` is durable (see the module comment); rejects when it is not. */
  record(record: AccountingRecord): Promise<void>;
  /** The sink's state as of its last attempt. */
  health(): SinkHealth;
  /** Finishes what is in flight (bounded time) and releases files and connections. */
  close(): Promise<void>;
}
