/**
 * Why a received datagram was dropped. These strings are stable: they appear in logs, metrics
 * labels and tests. The protocol layer raises the packet-structure and authenticator reasons;
 * the server adds client, rate-limit and duplicate reasons.
 */
export type DropReason =
  | 'too_short'
  | 'bad_length'
  | 'bad_code'
  | 'attribute_too_short'
  | 'attribute_overflow'
  | 'attribute_type_zero'
  | 'too_many_attributes'
  | 'bad_message_authenticator_length'
  | 'bad_message_authenticator'
  | 'missing_message_authenticator'
  | 'bad_request_authenticator'
  | 'eap_with_password'
  | 'bad_user_password'
  | 'chap_without_challenge'
  | 'unknown_client'
  | 'rate_limited'
  | 'duplicate_in_progress';

/**
 * A datagram that must be silently discarded (no reply). `reason` is the stable drop code;
 * `message` is a human explanation in FreeRADIUS's wording where it has one.
 */
export class PacketError extends Error {
  constructor(
    readonly reason: DropReason,
    message: string,
  ) {
    super(message);
    this.name = 'PacketError';
  }
}
