import type pino from 'pino';
import type { Avp } from '../protocol/attribute.js';
import { Code, codeName } from '../protocol/codes.js';
import { decodePacket, peekHeader, verifyRequest } from '../protocol/decode.js';
import { ReplyTooLargeError, encodeResponse } from '../protocol/encode.js';
import { PacketError } from '../protocol/errors.js';
import { Attr, type Packet } from '../protocol/packet.js';
import { decodePacket11, encodeResponse11, readToken } from '../protocol/radius11.js';
import { SECRET_HINT, decideAccess, decideAccessDeferred, type AccessDecision, type PendingAccess } from './access-decision.js';
import { isSlowHash } from '../policy/passwords/hash-cost.js';
import type { SlowHashPool } from './hash-pool.js';
import { attributesRecord, printAttribute } from './attribute-text.js';
import type { AuthFailLog, AuthFailReason } from './auth-fail-log.js';
import type { Client } from './clients.js';
import { formatIp } from './ip-prefix.js';
import type { ListenerType } from './config.js';
import { type DuplicateCache, DuplicateTicket, IN_PROGRESS } from './duplicate-cache.js';
import type { AccountingRecorder } from './accounting-recorder.js';
import type { AccountingSink } from './accounting-sink.js';
import type { LogFiles } from './log-files.js';
import type { MessageAuthenticatorPolicy } from './message-authenticator-policy.js';
import type { ClientMetrics, ServerDropReason, ServerMetrics } from './metrics.js';
import type { StatusCounterAttributes } from './status-counters.js';
import type { DelayedSender, PacketRateLimiter, RateLimitedLogger } from './rate-limit.js';
import { RequestIds } from './request-id.js';
import { StoreLookupError, type StoreFailures } from './store-error.js';
import type { Snapshot } from './snapshot.js';

/**
 * The request lifecycle. One datagram goes through fixed stages, in this order, called from one
 * place (`handle`):
 *
 *   1. lookupClient     source IP -> client (unknown: drop)          + packets-per-second limit
 *   2. checkHeader      length and code allowed on this listener
 *   3. decodeAndVerify  structure, Message-Authenticator policy, accounting authenticator
 *   4. checkDuplicate   RFC 5080: cached reply resent, in-progress dropped
 *   5. process          Access-Request: authorize + authenticate; Accounting: log; Status-Server
 *   6. encodeReply      Message-Authenticator first, Response Authenticator, Proxy-State
 *   7. sendReply        at once, or after reject_delay for Access-Reject
 *
 * Every failure is a drop with a stable reason code, logged rate-limited and written to the
 * auth-fail log; an unexpected exception is a logged `internal_error` drop, never a crash.
 */

/** Drop codes raised here in addition to the codec's (same names as the metrics use). */
export type ServerDrop = 'wrong_port' | 'status_server_disabled' | 'overloaded' | 'no_response' | 'internal_error'
  | 'accounting_not_recorded' | 'password_check_busy' | 'store_error';

/** What the pipeline needs of a listening socket. */
export interface ListenerPort {
  /** Stable number of this listener (part of the duplicate key). */
  readonly index: number;
  readonly type: ListenerType;
  /** Local address and port (for logs and traces). */
  readonly local: { address: string; port: number };
  send(buf: Buffer, port: number, address: string): void;
  /** Set for one connection of a stream listener (RADIUS/TLS, RADIUS/TCP). */
  readonly stream?: StreamChannel;
}

/** What a stream connection adds to a listener port (src/transport/stream-connection.ts). */
export interface StreamChannel {
  /** The client identified when the connection was accepted (certificate, PSK identity or address). */
  readonly client: Client;
  /** RFC 5080 duplicate detection for this connection only (on the Token for RADIUS/1.1). */
  readonly duplicates: DuplicateCache;
  /** RADIUS/1.1 (RFC 9765) negotiated by ALPN: Token header, no MD5, no Message-Authenticator. */
  readonly radius11: boolean;
  /** What UDP silently discards closes a stream connection (RFC 6614 section 2.6.1). */
  fail(reason: string, message: string): void;
}

/**
 * Drop reasons that close a stream connection: a malformed packet, a bad authenticator or
 * Message-Authenticator. An unknown code or a refused request leaves it open.
 */
const CLOSES_STREAM = new Set([
  'too_short', 'bad_length', 'attribute_too_short', 'attribute_overflow', 'attribute_type_zero', 'too_many_attributes',
  'bad_message_authenticator_length', 'bad_message_authenticator', 'missing_message_authenticator', 'bad_request_authenticator',
  'eap_with_password', 'bad_user_password', 'chap_without_challenge',
]);

/** Per-configuration tools; rebuilt (or carried over) on reload together with the snapshot. */
export interface ServerState {
  snapshot: Snapshot;
  duplicates: DuplicateCache;
  rejects: DelayedSender;
  limiter: PacketRateLimiter;
  authFail: AuthFailLog;
  /** Where Accounting-Requests are recorded; answered only once all of them did (accounting-sink.ts). */
  accounting: readonly AccountingSink[];
  /** The files this state writes (auth-fail log, accounting sinks), for reuse and closing on reload. */
  logs: LogFiles;
  /** FreeRADIUS statistics attributes for Status-Server replies (built for this dictionary). */
  statusAttributes: StatusCounterAttributes;
}

/** Process-wide collaborators of the pipeline. */
export interface PipelineEnv {
  /** The current state; read once per datagram, so a request keeps the snapshot it started with. */
  state(): ServerState;
  log: pino.Logger;
  /** Rate-limited drop log (1 line per reason per second, then a count of suppressed lines). */
  dropLog: RateLimitedLogger;
  /** Rate limit for auth-fail lines of pre-authentication drops (floods must not fill the disk). */
  dropAuditLog: RateLimitedLogger;
  maPolicy: MessageAuthenticatorPolicy;
  /** -X: receives human-readable trace lines. */
  trace?: (line: string) => void;
  /** Counters (Prometheus and Status-Server statistics); kept across reloads. */
  metrics: ServerMetrics;
  /** Optional observer of each datagram's outcome (tests, soak runs). */
  observe?: (event: PipelineEvent) => void;
  /** Records Accounting-Requests in the state's sinks once each (retransmissions joined). */
  recorder: AccountingRecorder;
  /** Threads for slow password checks (PBKDF2, SHA-crypt); without it they run inline. */
  hashPool?: SlowHashPool;
  /** Failing user sources: logged once per source and reason per interval (with a count), kept for /healthz. */
  storeErrors?: { log: RateLimitedLogger; failures: StoreFailures };
}

/** Outcome of one datagram. */
export type PipelineEvent =
  | { kind: 'drop'; reason: string; client: Client | undefined }
  | { kind: 'reply'; code: number; client: Client; duplicate: boolean; latencyNs: bigint };

class Drop extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

interface Request {
  n: number;
  state: ServerState;
  listener: ListenerPort;
  address: string;
  port: number;
  datagram: Buffer;
  started: bigint;
  client: Client | undefined;
  code: number | undefined;
  identifier: number | undefined;
  length: number | undefined;
  packet: Packet | undefined;
  /** Proxy-State values of the request, in order (found in the same pass as EAP-Message). */
  proxyState: Buffer[] | undefined;
  /** The duplicate-cache entry this request holds while it is processed. */
  dup: DuplicateTicket | undefined;
  /** It carried a Message-Authenticator that verified (so the secret is right). */
  signed: boolean;
}

const EMPTY: readonly Avp[] = [];
const REQUIRE_MA = Object.freeze({ requireMessageAuthenticator: true });
const NO_OPTIONS = Object.freeze({});
/** [hardening] `req_id` of log lines: unique across worker processes, built only when a line is logged. */
const requestIds = new RequestIds();

/** Runs datagrams through the stages above. */
export class RequestPipeline {
  private counter = 0;
  private readonly clientMetrics = new WeakMap<Client, ClientMetrics>();

  constructor(private readonly env: PipelineEnv) {}

  /** Handles one datagram; never throws. */
  handle(datagram: Buffer, address: string, port: number, listener: ListenerPort): void {
    const req: Request = {
      n: ++this.counter,
      state: this.env.state(),
      listener,
      address,
      port,
      datagram,
      started: process.hrtime.bigint(),
      // every field set here, so all requests share one object shape
      client: undefined,
      code: undefined,
      identifier: undefined,
      length: undefined,
      packet: undefined,
      proxyState: undefined,
      dup: undefined,
      signed: false,
    };
    try {
      this.lookupClient(req);
      this.checkHeader(req);
      this.decodeAndVerify(req);
      const duplicate = this.checkDuplicate(req);
      if (duplicate) {
        this.resend(req, duplicate);
        return;
      }
      this.metricsOf(req.client!).request(req.code!);
      const outcome = this.process(req);
      if (outcome.pending) {
        this.replyWhenDone(req, outcome, outcome.pending);
        return;
      }
      const reply = this.encodeReply(req, outcome);
      this.sendReply(req, outcome, reply);
    } catch (err) {
      this.drop(req, err);
    }
  }

  /**
   * Stages 6-7 once the work of stage 5 finished (an accounting record is durable, a slow password
   * check is done); dropped when it failed.
   */
  private replyWhenDone(req: Request, outcome: Outcome, pending: Promise<Outcome | void>): void {
    pending.then((done) => {
      try {
        const final = done ?? outcome;
        this.sendReply(req, final, this.encodeReply(req, final));
      } catch (err) {
        this.drop(req, err);
      }
    }, (err: unknown) => this.drop(req, err));
  }

  // 1
  private lookupClient(req: Request): void {
    const client = req.listener.stream?.client ?? req.state.snapshot.clients.lookup(req.address) ?? req.state.snapshot.sqlClients?.lookup(req.address);
    if (!client) {
      throw new Drop('unknown_client', `Ignoring request to ${req.listener.type} address ${req.listener.local.address} port ${req.listener.local.port} from unknown client ${req.address} port ${req.port}`);
    }
    req.client = client;
    const { limiter } = req.state;
    if (!limiter.unlimited) {
      const r = limiter.admit(client.name, Date.now());
      if (r !== 'ok') throw new Drop('rate_limited', `Dropping packet from client ${client.name}: ${r === 'client_limit' ? 'max_pps_per_client' : 'max_pps'} exceeded`);
    }
  }

  // 2
  private checkHeader(req: Request): void {
    const h = peekHeader(req.datagram);
    req.code = h.code;
    req.identifier = h.identifier;
    req.length = h.length;
    const type = req.listener.type;
    if (h.code === Code.StatusServer) {
      if (!req.state.snapshot.config.security.statusServer) {
        throw new Drop('status_server_disabled', 'Ignoring Status-Server request due to security configuration');
      }
      return;
    }
    // a stream carries authentication and accounting on one connection (RFC 6614 section 2.5)
    const allowed = type === 'auth' ? h.code === Code.AccessRequest
      : type === 'acct' ? h.code === Code.AccountingRequest
        : h.code === Code.AccessRequest || h.code === Code.AccountingRequest;
    if (!allowed) {
      const where = type === 'auth' ? 'authentication port' : type === 'acct' ? 'accounting port' : `${type} connection`;
      throw new Drop('wrong_port', `Invalid packet code ${h.code} sent to ${where} from client ${req.client!.name} port ${req.port}`);
    }
  }

  // 3
  private decodeAndVerify(req: Request): void {
    const { snapshot } = req.state;
    const client = req.client!;
    const datagram = req.length! < req.datagram.length ? req.datagram.subarray(0, req.length) : req.datagram;
    req.datagram = datagram;
    if (req.listener.stream?.radius11) {
      // RADIUS/1.1: nothing hidden, nothing signed; TLS protects the packet
      req.packet = decodePacket11(datagram, snapshot.dictionary, { maxAttributes: snapshot.config.security.maxAttributes });
      this.findProxyState(req, req.packet);
      if (this.env.trace) this.traceRequest(req, req.packet);
      return;
    }
    // with the secret the decoder reveals User-Password (RFC 2865 5.2) into the Avp value
    const packet = decodePacket(datagram, snapshot.dictionary, { maxAttributes: snapshot.config.security.maxAttributes, secret: client.secret });
    req.packet = packet;
    const isAccess = packet.code === Code.AccessRequest;
    const requireMa = isAccess && this.env.maPolicy.required(client);
    const { hadMessageAuthenticator } = verifyRequest(datagram, packet, client.secret, requireMa ? REQUIRE_MA : NO_OPTIONS);
    req.signed = hadMessageAuthenticator;
    // one pass for what later stages need: EAP-Message (MA policy) and Proxy-State (reply)
    let hasEap = false;
    const attrs = packet.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const def = attrs[i]!.def;
      if (def.vendorId !== 0) continue;
      if (def.type === Attr.EapMessage) hasEap = true;
      else if (def.type === Attr.ProxyState) (req.proxyState ??= []).push(attrs[i]!.value);
    }
    // When MA is already required the client is `yes` or already decided, and learn() has nothing
    // to learn (it would only build the client's policy key again).
    if (isAccess && !requireMa) {
      const learnt = this.env.maPolicy.learn(client, hadMessageAuthenticator, hasEap);
      if (learnt === 'unsigned') {
        this.env.log.warn({ client: client.name, src: req.address }, `BlastRADIUS check: Received packet without Message-Authenticator from client ${client.name}. Accepted because require_message_authenticator is auto and this client has never sent a valid one; it becomes required after the first that is valid. Upgrade the NAS to send Message-Authenticator, then set require_message_authenticator: yes`);
      } else if (learnt === 'yes') {
        this.env.log.info({ client: client.name }, `client ${client.name} sent a valid Message-Authenticator: requiring it from now on (require_message_authenticator auto -> yes, kept across restarts)`);
      }
    }
    if (this.env.trace) this.traceRequest(req, packet);
  }

  private findProxyState(req: Request, packet: Packet): void {
    const attrs = packet.attributes;
    for (let i = 0; i < attrs.length; i++) {
      const def = attrs[i]!.def;
      if (def.vendorId === 0 && def.type === Attr.ProxyState) (req.proxyState ??= []).push(attrs[i]!.value);
    }
  }

  /** The duplicate cache of the request's connection (streams) or of the server (UDP). */
  private duplicatesOf(req: Request): DuplicateCache {
    return req.listener.stream?.duplicates ?? req.state.duplicates;
  }

  // 4
  private checkDuplicate(req: Request): Buffer | undefined {
    const packet = req.packet!;
    const stream = req.listener.stream;
    // per connection, the Identifier (RADIUS/1.1: the Token) alone is the key
    const verdict = stream
      ? stream.duplicates.begin(0, '', 0, stream.radius11 ? readToken(req.datagram) : packet.identifier, packet.authenticator, req.length!)
      : req.state.duplicates.begin(req.listener.index, req.address, req.port, packet.identifier, packet.authenticator, req.length!);
    if (verdict === undefined) return undefined;
    if (verdict instanceof DuplicateTicket) {
      req.dup = verdict;
      return undefined;
    }
    if (verdict === IN_PROGRESS) {
      throw new Drop('duplicate_in_progress', `Ignoring duplicate packet from client ${req.client!.name} port ${req.port} - ID: ${packet.identifier} due to unfinished request`);
    }
    return verdict;
  }

  private resend(req: Request, reply: Buffer): void {
    this.env.log.debug({ req_id: requestIds.format(req.n), client: req.client!.name, id: req.packet!.identifier }, `Sending duplicate reply to client ${req.client!.name} port ${req.port} - ID: ${req.packet!.identifier}`);
    this.env.trace?.(`(${req.n}) Sending duplicate reply to client ${req.client!.name} port ${req.port} - ID: ${req.packet!.identifier}`);
    req.listener.send(reply, req.port, req.address);
    const m = this.metricsOf(req.client!);
    m.duplicate(req.code!);
    if (req.code !== Code.StatusServer) m.response(reply[0]!);
    this.env.observe?.({ kind: 'reply', code: reply[0]!, client: req.client!, duplicate: true, latencyNs: process.hrtime.bigint() - req.started });
  }

  // 5
  private process(req: Request): Outcome {
    const packet = req.packet!;
    switch (packet.code) {
      case Code.StatusServer:
        return {
          code: req.listener.type === 'acct' ? Code.AccountingResponse : Code.AccessAccept,
          attributes: req.state.statusAttributes.build(packet.attributes, this.env.metrics),
        };
      case Code.AccountingRequest: {
        const recording = this.recordAccounting(req);
        if (!recording) return { code: Code.AccountingResponse, attributes: EMPTY };
        const pending = recording.catch((err: unknown) => {
          throw new Drop('accounting_not_recorded', `Accounting-Request from client ${req.client!.name} port ${req.port} - ID: ${packet.identifier} not answered: ${(err as Error).message ?? String(err)} (the NAS will retransmit)`);
        });
        return { code: Code.AccountingResponse, attributes: EMPTY, pending };
      }
      default: {
        const trace = this.env.trace;
        const { snapshot } = req.state;
        const traceLine = trace ? (line: string) => trace(`(${req.n})   ${line}`) : undefined;
        const pool = this.env.hashPool;
        const decision = pool
          ? decideAccessDeferred(packet, req.address, snapshot.sources, snapshot.dictionary, traceLine, slowKnownGood, snapshot.modules)
          : decideAccess(packet, req.address, snapshot.sources, snapshot.dictionary, traceLine, snapshot.modules);
        if (decision.code === 'pending') return this.checkOffLoop(req, pool!, decision.pending);
        return accessOutcome(decision);
      }
    }
  }

  // 6
  private encodeReply(req: Request, outcome: Outcome): Buffer {
    // An Accept (or Challenge) goes out with all its reply attributes or not at all.
    const complete = req.packet!.code === Code.AccessRequest && outcome.code !== Code.AccessReject;
    try {
      return this.encode(req, outcome, complete);
    } catch (err) {
      if (!(err instanceof ReplyTooLargeError) || !complete) throw err;
      const user = nasAndUser(req.packet!).user;
      this.env.dropLog.log('reply_too_large', { req_id: requestIds.format(req.n), reason: 'reply_too_large', client: req.client!.name, src: req.address, src_port: req.port, user },
        `${codeName(outcome.code)} for ${JSON.stringify(user)} not sent: ${err.message}; sending Access-Reject instead (shorten the entry's reply items or the request's Proxy-State)`);
      outcome.code = Code.AccessReject;
      outcome.attributes = EMPTY;
      outcome.decision = { code: 'reject', reply: EMPTY, reason: 'reply_too_large', detail: err.message };
      return this.encode(req, outcome, false);
    }
  }

  private encode(req: Request, outcome: Outcome, complete: boolean): Buffer {
    const packet = req.packet!;
    if (req.listener.stream?.radius11) {
      return encodeResponse11({ allAttributes: complete, code: outcome.code, token: readToken(req.datagram), attributes: outcome.attributes, proxyState: req.proxyState });
    }
    return encodeResponse({
      allAttributes: complete,
      code: outcome.code,
      // Over a stream, Accounting-Response goes without Message-Authenticator (RFC 2866 needs none):
      // radsecproxy forwards it unchanged to its UDP client, where ours would no longer verify.
      ...(req.listener.stream && outcome.code === Code.AccountingResponse ? { messageAuthenticator: false } : {}),
      identifier: packet.identifier,
      requestAuthenticator: packet.authenticator,
      attributes: outcome.attributes,
      secret: req.client!.secret,
      proxyState: req.proxyState,
      // An Accounting-Response to an Accounting-Request carries no Message-Authenticator:
      // RFC 2866 defines none, and FreeRADIUS 3.2.0-3.2.7 verify one with a zero Request
      // Authenticator where later versions use the request's (rad_verify), so any signature
      // fails one of them. Replies to Status-Server are signed (every version agrees on those).
      messageAuthenticator: packet.code !== Code.AccountingRequest,
    });
  }

  // 7
  private sendReply(req: Request, outcome: Outcome, reply: Buffer): void {
    const { state } = req;
    const client = req.client!;
    const packet = req.packet!;
    // processing time, without the deliberate reject_delay
    const seconds = Number(process.hrtime.bigint() - req.started) / 1e9;
    if (outcome.decision?.code === 'reject') {
      if (outcome.decision.unprintablePassword && !req.signed) {
        this.env.dropLog.log('shared_secret_hint', { req_id: requestIds.format(req.n), reason: outcome.decision.reason ?? 'rejected', client: client.name, src: req.address, src_port: req.port },
          `Access-Reject for client ${client.name}: ${SECRET_HINT} (the request has no Message-Authenticator, so a wrong secret shows only as a wrong password)`);
        this.env.trace?.(`(${req.n})   WARNING: ${SECRET_HINT}`);
      }
      this.auditReject(req, outcome.decision);
    }
    if (this.env.trace) this.traceReply(req, outcome, reply.length);
    if (this.env.log.isLevelEnabled('debug')) {
      this.env.log.debug({ req_id: requestIds.format(req.n), client: client.name, src: req.address, port: req.port, id: packet.identifier, code: codeName(outcome.code) }, `Sent ${codeName(outcome.code)} Id ${packet.identifier} to ${req.address}:${req.port}`);
    }
    if (outcome.code === Code.AccessReject && state.snapshot.config.security.rejectDelay > 0) {
      if (!state.rejects.schedule(() => this.send(req, outcome.code, reply, seconds))) {
        this.duplicatesOf(req).abandon(req.dup);
        throw new Drop('overloaded', 'reject_delay queue is full: Access-Reject dropped (the NAS will retransmit)');
      }
      return;
    }
    this.send(req, outcome.code, reply, seconds);
  }

  private send(req: Request, code: number, reply: Buffer, seconds: number): void {
    req.listener.send(reply, req.port, req.address);
    this.duplicatesOf(req).finish(req.dup, reply);
    // the Access-Accept answering a Status-Server is no login: FreeRADIUS counts it nowhere
    if (req.code !== Code.StatusServer) this.metricsOf(req.client!).response(code, seconds);
    this.env.observe?.({ kind: 'reply', code, client: req.client!, duplicate: false, latencyNs: process.hrtime.bigint() - req.started });
  }

  /** A slow password check in the pool; the outcome follows when it is done. */
  private checkOffLoop(req: Request, pool: SlowHashPool, pending: PendingAccess): Outcome {
    const user = nasAndUser(req.packet!).user ?? '';
    const running = pool.check(pending.known, pending.password, user);
    if (running === 'busy') {
      throw new Drop('password_check_busy', `Dropping Access-Request from client ${req.client!.name} for user "${user}": ${pool.pending} slow password checks running (at most 2 per user); the NAS will retransmit`);
    }
    return { code: Code.AccessReject, attributes: EMPTY, pending: running.then((check) => accessOutcome(pending.resume(check))) };
  }

  private recordAccounting(req: Request): Promise<void> | undefined {
    const sinks = req.state.accounting;
    if (sinks.length === 0) return undefined;
    const packet = req.packet!;
    const client = req.client!;
    return this.env.recorder.record({
      key: `${client.name}|${req.address}|${req.port}|${packet.identifier}|${packet.authenticator.toString('hex')}`,
      time: new Date(),
      client: client.name,
      src: req.address,
      srcPort: req.port,
      identifier: packet.identifier,
      attributes: attributesRecord(packet.attributes),
      avps: packet.attributes,
    }, sinks);
  }

  private auditReject(req: Request, d: AccessDecision): void {
    const { authFail } = req.state;
    if (!authFail.enabled) return;
    const packet = req.packet!;
    authFail.write({
      src: req.address,
      src_port: req.port,
      client: req.client!.name,
      ...nasAndUser(packet),
      reason: d.reason ?? 'rejected',
      ...(d.detail ? { detail: d.detail } : {}),
      ...(d.wrongPassword ? { password_fp: authFail.fingerprint(d.wrongPassword) } : {}),
      ...(d.unprintablePassword && !req.signed ? { hint: SECRET_HINT } : {}),
      action: 'reject',
    });
  }

  private drop(req: Request, err: unknown): void {
    let reason: string;
    let message: string;
    if (err instanceof Drop || err instanceof PacketError) {
      reason = err.reason;
      message = err.message;
    } else if (err instanceof StoreLookupError) {
      reason = 'store_error';
      message = `${err.message}; request dropped unanswered`;
    } else {
      reason = 'internal_error';
      message = `internal error while handling a packet: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
    }
    this.duplicatesOf(req).abandon(req.dup);
    if (req.client) this.metricsOf(req.client).drop(reason as ServerDropReason, req.code);
    else this.env.metrics.drop(reason as ServerDropReason, req.code);
    this.env.observe?.({ kind: 'drop', reason, client: req.client });
    const fields = { req_id: requestIds.format(req.n), reason, client: req.client?.name ?? null, src: req.address, src_port: req.port };
    this.env.trace?.(`(${req.n}) Dropping packet from ${req.address}:${req.port}: ${reason}: ${message}`);
    if (reason === 'duplicate_in_progress') {
      this.env.log.debug(fields, message);
      return;
    }
    if (reason === 'internal_error') this.env.log.error(fields, message);
    else if (err instanceof StoreLookupError && this.env.storeErrors) {
      this.env.storeErrors.failures.record(err);
      this.env.storeErrors.log.log(err.message, fields, message);
    } else this.env.dropLog.log(reason, fields, message);
    if (req.listener.stream && CLOSES_STREAM.has(reason)) req.listener.stream.fail(reason, message);

    const { authFail } = req.state;
    if (!authFail.enabled) return;
    const record = {
      src: req.address,
      src_port: req.port,
      client: req.client?.name ?? null,
      ...(req.packet ? nasAndUser(req.packet) : { nas_ip: null, nas_id: null, user: null }),
      reason: auditReason(reason),
      ...(auditReason(reason) !== reason ? { detail: reason } : {}),
      action: 'drop' as const,
    };
    this.env.dropAuditLog.log(reason, record, '');
  }

  /** The client's counters, bound once per client object (a reload makes new ones). */
  private metricsOf(client: Client): ClientMetrics {
    let m = this.clientMetrics.get(client);
    if (!m) {
      m = this.env.metrics.client(client.name, formatIp(client.prefix.family, client.prefix.bytes), client.prefix.bits);
      this.clientMetrics.set(client, m);
    }
    return m;
  }

  private traceRequest(req: Request, packet: Packet): void {
    const trace = this.env.trace!;
    const l = req.listener.local;
    trace(`(${req.n}) Received ${codeName(packet.code)} Id ${packet.identifier} from ${req.address}:${req.port} to ${l.address}:${l.port} length ${req.length} (client ${req.client!.name})`);
    for (const a of packet.attributes) trace(`(${req.n})   ${printAttribute(a)}`);
  }

  private traceReply(req: Request, outcome: Outcome, length: number): void {
    const trace = this.env.trace!;
    const packet = req.packet!;
    const delay = outcome.code === Code.AccessReject ? req.state.snapshot.config.security.rejectDelay : 0;
    if (outcome.decision?.scheme) trace(`(${req.n})   password scheme: ${outcome.decision.scheme}`);
    if (outcome.decision?.code === 'reject') trace(`(${req.n})   reject reason: ${outcome.decision.reason ?? 'rejected'}${outcome.decision.detail ? ` (${outcome.decision.detail})` : ''}`);
    trace(`(${req.n}) Sent ${codeName(outcome.code)} Id ${packet.identifier} from ${req.listener.local.address}:${req.listener.local.port} to ${req.address}:${req.port} length ${length}${delay > 0 ? ` (delayed ${delay} s by reject_delay)` : ''}`);
    if (!req.listener.stream?.radius11) trace(`(${req.n})   Message-Authenticator = <first attribute>`);
    for (const a of outcome.attributes) trace(`(${req.n})   ${printAttribute(a)}`);
  }
}

interface Outcome {
  code: number;
  attributes: readonly Avp[];
  decision?: AccessDecision;
  /** Work the reply must wait for (an accounting record becoming durable, a slow password check): its outcome, if another. */
  pending?: Promise<Outcome | void>;
}

function accessOutcome(decision: AccessDecision): Outcome {
  if (decision.code === 'no-response') throw new Drop('no_response', 'Response-Packet-Type = Do-Not-Respond: not replying');
  return { code: decision.code === 'accept' ? Code.AccessAccept : Code.AccessReject, attributes: decision.reply, decision };
}

function slowKnownGood(known: Avp): boolean {
  return isSlowHash(known.def.type, known.value);
}

function nasAndUser(packet: Packet): { nas_ip: string | null; nas_id: string | null; user: string | null } {
  let nasIp: string | null = null;
  let nasId: string | null = null;
  let user: string | null = null;
  for (const a of packet.attributes) {
    if (a.def.vendorId !== 0) continue;
    if (a.def.type === Attr.UserName) user = a.value.toString('utf8');
    else if (a.def.type === 4 && a.value.length === 4) nasIp = `${a.value[0]}.${a.value[1]}.${a.value[2]}.${a.value[3]}`;
    else if (a.def.type === 32) nasId = a.value.toString('utf8');
  }
  return { nas_ip: nasIp, nas_id: nasId, user };
}

const MALFORMED = new Set([
  'too_short', 'bad_length', 'attribute_too_short', 'attribute_overflow', 'attribute_type_zero',
  'too_many_attributes', 'bad_message_authenticator_length', 'eap_with_password', 'bad_user_password', 'chap_without_challenge',
]);

/** The auth-fail reason code of a drop reason (packet-structure problems are all `malformed`). */
export function auditReasonOf(reason: string): AuthFailReason {
  return auditReason(reason) as AuthFailReason;
}

function auditReason(reason: string): AuthFailReason | string {
  if (MALFORMED.has(reason)) return 'malformed';
  if (reason === 'wrong_port') return 'bad_code';
  return reason;
}
