/** Free-port helpers for tests that must pass a port to another program. */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** A UDP port on `address` that was free a moment ago (bound then released). */
export async function freeUdpPort(address: string): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, address, r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
