/**
 * RADIUS packet codes (RFC 2865 section 3, RFC 2866, RFC 5176, RFC 5997, RFC 7930) and their
 * printable names as FreeRADIUS writes them.
 */

/** Packet codes by name. */
export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccountingRequest: 4,
  AccountingResponse: 5,
  AccessChallenge: 11,
  StatusServer: 12,
  StatusClient: 13,
  DisconnectRequest: 40,
  DisconnectACK: 41,
  DisconnectNAK: 42,
  CoARequest: 43,
  CoAACK: 44,
  CoANAK: 45,
  ProtocolError: 52,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([
  [1, 'Access-Request'],
  [2, 'Access-Accept'],
  [3, 'Access-Reject'],
  [4, 'Accounting-Request'],
  [5, 'Accounting-Response'],
  [11, 'Access-Challenge'],
  [12, 'Status-Server'],
  [13, 'Status-Client'],
  [40, 'Disconnect-Request'],
  [41, 'Disconnect-ACK'],
  [42, 'Disconnect-NAK'],
  [43, 'CoA-Request'],
  [44, 'CoA-ACK'],
  [45, 'CoA-NAK'],
  [52, 'Protocol-Error'],
]);

/**
 * Printable name of a packet code ("Access-Accept"); unknown codes print as FreeRADIUS does
 * for them, the bare number.
 */
export function codeName(code: number): string {
  return NAMES.get(code) ?? String(code);
}
