/**
 * RADIUS over a byte stream (RFC 6613 section 2.1, RFC 6614 section 2.5): packets follow each
 * other with no padding and each one ends where its Length field says. Pure: bytes in, whole
 * packets out; nothing here knows about sockets.
 */
import { PacketError } from './errors.js';
import { HEADER_LENGTH, MAX_PACKET_LENGTH } from './packet.js';

/** What {@link StreamFramer.push} found in the bytes received so far. */
export interface FramedPackets {
  /** Whole packets, in order (views into the received chunk where possible). */
  packets: Buffer[];
  /** Set when the stream cannot be framed any further: the connection must be closed. */
  error?: PacketError;
}

/**
 * Cuts a TCP/TLS byte stream into RADIUS packets by their Length field. A Length outside
 * 20..4096 cannot be resynchronised (there is no marker to look for), so it ends the stream:
 * the framer returns the error and refuses further input.
 */
export class StreamFramer {
  /** Bytes of an unfinished packet (at most 4095), copied so no big chunk is kept alive. */
  private partial: Buffer | undefined;
  private failed: PacketError | undefined;

  /** Bytes waiting for the rest of their packet. */
  get buffered(): number {
    return this.partial?.length ?? 0;
  }

  /** Adds received bytes; returns the packets they complete. */
  push(chunk: Buffer): FramedPackets {
    if (this.failed) return { packets: [], error: this.failed };
    const buf = this.partial ? Buffer.concat([this.partial, chunk]) : chunk;
    this.partial = undefined;
    const packets: Buffer[] = [];
    let off = 0;
    while (buf.length - off >= 4) {
      const length = buf.readUInt16BE(off + 2);
      if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) {
        this.failed = new PacketError('bad_length', `packet length ${length} is outside 20..4096: the stream cannot be framed`);
        return { packets, error: this.failed };
      }
      if (buf.length - off < length) break;
      packets.push(buf.subarray(off, off + length));
      off += length;
    }
    if (off < buf.length) this.partial = Buffer.from(buf.subarray(off));
    return { packets };
  }
}
