/**
 * The counters of one configured client (NAS): requests by type, replies by code, duplicates and
 * drops, as plain numbers bound once per client so the request path only increments.
 */
import { Code } from '../protocol/codes.js';
import type { ServerMetrics } from './metrics.js';
import { DROPS, type DropReason } from './reasons.js';
import { RadiusCounters, type ClientStatsView } from './status-counters.js';

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
  drop(reason: DropReason, requestCode?: number): void {
    this.dropped++;
    this.lastSeenMs = Date.now();
    this.countersFor(requestCode)[DROPS[reason].stats]++;
    this.server.drop(reason, requestCode);
  }

  private countersFor(code: number | undefined): RadiusCounters {
    return code === Code.AccountingRequest ? this.acct : this.auth;
  }
}
