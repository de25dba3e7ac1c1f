import type pino from 'pino';
import type { Avp } from '../protocol/attribute.js';
import { Code, codeName } from '../protocol/codes.js';
import { checkPacket, decodeAttributes, peekHeader, verifyRequest, type PacketHeader, type PacketLayout } from '../protocol/decode.js';
import { ReplyTooLargeError, encodeResponse } from '../protocol/encode.js';
import { decodePacket11, encodeResponse11, readToken } from '../protocol/radius11.js';
import { PacketError } from '../protocol/errors.js';
import { Attr, HEADER_LENGTH, type Packet } from '../protocol/packet.js';
import type { Decision } from '../policy/evaluator.js';
import { SECRET_HINT, decideAccess, decideAccessDeferred, printablePassword, type PendingAccess } from './access-decision.js';
import { isSlowHash } from '../policy/passwords/hash-cost.js';
import type { SlowHashPool } from './hash-pool.js';
import { StoreLookupError, type StoreFailures } from './store-error.js';
import { attributesRecord, printAttribute } from './attribute-text.js';
import type { AuthFailLog } from './auth-fail-log.js';
import { postAuthRow } from '../store/pgsql/radpostauth.js';
import type { Client } from './clients.js';
import { formatIp } from './ip-prefix.js';
import { type DuplicateCache, DuplicateTicket, IN_PROGRESS } from './duplicate-cache.js';
import type { AccountingRecorder } from './accounting-recorder.js';
import type { AccountingSink } from './accounting-sink.js';
import type { LogFiles } from './log-files.js';
import type { MessageAuthenticatorPolicy } from './message-authenticator-policy.js';
import type { ClientMetrics } from './client-metrics.js';
import type { ServerMetrics } from './metrics.js';
import type { StatusCounterAttributes } from './status-counters.js';
import type { DelayedSender } from './delayed-sender.js';
import type { PacketRateLimiter } from './pps-limit.js';
import type { RateLimitedLogger } from './rate-limited-logger.js';
import { DROPS, closesStream, rejectReason, type DropReason, type RejectReason } from './reasons.js';
import { RequestIds } from './request-id.js';
import type { Snapshot } from './snapshot.js';
import type { ReplyChannel } from './transport.js';


/**
 * The request lifecycle. One datagram goes through fixed stages, in this order, called from one
 * place (`handle`); each stage returns what it established and the next takes it as a typed
 * argument:
 *
 *   1. lookupClient      source IP -> Client                       unknown: drop
 *   2. admit             packets-per-second limits of that client
 *   3. checkHeader       -> PacketHeader: length, code allowed on this listener
 *   4. checkStructure    -> PacketLayout: the one structural pass (attributes, where
 *                        Message-Authenticator is, EAP-Message, Proxy-State)
 *   5. verify            -> VerifiedRequest: Message-Authenticator policy and authenticators,
 *                        then (only then) attributes decoded and User-Password revealed
 *   6. checkDuplicate    RFC 5080: cached reply resent, in-progress dropped, else a ticket
 *   7. process           -> Reply: Access-Request: authorize + authenticate; Accounting: record;
 *                        Status-Server: statistics
 *   8. encodeReply       Message-Authenticator first, Response Authenticator, Proxy-State
 *   9. sendReply         at once, or after reject_delay for Access-Reject
 *
 * The stages see a datagram and its {@link ReplyChannel}, never a socket: UDP is one transport.
 * Every failure is a drop with a stable reason code of the catalogue (reasons.ts), logged at
 * the level the catalogue gives (warn lines rate-limited) and written to the auth-fail log; an
 * unexpected exception is a logged `internal_error` drop, never a crash.
 */

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
  | { kind: 'drop'; reason: DropReason; client: Client | undefined }
  | { kind: 'reply'; code: number; client: Client; duplicate: boolean; latencyNs: bigint };

/** A drop raised by a stage (the codec raises PacketError). */
class Drop extends Error {
  constructor(readonly reason: DropReason, message: string) {
    super(message);
  }
}

/** A datagram as its transport handed it over. */
interface Received {
  /** Sequence number in this process (trace lines, `req_id`). */
  readonly n: number;
  /** The state the request started with (a reload does not change it mid-request). */
  readonly state: ServerState;
  readonly channel: ReplyChannel;
  readonly address: string;
  readonly port: number;
  readonly bytes: Buffer;
  readonly started: bigint;
}

/** A request from a known client that passed the structural pass and verification, decoded. */
interface VerifiedRequest {
  readonly rx: Received;
  readonly client: Client;
  readonly layout: PacketLayout;
  /** The datagram without the padding after Length. */
  readonly datagram: Buffer;
  readonly packet: Packet;
  /** It carried a Message-Authenticator that verified (so the shared secret is right). */
  readonly signed: boolean;
}

/** What to answer: the reply code and attributes; for an Access-Request the policy's decision. */
interface Reply {
  code: number;
  attributes: readonly Avp[];
  decision?: Decision;
  /** Why an Access-Reject is sent (the auth-fail line and the trace say it). */
  reject?: RejectInfo;
  /** Work the reply must wait for (an accounting record becoming durable, a slow password check): its reply, if another. */
  pending?: Promise<Reply | undefined>;
}

/** Why an Access-Reject is sent. */
interface RejectInfo {
  reason: RejectReason;
  detail?: string;
  /**
   * The revealed User-Password is not printable UTF-8: with a wrong shared secret it decodes to
   * noise (FreeRADIUS warns the same way).
   */
  unprintablePassword?: boolean;
}

/** What the stages had established when a datagram was dropped. */
interface DropPoint {
  client: Client | undefined;
  code: number | undefined;
  layout: PacketLayout | undefined;
  ticket: DuplicateTicket | undefined;
}

const EMPTY: readonly Avp[] = [];
const REQUIRE_MA = Object.freeze({ requireMessageAuthenticator: true });
const NO_OPTIONS = Object.freeze({});
/** `req_id` of log lines: unique across worker processes, built only when a line is logged. */
const requestIds = new RequestIds();

/** Runs datagrams through the stages above. */
export class RequestPipeline {
  private counter = 0;
  private readonly clientMetrics = new WeakMap<Client, ClientMetrics>();

  constructor(private readonly env: PipelineEnv) {}

  /** Handles one datagram that arrived on `channel` from `address`:`port`; never throws. */
  handle(bytes: Buffer, address: string, port: number, channel: ReplyChannel): void {
    const rx: Received = { n: ++this.counter, state: this.env.state(), channel, address, port, bytes, started: process.hrtime.bigint() };
    let client: Client | undefined;
    let header: PacketHeader | undefined;
    let layout: PacketLayout | undefined;
    let ticket: DuplicateTicket | undefined;
    try {
      client = this.lookupClient(rx);
      this.admit(rx, client);
      header = this.checkHeader(rx, client);
      layout = this.checkStructure(rx, header);
      const request = this.verify(rx, client, layout);
      const seen = this.checkDuplicate(request);
      if (seen !== undefined && !(seen instanceof DuplicateTicket)) {
        this.resend(request, seen);
        return;
      }
      ticket = seen;
      this.metricsOf(client).request(layout.code);
      const reply = this.process(request);
      if (reply.pending) {
        this.replyWhenDone(request, reply, reply.pending, ticket);
        return;
      }
      const wire = this.encodeReply(request, reply);
      this.sendReply(request, reply, wire, ticket);
    } catch (err) {
      this.drop(rx, err, { client, code: header?.code, layout, ticket });
    }
  }

  /**
   * Stages 8-9 once the work of stage 7 finished (an accounting record is durable, a slow password
   * check is done); dropped when it failed.
   */
  private replyWhenDone(req: VerifiedRequest, reply: Reply, pending: Promise<Reply | undefined>, ticket: DuplicateTicket | undefined): void {
    const at: DropPoint = { client: req.client, code: req.layout.code, layout: req.layout, ticket };
    pending.then((done) => {
      try {
        const final = done ?? reply;
        this.sendReply(req, final, this.encodeReply(req, final), ticket);
      } catch (err) {
        this.drop(req.rx, err, at);
      }
    }, (err: unknown) => this.drop(req.rx, err, at));
  }

  // 1
  private lookupClient(rx: Received): Client {
    const client = rx.channel.stream?.client ?? rx.state.snapshot.clients.lookup(rx.address) ?? rx.state.snapshot.sqlClients?.lookup(rx.address);
    if (!client) {
      const l = rx.channel;
      throw new Drop('unknown_client', `Ignoring request to ${l.type} address ${l.local.address} port ${l.local.port} from unknown client ${rx.address} port ${rx.port}`);
    }
    return client;
  }

  // 2
  private admit(rx: Received, client: Client): void {
    const { limiter } = rx.state;
    if (limiter.unlimited) return;
    const r = limiter.admit(client.name, Date.now());
    if (r !== 'ok') throw new Drop('rate_limited', `Dropping packet from client ${client.name}: ${r === 'client_limit' ? 'max_pps_per_client' : 'max_pps'} exceeded`);
  }

  // 3
  private checkHeader(rx: Received, client: Client): PacketHeader {
    const h = peekHeader(rx.bytes);
    const type = rx.channel.type;
    if (h.code === Code.StatusServer) {
      if (!rx.state.snapshot.config.security.statusServer) {
        throw new Drop('status_server_disabled', 'Ignoring Status-Server request due to security configuration');
      }
      return h;
    }
    // a stream carries authentication and accounting on one connection (RFC 6614 section 2.5)
    const allowed = type === 'auth' ? h.code === Code.AccessRequest
      : type === 'acct' ? h.code === Code.AccountingRequest
        : h.code === Code.AccessRequest || h.code === Code.AccountingRequest;
    if (!allowed) {
      const where = type === 'auth' ? 'authentication port' : type === 'acct' ? 'accounting port' : `${type} connection`;
      throw new Drop('wrong_port', `Invalid packet code ${h.code} sent to ${where} from client ${client.name} port ${rx.port}`);
    }
    return h;
  }

  // 4
  private checkStructure(rx: Received, header: PacketHeader): PacketLayout {
    return checkPacket(rx.bytes, { maxAttributes: rx.state.snapshot.config.security.maxAttributes }, header);
  }

  // 5
  private verify(rx: Received, client: Client, layout: PacketLayout): VerifiedRequest {
    const datagram = layout.length < rx.bytes.length ? rx.bytes.subarray(0, layout.length) : rx.bytes;
    if (rx.channel.stream?.radius11) {
      // RADIUS/1.1: nothing hidden, nothing signed; TLS protects the packet
      const packet = decodePacket11(datagram, rx.state.snapshot.dictionary, { maxAttributes: rx.state.snapshot.config.security.maxAttributes });
      const request: VerifiedRequest = { rx, client, layout, datagram, packet, signed: false };
      if (this.env.trace) this.traceRequest(request);
      return request;
    }
    const isAccess = layout.code === Code.AccessRequest;
    const requireMa = isAccess && this.env.maPolicy.required(client);
    const { hadMessageAuthenticator } = verifyRequest(datagram, layout, client.secret, requireMa ? REQUIRE_MA : NO_OPTIONS);
    // When MA is already required the client is `yes` or already decided, and learn() has nothing
    // to learn (it would only build the client's policy key again).
    if (isAccess && !requireMa) {
      const learnt = this.env.maPolicy.learn(client, hadMessageAuthenticator, layout.hasEap);
      if (learnt === 'unsigned') {
        this.env.log.warn({ client: client.name, src: rx.address }, `BlastRADIUS check: Received packet without Message-Authenticator from client ${client.name}. Accepted because require_message_authenticator is auto and this client has never sent a valid one; it becomes required after the first that is valid. Upgrade the NAS to send Message-Authenticator, then set require_message_authenticator: yes`);
      } else if (learnt === 'yes') {
        this.env.log.info({ client: client.name }, `client ${client.name} sent a valid Message-Authenticator: requiring it from now on (require_message_authenticator auto -> yes, kept across restarts)`);
      }
    }
    // verified: now decode; with the secret the decoder reveals User-Password (RFC 2865 5.2)
    const packet = decodeAttributes(datagram, layout, rx.state.snapshot.dictionary, client.secret);
    const request: VerifiedRequest = { rx, client, layout, datagram, packet, signed: hadMessageAuthenticator };
    if (this.env.trace) this.traceRequest(request);
    return request;
  }

  // 6
  /** The cached reply of a retransmission, or the ticket of a new request (undefined: not cached). */
  private checkDuplicate(req: VerifiedRequest): Buffer | DuplicateTicket | undefined {
    const { rx, packet } = req;
    const stream = rx.channel.stream;
    // per connection, the Identifier (RADIUS/1.1: the Token) alone is the key
    const verdict = stream
      ? stream.duplicates.begin(0, '', 0, stream.radius11 ? readToken(req.datagram) : packet.identifier, packet.authenticator, req.layout.length)
      : rx.state.duplicates.begin(rx.channel.index, rx.address, rx.port, packet.identifier, packet.authenticator, req.layout.length);
    if (verdict === IN_PROGRESS) {
      throw new Drop('duplicate_in_progress', `Ignoring duplicate packet from client ${req.client.name} port ${rx.port} - ID: ${packet.identifier} due to unfinished request`);
    }
    return verdict;
  }

  private resend(req: VerifiedRequest, reply: Buffer): void {
    const { rx, client, packet } = req;
    this.env.log.debug({ req_id: requestIds.format(rx.n), client: client.name, id: packet.identifier }, `Sending duplicate reply to client ${client.name} port ${rx.port} - ID: ${packet.identifier}`);
    this.env.trace?.(`(${rx.n}) Sending duplicate reply to client ${client.name} port ${rx.port} - ID: ${packet.identifier}`);
    rx.channel.send(reply, rx.port, rx.address);
    const m = this.metricsOf(client);
    m.duplicate(packet.code);
    if (packet.code !== Code.StatusServer) m.response(reply[0]!);
    this.env.observe?.({ kind: 'reply', code: reply[0]!, client, duplicate: true, latencyNs: process.hrtime.bigint() - rx.started });
  }

  // 7
  private process(req: VerifiedRequest): Reply {
    const { rx, packet } = req;
    switch (packet.code) {
      case Code.StatusServer:
        return {
          code: rx.channel.type === 'acct' ? Code.AccountingResponse : Code.AccessAccept,
          attributes: rx.state.statusAttributes.build(packet.attributes, this.env.metrics),
        };
      case Code.AccountingRequest: {
        const recording = this.recordAccounting(req);
        if (!recording) return { code: Code.AccountingResponse, attributes: EMPTY };
        const pending = recording.then(() => undefined, (err: unknown) => {
          throw new Drop('accounting_not_recorded', `Accounting-Request from client ${req.client.name} port ${rx.port} - ID: ${packet.identifier} not answered: ${(err as Error).message ?? String(err)} (the NAS will retransmit)`);
        });
        return { code: Code.AccountingResponse, attributes: EMPTY, pending };
      }
      default: {
        const trace = this.env.trace;
        const { snapshot } = rx.state;
        const traceLine = trace ? (line: string) => trace(`(${rx.n})   ${line}`) : undefined;
        const pool = this.env.hashPool;
        const decision = pool
          ? decideAccessDeferred(packet, rx.address, snapshot.sources, snapshot.dictionary, traceLine, slowKnownGood, snapshot.modules)
          : decideAccess(packet, rx.address, snapshot.sources, snapshot.dictionary, traceLine, snapshot.modules);
        if (decision.code === 'pending') return this.checkOffLoop(req, pool!, decision.pending);
        return accessReply(packet, decision);
      }
    }
  }

  /** A slow password check in the pool; the reply follows when it is done. */
  private checkOffLoop(req: VerifiedRequest, pool: SlowHashPool, pending: PendingAccess): Reply {
    const user = nasAndUser(req.datagram, req.layout.length).user ?? '';
    const running = pool.check(pending.known, pending.password, user);
    if (running === 'busy') {
      throw new Drop('password_check_busy', `Dropping Access-Request from client ${req.client.name} for user "${user}": ${pool.pending} slow password checks running (at most 2 per user); the NAS will retransmit`);
    }
    return { code: Code.AccessReject, attributes: EMPTY, pending: running.then((check) => accessReply(req.packet, pending.resume(check))) };
  }

  // 8
  private encodeReply(req: VerifiedRequest, reply: Reply): Buffer {
    // An Accept (or Challenge) goes out with all its reply attributes or not at all.
    const complete = req.packet.code === Code.AccessRequest && reply.code !== Code.AccessReject;
    try {
      return this.encode(req, reply, complete);
    } catch (err) {
      if (!(err instanceof ReplyTooLargeError) || !complete) throw err;
      const { rx } = req;
      const user = nasAndUser(req.datagram, req.layout.length).user;
      this.env.dropLog.log('reply_too_large', { req_id: requestIds.format(rx.n), reason: 'reply_too_large', client: req.client.name, src: rx.address, src_port: rx.port, user },
        `${codeName(reply.code)} for ${JSON.stringify(user)} not sent: ${err.message}; sending Access-Reject instead (shorten the entry's reply items or the request's Proxy-State)`);
      reply.code = Code.AccessReject;
      reply.attributes = EMPTY;
      reply.reject = { reason: 'reply_too_large', detail: err.message };
      return this.encode(req, reply, false);
    }
  }

  private encode(req: VerifiedRequest, reply: Reply, complete: boolean): Buffer {
    const { packet } = req;
    const stream = req.rx.channel.stream;
    if (stream?.radius11) {
      return encodeResponse11({ allAttributes: complete, code: reply.code, token: readToken(req.datagram), attributes: reply.attributes, proxyState: req.layout.proxyState });
    }
    return encodeResponse({
      allAttributes: complete,
      code: reply.code,
      identifier: packet.identifier,
      requestAuthenticator: packet.authenticator,
      attributes: reply.attributes,
      secret: req.client.secret,
      proxyState: req.layout.proxyState,
      // An Accounting-Response to an Accounting-Request carries no Message-Authenticator:
      // RFC 2866 defines none, and FreeRADIUS 3.2.0-3.2.7 verify one with a zero Request
      // Authenticator where later versions use the request's (rad_verify), so any signature
      // fails one of them. Replies to Status-Server are signed (every version agrees on those).
      messageAuthenticator: packet.code !== Code.AccountingRequest,
      // Over a stream, Accounting-Response goes without Message-Authenticator too (RFC 2866 needs
      // none): radsecproxy forwards it unchanged to its UDP client, where ours would not verify.
      ...(stream && reply.code === Code.AccountingResponse ? { messageAuthenticator: false } : {}),
    });
  }

  // 9
  private sendReply(req: VerifiedRequest, reply: Reply, wire: Buffer, ticket: DuplicateTicket | undefined): void {
    const { rx, client, packet } = req;
    const { state } = rx;
    // processing time, without the deliberate reject_delay
    const seconds = Number(process.hrtime.bigint() - rx.started) / 1e9;
    if (reply.reject) {
      if (reply.reject.unprintablePassword && !req.signed) {
        this.env.dropLog.log('shared_secret_hint', { req_id: requestIds.format(rx.n), reason: reply.reject.reason, client: client.name, src: rx.address, src_port: rx.port },
          `Access-Reject for client ${client.name}: ${SECRET_HINT} (the request has no Message-Authenticator, so a wrong secret shows only as a wrong password)`);
        this.env.trace?.(`(${rx.n})   WARNING: ${SECRET_HINT}`);
      }
      this.auditReject(req, reply.reject);
    }
    if (packet.code === Code.AccessRequest && state.logs.postauth) {
      const row = postAuthRow(packet.attributes, reply.code, reply.attributes, new Date());
      if (row) state.logs.postauth.record(row);
    }
    if (this.env.trace) this.traceReply(req, reply, wire.length);
    if (this.env.log.isLevelEnabled('debug')) {
      this.env.log.debug({ req_id: requestIds.format(rx.n), client: client.name, src: rx.address, port: rx.port, id: packet.identifier, code: codeName(reply.code) }, `Sent ${codeName(reply.code)} Id ${packet.identifier} to ${rx.address}:${rx.port}`);
    }
    if (reply.code === Code.AccessReject && state.snapshot.config.security.rejectDelay > 0) {
      if (!state.rejects.schedule(() => this.send(req, reply.code, wire, seconds, ticket))) {
        throw new Drop('overloaded', 'reject_delay queue is full: Access-Reject dropped (the NAS will retransmit)');
      }
      return;
    }
    this.send(req, reply.code, wire, seconds, ticket);
  }

  private send(req: VerifiedRequest, code: number, wire: Buffer, seconds: number, ticket: DuplicateTicket | undefined): void {
    const { rx, client } = req;
    rx.channel.send(wire, rx.port, rx.address);
    duplicatesOf(rx).finish(ticket, wire);
    // the Access-Accept answering a Status-Server is no login: FreeRADIUS counts it nowhere
    if (req.packet.code !== Code.StatusServer) this.metricsOf(client).response(code, seconds);
    this.env.observe?.({ kind: 'reply', code, client, duplicate: false, latencyNs: process.hrtime.bigint() - rx.started });
  }

  private recordAccounting(req: VerifiedRequest): Promise<void> | undefined {
    const { rx, packet, client } = req;
    const sinks = rx.state.accounting;
    if (sinks.length === 0) return undefined;
    return this.env.recorder.record({
      key: `${client.name}|${rx.address}|${rx.port}|${packet.identifier}|${packet.authenticator.toString('hex')}`,
      time: new Date(),
      client: client.name,
      src: rx.address,
      srcPort: rx.port,
      identifier: packet.identifier,
      attributes: attributesRecord(packet.attributes),
      avps: packet.attributes,
    }, sinks);
  }

  private auditReject(req: VerifiedRequest, reject: RejectInfo): void {
    const { rx } = req;
    const { authFail } = rx.state;
    if (!authFail.enabled) return;
    const wrongPassword = reject.reason === 'wrong_password' ? userPassword(req.packet) : undefined;
    authFail.write({
      src: rx.address,
      src_port: rx.port,
      client: req.client.name,
      ...nasAndUser(req.datagram, req.layout.length),
      reason: reject.reason,
      ...(reject.detail ? { detail: reject.detail } : {}),
      ...(wrongPassword ? { password_fp: authFail.fingerprint(wrongPassword) } : {}),
      ...(reject.unprintablePassword && !req.signed ? { hint: SECRET_HINT } : {}),
      action: 'reject',
    });
  }

  private drop(rx: Received, err: unknown, at: DropPoint): void {
    let reason: DropReason;
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
    const { client } = at;
    duplicatesOf(rx).abandon(at.ticket);
    if (client) this.metricsOf(client).drop(reason, at.code);
    else this.env.metrics.drop(reason, at.code);
    this.env.observe?.({ kind: 'drop', reason, client });
    const fields = { req_id: requestIds.format(rx.n), reason, client: client?.name ?? null, src: rx.address, src_port: rx.port };
    this.env.trace?.(`(${rx.n}) Dropping packet from ${rx.address}:${rx.port}: ${reason}: ${message}`);
    const info = DROPS[reason];
    if (info.level === 'debug') this.env.log.debug(fields, message);
    else if (info.level === 'error') this.env.log.error(fields, message);
    else if (err instanceof StoreLookupError && this.env.storeErrors) {
      this.env.storeErrors.failures.record(err);
      this.env.storeErrors.log.log(err.message, fields, message);
    } else this.env.dropLog.log(reason, fields, message);
    if (rx.channel.stream && closesStream(reason)) rx.channel.stream.fail(reason, message);

    const { authFail } = rx.state;
    if (!authFail.enabled || info.audit === null) return;
    const record = {
      src: rx.address,
      src_port: rx.port,
      client: client?.name ?? null,
      ...(at.layout ? nasAndUser(rx.bytes, at.layout.length) : { nas_ip: null, nas_id: null, user: null }),
      reason: info.audit,
      ...(info.audit !== reason ? { detail: reason } : {}),
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

  private traceRequest(req: VerifiedRequest): void {
    const trace = this.env.trace!;
    const { rx, packet } = req;
    const l = rx.channel.local;
    trace(`(${rx.n}) Received ${codeName(packet.code)} Id ${packet.identifier} from ${rx.address}:${rx.port} to ${l.address}:${l.port} length ${req.layout.length} (client ${req.client.name})`);
    for (const a of packet.attributes) trace(`(${rx.n})   ${printAttribute(a)}`);
  }

  private traceReply(req: VerifiedRequest, reply: Reply, length: number): void {
    const trace = this.env.trace!;
    const { rx, packet } = req;
    const l = rx.channel.local;
    const d = reply.decision;
    const delay = reply.code === Code.AccessReject ? rx.state.snapshot.config.security.rejectDelay : 0;
    if (d?.scheme) trace(`(${rx.n})   password scheme: ${d.scheme}`);
    const r = reply.reject;
    if (r) trace(`(${rx.n})   reject reason: ${r.reason}${r.detail ? ` (${r.detail})` : ''}`);
    trace(`(${rx.n}) Sent ${codeName(reply.code)} Id ${packet.identifier} from ${l.address}:${l.port} to ${rx.address}:${rx.port} length ${length}${delay > 0 ? ` (delayed ${delay} s by reject_delay)` : ''}`);
    if (!rx.channel.stream?.radius11) trace(`(${rx.n})   Message-Authenticator = <first attribute>`);
    for (const a of reply.attributes) trace(`(${rx.n})   ${printAttribute(a)}`);
  }
}

/** The reply to an evaluator decision: Accept, or Reject with why (no reply: a drop). */
function accessReply(packet: Packet, decision: Decision): Reply {
  if (decision.code === 'no-response') throw new Drop('no_response', 'Response-Packet-Type = Do-Not-Respond: not replying');
  if (decision.code === 'accept') return { code: Code.AccessAccept, attributes: decision.reply, decision };
  const reject: RejectInfo = { reason: rejectReason(decision.reason) };
  if (decision.detail) reject.detail = decision.detail;
  const password = userPassword(packet);
  if (password && !printablePassword(password)) reject.unprintablePassword = true;
  return { code: Code.AccessReject, attributes: decision.reply, decision, reject };
}

function slowKnownGood(known: Avp): boolean {
  return isSlowHash(known.def.type, known.value);
}

/** The duplicate cache of the request's connection (streams) or of the server (UDP). */
function duplicatesOf(rx: Received): DuplicateCache {
  return rx.channel.stream?.duplicates ?? rx.state.duplicates;
}

/** The revealed User-Password of a request (only to fingerprint a wrong one; never logged). */
function userPassword(packet: Packet): Buffer | undefined {
  for (const a of packet.attributes) if (a.def.vendorId === 0 && a.def.type === Attr.UserPassword) return a.value;
  return undefined;
}

/**
 * User-Name, NAS-IP-Address and NAS-Identifier of a structurally sound datagram, read from its
 * bytes (no dictionary, no decoding), so a drop after the structural pass names them too.
 */
function nasAndUser(datagram: Buffer, length: number): { nas_ip: string | null; nas_id: string | null; user: string | null } {
  let nasIp: string | null = null;
  let nasId: string | null = null;
  let user: string | null = null;
  for (let off = HEADER_LENGTH; off < length; off += datagram[off + 1]!) {
    const type = datagram[off]!;
    const value = datagram.subarray(off + 2, off + datagram[off + 1]!);
    if (type === Attr.UserName) user = value.toString('utf8');
    else if (type === Attr.NasIpAddress && value.length === 4) nasIp = `${value[0]}.${value[1]}.${value[2]}.${value[3]}`;
    else if (type === Attr.NasIdentifier) nasId = value.toString('utf8');
  }
  return { nas_ip: nasIp, nas_id: nasId, user };
}
