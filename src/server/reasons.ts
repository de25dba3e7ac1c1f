/**
 * The catalogue of reasons: why a datagram got no answer (a drop) or an Access-Reject (a
 * reject). Each code is stable and is, at once, the `reason` of log lines, the `reason` label
 * of `radius_dropped_packets_total`, the auth-fail log's `reason` (or `detail`), and the
 * FreeRADIUS statistics counter it feeds. Nothing else in the server lists reasons: pipeline,
 * metrics, Status-Server statistics and the audit log all read this table.
 *
 * Codes come from three places: the codec (`PacketDropReason`, src/protocol/errors.ts), the
 * pipeline (client, limits, duplicates, policy), and the evaluator (`DecisionReason`). Stream
 * listeners (src/transport) add why a connection was refused or closed.
 */
import type { DecisionReason } from '../policy/evaluator.js';
import { PACKET_DROP_REASONS, type PacketDropReason } from '../protocol/errors.js';
import type { RadiusCounters } from './status-counters.js';

/** The FreeRADIUS statistics counter (`fr_stats_t`, stats.c) a drop is counted under. */
export type StatsCounter = keyof Pick<RadiusCounters, 'malformed' | 'badAuthenticators' | 'unknownTypes' | 'duplicates' | 'dropped'>;

/** What the catalogue says about one drop reason. */
export interface DropInfo {
  /** What happened, in a few words. */
  readonly text: string;
  /**
   * The auth-fail log's `reason`; the drop code goes to `detail` when they differ (every
   * packet-structure problem is `malformed` there). `null`: the drop is not audited.
   */
  readonly audit: AuditReason | null;
  /** The FreeRADIUS statistics counter it feeds. */
  readonly stats: StatsCounter;
  /**
   * Level of its log line: `warn` lines are rate-limited per reason (floods must not flood the
   * log), `debug` and `error` are written as they come.
   */
  readonly level: 'debug' | 'warn' | 'error';
}

/** Drops only the server raises (the codec raises the {@link PacketDropReason}s). */
export const SERVER_DROP_REASONS = [
  'unknown_client',
  'rate_limited',
  'duplicate_in_progress',
  'wrong_port',
  'status_server_disabled',
  'overloaded',
  'no_response',
  'internal_error',
  'accounting_not_recorded',
  'password_check_busy',
  'store_error',
] as const;

/** Every drop code the server reports. */
export type DropReason = PacketDropReason | (typeof SERVER_DROP_REASONS)[number];

/** Why an Access-Reject was sent: the evaluator's reject reasons, `rejected` for any other. */
export type RejectReason = Exclude<DecisionReason, 'accepted' | 'auth_type_accept' | 'do_not_respond'> | 'reply_too_large' | 'rejected';

/** The auth-fail log's reason codes. */
export type AuditReason =
  | 'malformed'
  | 'bad_code'
  | 'bad_message_authenticator'
  | 'missing_message_authenticator'
  | 'bad_request_authenticator'
  | 'unknown_client'
  | 'rate_limited'
  | 'status_server_disabled'
  | 'overloaded'
  | 'no_response'
  | 'internal_error'
  | 'accounting_not_recorded'
  | 'password_check_busy'
  | 'connection_limit'
  | 'alpn_mismatch'
  | 'tls_handshake_failed'
  | 'certificate_expired'
  | 'client_removed'
  | RejectReason;

const malformed = (text: string): DropInfo => ({ text, audit: 'malformed', stats: 'malformed', level: 'warn' });

/** The drop catalogue, one entry per {@link DropReason} (the compiler checks none is missing). */
export const DROPS: { readonly [R in DropReason]: DropInfo } = {
  // the codec (FreeRADIUS rad_packet_ok / rad_verify)
  too_short: malformed('datagram shorter than 20 octets or than its Length field'),
  bad_length: malformed('Length field outside 20..4096'),
  bad_code: { text: 'packet code 0 or above 51', audit: 'bad_code', stats: 'unknownTypes', level: 'warn' },
  attribute_too_short: malformed('attribute length below 2, or a trailing octet'),
  attribute_overflow: malformed('attribute runs past the end of the packet'),
  attribute_type_zero: malformed('attribute type 0'),
  too_many_attributes: malformed('more attributes than security.max_attributes, or 255 of one type'),
  bad_message_authenticator_length: malformed('Message-Authenticator is not 16 octets'),
  eap_with_password: malformed('EAP-Message together with User-, CHAP- or ARAP-Password'),
  bad_user_password: malformed('RADIUS/1.1: User-Password not 1..128 octets'),
  chap_without_challenge: malformed('RADIUS/1.1: CHAP-Password without CHAP-Challenge'),
  missing_message_authenticator: {
    text: 'Message-Authenticator required (Status-Server, EAP, require_message_authenticator) but absent',
    audit: 'missing_message_authenticator', stats: 'malformed', level: 'warn',
  },
  bad_message_authenticator: {
    text: 'Message-Authenticator does not verify (wrong secret?), or appears twice',
    audit: 'bad_message_authenticator', stats: 'badAuthenticators', level: 'warn',
  },
  bad_request_authenticator: {
    text: 'Accounting/CoA/Disconnect Request Authenticator does not verify (wrong secret?)',
    audit: 'bad_request_authenticator', stats: 'badAuthenticators', level: 'warn',
  },
  // the pipeline
  unknown_client: { text: 'source address matches no configured client', audit: 'unknown_client', stats: 'dropped', level: 'warn' },
  rate_limited: { text: 'max_pps or max_pps_per_client exceeded', audit: 'rate_limited', stats: 'dropped', level: 'warn' },
  duplicate_in_progress: { text: 'retransmission of a request still being processed', audit: null, stats: 'duplicates', level: 'debug' },
  wrong_port: { text: 'packet code this listener does not take (e.g. Accounting-Request on auth)', audit: 'bad_code', stats: 'unknownTypes', level: 'warn' },
  status_server_disabled: { text: 'Status-Server while security.status_server is off', audit: 'status_server_disabled', stats: 'dropped', level: 'warn' },
  overloaded: { text: 'a bounded queue (reject_delay) is full', audit: 'overloaded', stats: 'dropped', level: 'warn' },
  no_response: { text: 'policy said Response-Packet-Type := Do-Not-Respond', audit: 'no_response', stats: 'dropped', level: 'warn' },
  internal_error: { text: 'a bug: an exception while handling the packet', audit: 'internal_error', stats: 'dropped', level: 'error' },
  accounting_not_recorded: {
    text: 'an accounting record could not be made durable, so no Accounting-Response (the NAS retransmits)',
    audit: 'accounting_not_recorded', stats: 'dropped', level: 'warn',
  },
  password_check_busy: {
    text: 'too many slow password checks (PBKDF2, SHA-crypt) running, at most 2 per user (the NAS retransmits)',
    audit: 'password_check_busy', stats: 'dropped', level: 'warn',
  },
  store_error: {
    text: 'a user store failed the lookup (e.g. a corrupted SQLite file): dropped unanswered',
    audit: 'store_error', stats: 'dropped', level: 'warn',
  },
};

/** Every drop code, in catalogue order (metrics export all of them from the start, at 0). */
export const DROP_REASONS: readonly DropReason[] = [...PACKET_DROP_REASONS, ...SERVER_DROP_REASONS];

/** The reject catalogue: what each {@link RejectReason} of the auth-fail log means. */
export const REJECTS: { readonly [R in RejectReason]: string } = {
  no_matching_entry: 'no users entry matched',
  no_password: 'an entry matched but there is no usable password, or the request has none',
  wrong_password: 'the password check failed',
  auth_type_reject: 'Auth-Type := Reject',
  invalid_user_name: 'filter_username rejected the User-Name',
  user_name_control_character: 'User-Name holds NUL or another control character',
  unsupported_auth_type: 'Auth-Type names a method this server does not implement',
  unsupported_scheme: 'the stored password\'s scheme is not computed here (bcrypt, yescrypt)',
  store_error: 'a user store failed (unparsable row, database unreachable): refused rather than guessed',
  reply_too_large: 'the Access-Accept would not fit in 4096 octets, so an Access-Reject was sent instead',
  rejected: 'rejected by policy (Response-Packet-Type := Access-Reject and the like)',
};

/** The reject reason of an evaluator decision that ended in an Access-Reject. */
export function rejectReason(reason: DecisionReason): RejectReason {
  return reason === 'accepted' || reason === 'auth_type_accept' || reason === 'do_not_respond' ? 'rejected' : reason;
}

/**
 * Whether a drop closes the stream connection it came on (RFC 6614 2.6.1: what UDP silently
 * discards, a malformed packet or a bad authenticator, ends a TLS/TCP connection); an unknown
 * code or a refused request leaves it open.
 */
export function closesStream(reason: DropReason): reason is PacketDropReason {
  return reason !== 'bad_code' && (PACKET_DROP_REASONS as readonly string[]).includes(reason);
}

/** What the catalogue says about a refused or closed stream (RADIUS/TLS, RADIUS/TCP) connection. */
export interface StreamEventInfo {
  /** What happened, in a few words. */
  readonly text: string;
  /** The auth-fail log's `reason` (with `action: "close"`); `null`: not audited. */
  readonly audit: AuditReason | null;
  /** `info`: the ordinary life of a connection; `warn`: rate-limited per reason, as drops are. */
  readonly level: 'info' | 'warn';
}

/** Why a stream connection was refused before it could carry a packet. */
export type StreamRefusal = keyof typeof STREAM_REFUSALS;

/**
 * The refusal catalogue: each code is the `result` label of `radius_stream_connections_total`,
 * the `reason` of the log line, and the auth-fail `detail` when it differs from the `reason`.
 */
export const STREAM_REFUSALS = {
  listener_closed: { text: 'the listener is closing (shutdown, or a reload that removed it)', audit: 'connection_limit', level: 'warn' },
  connection_limit: { text: 'the listener\'s max_connections is reached', audit: 'connection_limit', level: 'warn' },
  client_connection_limit: { text: 'the client\'s max_connections_per_client is reached', audit: 'connection_limit', level: 'warn' },
  unknown_client: { text: 'no client allows this source address, or no client certificate or PSK identity matches', audit: 'unknown_client', level: 'warn' },
  unknown_certificate: {
    text: 'the client certificate does not chain to the CA list with a known subjectAltName and is not pinned',
    audit: 'unknown_client', level: 'warn',
  },
  alpn_mismatch: { text: 'no common ALPN protocol, or the client\'s radius11 policy refuses the one negotiated', audit: 'alpn_mismatch', level: 'warn' },
  tls_handshake_failed: { text: 'the TLS handshake failed (version, ciphers, certificate, timeout)', audit: 'tls_handshake_failed', level: 'warn' },
} as const satisfies Record<string, StreamEventInfo>;

/** Why an open stream connection was closed: one of {@link STREAM_CLOSES}, or a drop that ends it. */
export type StreamCloseReason = keyof typeof STREAM_CLOSES | PacketDropReason;

/** The close catalogue (besides the drops of {@link closesStream}): the `reason` label of `radius_stream_closes_total`. */
export const STREAM_CLOSES = {
  peer_closed: { text: 'the client closed the connection', audit: null, level: 'info' },
  idle_timeout: { text: 'no packet within the listener\'s idle_timeout', audit: null, level: 'info' },
  server_shutdown: { text: 'the server is stopping', audit: null, level: 'info' },
  certificate_expired: { text: 'the client certificate of the connection has expired', audit: 'certificate_expired', level: 'warn' },
  client_removed: { text: 'after a reload no client allows the connection any more', audit: 'client_removed', level: 'warn' },
} as const satisfies Record<string, StreamEventInfo>;

/** The catalogue entry of a close reason; a drop that ends the stream is audited as the drop is. */
export function streamClose(reason: StreamCloseReason): StreamEventInfo {
  if (Object.hasOwn(STREAM_CLOSES, reason)) return STREAM_CLOSES[reason as keyof typeof STREAM_CLOSES];
  const drop = DROPS[reason as PacketDropReason];
  return { text: drop.text, audit: drop.audit, level: 'warn' };
}

/** True when `code` is a drop code of the catalogue (for codes read back from log fields). */
export function isDropReason(code: string): code is DropReason {
  return Object.hasOwn(DROPS, code);
}
