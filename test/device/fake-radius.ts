/**
 * A scriptable RADIUS responder for device tests, on 127.0.0.1 with an ephemeral port. It is
 * built on npm `radius` (like the emulator's client), so it only proves the client's handling of
 * answers; interoperability with real servers is proven in test/e2e.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import radius from 'radius';
import { installVutlanDictionary } from '../../src/device/radius-dictionary.js';

/** What the responder saw of one request. */
export interface SeenRequest {
  code: string;
  attributes: Record<string, unknown>;
  hadMessageAuthenticator: boolean;
  source: string;
}

/** How to answer: an npm-radius code and attributes, or 'silent' to drop the request. */
export type Answer = { code: 'Access-Accept' | 'Access-Reject' | 'Access-Challenge'; attributes?: unknown[][]; secret?: string; stripMessageAuthenticator?: boolean } | 'silent';

/** A running responder. */
export interface FakeRadius {
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a responder whose answer for each request is decided by `answer`. */
export async function startFakeRadius(secret: string, answer: (req: SeenRequest) => Answer): Promise<FakeRadius> {
  installVutlanDictionary();
  const socket = dgram.createSocket('udp4');
  const seen: SeenRequest[] = [];
  socket.on('message', (msg, rinfo) => {
    let packet: ReturnType<typeof radius.decode>;
    try { packet = radius.decode({ packet: msg, secret }); } catch { return; }
    const req: SeenRequest = {
      code: packet.code,
      attributes: packet.attributes as Record<string, unknown>,
      hadMessageAuthenticator: (packet.attributes as Record<string, unknown>)['Message-Authenticator'] !== undefined,
      source: rinfo.address,
    };
    seen.push(req);
    const a = answer(req);
    if (a === 'silent') return;
    // npm radius pushes Message-Authenticator into the caller's attribute array: pass copies.
    let source = packet;
    if (a.stripMessageAuthenticator) {
      // Encode without Message-Authenticator: what a server from before BlastRADIUS sends.
      source = { ...packet, attributes: { ...(packet.attributes as object) } } as typeof packet;
      delete (source.attributes as Record<string, unknown>)['Message-Authenticator'];
    }
    const reply = radius.encode_response({ packet: source, code: a.code, secret: a.secret ?? secret, attributes: [...(a.attributes ?? [])] });
    socket.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: (socket.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
