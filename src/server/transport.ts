import type { ListenerType } from './config.js';

/**
 * What a transport hands the pipeline with each datagram: where the reply goes. The pipeline's
 * stages know nothing else of the transport, so a UDP socket (UdpListener), a TLS connection or
 * a test double each implement this and call `RequestPipeline.handle`.
 */
export interface ReplyChannel {
  /** Stable number of this listener (part of the duplicate key). */
  readonly index: number;
  /** Which requests it takes: `auth` (Access-Request) or `acct` (Accounting-Request). */
  readonly type: ListenerType;
  /** Local address and port (for logs and traces). */
  readonly local: { address: string; port: number };
  /** Sends a reply to the peer the request came from. */
  send(buf: Buffer, port: number, address: string): void;
}
