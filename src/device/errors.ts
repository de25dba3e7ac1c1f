/**
 * The error catalogue of the device's HTTP XML API (`<error type="..."/>`), shared by the
 * emulator (which answers with them) and the client (which throws them).
 */

/** Error types a Vutlan device answers with, spelled exactly as on the device. */
export const DeviceErrorTypes = [
  'invalid request',
  'authorization error',
  'access error',
  'some parameters are not specified',
  'error',
] as const;

/** One of the device's error types. */
export type DeviceErrorType = (typeof DeviceErrorTypes)[number];

/** The `type` of `<error type="no error"/>`, which the device uses to acknowledge a command. */
export const NO_ERROR = 'no error';

/** True when `text` is one of the device's error types. */
export function isDeviceErrorType(text: string): text is DeviceErrorType {
  return (DeviceErrorTypes as readonly string[]).includes(text);
}

/**
 * A refusal by the device. Thrown inside the emulator to produce an `<error>` reply, and by the
 * client when a reply is an `<error>`. `reason` is a stable machine code for logs and tests
 * (e.g. `bad_password`, `radius_timeout`); it is never sent to the HTTP peer.
 */
export class DeviceError extends Error {
  constructor(
    readonly type: DeviceErrorType,
    readonly reason: string = type.replace(/ /g, '_'),
    message?: string,
  ) {
    super(message ?? `${type} (${reason})`);
    this.name = 'DeviceError';
  }
}
