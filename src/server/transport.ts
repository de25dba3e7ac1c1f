import type { PacketDropReason } from '../protocol/errors.js';
import type { Client } from './clients.js';
import type { ListenerType } from './config.js';
import type { DuplicateCache } from './duplicate-cache.js';

/**
 * What a transport hands the pipeline with each datagram: where the reply goes. The pipeline's
 * stages know nothing else of the transport, so a UDP socket (UdpListener), a TLS connection or
 * a test double each implement this and call `RequestPipeline.handle`.
 */
export interface ReplyChannel {
  /** Stable number of this listener (part of the duplicate key). */
  readonly index: number;
  /** Which requests it takes: `auth` (Access-Request), `acct` (Accounting-Request), or both on a stream. */
  readonly type: ListenerType;
  /** Local address and port (for logs and traces). */
  readonly local: { address: string; port: number };
  /** Sends a reply to the peer the request came from. */
  send(buf: Buffer, port: number, address: string): void;
  /** Set for one connection of a stream listener (RADIUS/TLS, RADIUS/TCP). */
  readonly stream?: StreamChannel;
}

/** What a stream connection adds to a reply channel (src/transport/stream-connection.ts). */
export interface StreamChannel {
  /** The client identified when the connection was accepted (certificate, PSK identity or address). */
  readonly client: Client;
  /** RFC 5080 duplicate detection for this connection only (on the Token for RADIUS/1.1). */
  readonly duplicates: DuplicateCache;
  /** RADIUS/1.1 (RFC 9765) negotiated by ALPN: Token header, no MD5, no Message-Authenticator. */
  readonly radius11: boolean;
  /** What UDP silently discards closes a stream connection (RFC 6614 section 2.6.1). */
  fail(reason: PacketDropReason, message: string): void;
}
