/**
 * Why the codec refuses a received datagram (FreeRADIUS `fr_radius_decode_fail_t`). These codes
 * are stable: the server's reason catalogue (src/server/reasons.ts) gives each its text, log
 * level, metric and audit reason, beside the reasons the server itself adds.
 */
export const PACKET_DROP_REASONS = [
  'too_short',
  'bad_length',
  'bad_code',
  'attribute_too_short',
  'attribute_overflow',
  'attribute_type_zero',
  'too_many_attributes',
  'bad_message_authenticator_length',
  'bad_message_authenticator',
  'missing_message_authenticator',
  'bad_request_authenticator',
  'eap_with_password',
  'bad_user_password',
  'chap_without_challenge',
] as const;

/** A reason the codec drops a datagram for. */
export type PacketDropReason = (typeof PACKET_DROP_REASONS)[number];

/**
 * A datagram that must be silently discarded (no reply). `reason` is the stable drop code;
 * `message` is a human explanation in FreeRADIUS's wording where it has one.
 */
export class PacketError extends Error {
  constructor(
    readonly reason: PacketDropReason,
    message: string,
  ) {
    super(message);
    this.name = 'PacketError';
  }
}
