import { createHmac } from 'node:crypto';
import type { AppendFile } from './append-file.js';

/**
 * The audit trail of failed logins: one JSON line per rejected or dropped request, with when,
 * from where (source address and port), which client and NAS, which user, and a stable reason
 * code. Never a password or secret; for a wrong password at most a short keyed fingerprint
 * (HMAC-SHA256 under a random key kept 0600 in state_dir, 8 hex digits; the same in every worker
 * and across restarts), so the same wrong password tried again can be told apart from guessing
 * without the log revealing anything about it.
 */

/** Stable reason codes of the auth-fail log (also used in debug logs and tests). */
export type AuthFailReason =
  | 'unknown_client'
  | 'bad_message_authenticator'
  | 'missing_message_authenticator'
  | 'malformed'
  | 'bad_code'
  | 'bad_request_authenticator'
  | 'no_matching_entry'
  | 'wrong_password'
  | 'no_password'
  | 'auth_type_reject'
  | 'invalid_user_name'
  | 'user_name_control_character'
  | 'unsupported_auth_type'
  | 'unsupported_scheme'
  | 'reply_too_large'
  | 'rejected'
  | 'store_error'
  | 'internal_error'
  | 'tls_handshake_failed'
  | 'connection_limit'
  | 'alpn_mismatch';

/** One auth-fail record, as written (keys are the JSON keys). */
export interface AuthFailRecord {
  time: string;
  src: string;
  src_port: number;
  client: string | null;
  nas_ip: string | null;
  nas_id: string | null;
  user: string | null;
  reason: AuthFailReason;
  /** The protocol drop code or evaluator detail, when it says more than `reason`. */
  detail?: string;
  /** 8 hex digits of HMAC-SHA256(process key, password) for wrong passwords. */
  password_fp?: string;
  /** What to check, when the server can tell (e.g. the shared secret, for a noise password). */
  hint?: string;
  /** `reject` (an Access-Reject was sent), `drop` (nothing was sent), `close` (a TLS/TCP connection was refused or closed). */
  action: 'reject' | 'drop' | 'close';
}

/**
 * Lines of the auth-fail log that were not written (its file failed or could not keep up), and
 * the last reason; one per server, kept across reloads (metrics, the loss log line).
 */
export class AuditLoss {
  lost = 0;
  reason = '';
  private reportedAt = 0;
  private reportedLost = 0;

  /** `report(count, reason)` is called on the first loss and then at most every `intervalMs`. */
  constructor(private readonly report: (lost: number, reason: string) => void, private readonly intervalMs = 10_000) {}

  /** Counts one lost line. */
  add(reason: string): void {
    this.lost++;
    this.reason = reason;
    const now = Date.now();
    if (now - this.reportedAt >= this.intervalMs) this.flush(now);
  }

  /** Reports what was lost since the last report (also at shutdown). */
  flush(now = Date.now()): void {
    if (this.lost === this.reportedLost) return;
    this.report(this.lost - this.reportedLost, this.reason);
    this.reportedLost = this.lost;
    this.reportedAt = now;
  }
}

/**
 * Writes auth-fail records; a no-op when no file is configured. Never waits for the disk: a
 * line that cannot be written (write error, the file cannot keep up) is counted as lost in
 * `loss` instead of being queued without bound.
 */
export class AuthFailLog {

  /**
   * `file` undefined: records are dropped (no `log.auth_fail` configured). `key` gives the
   * fingerprint key (asked for only when a fingerprint is made).
   */
  constructor(readonly file: AppendFile | undefined, private readonly key: () => Buffer, private readonly loss?: AuditLoss) {}

  /** True when records are written somewhere (callers can skip building them otherwise). */
  get enabled(): boolean {
    return this.file !== undefined;
  }

  /** Fingerprint of a password: 8 hex digits, the same for the same key. */
  fingerprint(password: Buffer): string {
    return createHmac('sha256', this.key()).update(password).digest('hex').slice(0, 8);
  }

  /** Appends one record (time is filled in). */
  write(record: Omit<AuthFailRecord, 'time'>): void {
    if (!this.file) return;
    this.file.append(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`).catch((err: Error) => {
      this.loss?.add(err.message);
    });
  }
}
