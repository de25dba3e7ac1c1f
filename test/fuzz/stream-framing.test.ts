/**
 * Fuzzing the stream framer (RADIUS over TCP/TLS is cut into packets by the Length field).
 * Properties, for any sequence of well-formed packets:
 * - however the byte stream is split into chunks (single octets, random cuts, all at once),
 *   the framer yields exactly the packets that were written, in order, byte for byte;
 * - a lying Length (below 20 or above 4096) anywhere ends the stream with `bad_length` after
 *   exactly the packets before it, and nothing is yielded afterwards;
 * - a Length larger than what was sent (a slow or stalled writer) yields nothing until the rest
 *   arrives and never buffers more than one packet's worth (< 4096 octets).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamFramer } from '../../src/protocol/stream-framing.js';
import { TEST_TIMEOUT_MS, fuzzParams } from './fuzz-options.js';

/** A structurally plausible packet of the given total length (the framer only reads Length). */
const packetArb = fc.integer({ min: 20, max: 4096 }).chain((length) =>
  fc.uint8Array({ minLength: length - 4, maxLength: length - 4 }).chain((rest) =>
    fc.integer({ min: 1, max: 255 }).map((code) => {
      const b = Buffer.alloc(length);
      b[0] = code;
      b[1] = rest[0] ?? 0;
      b.writeUInt16BE(length, 2);
      Buffer.from(rest).copy(b, 4);
      return b;
    })));

/** Cut points of a buffer of `n` octets into chunks. */
function cuts(n: number, points: number[]): number[] {
  return [...new Set(points.map((p) => p % (n + 1)))].sort((a, b) => a - b);
}

function split(buf: Buffer, points: number[]): Buffer[] {
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...cuts(buf.length, points), buf.length]) {
    if (p > prev) out.push(buf.subarray(prev, p));
    prev = p;
  }
  return out;
}

function feed(framer: StreamFramer, chunks: Buffer[]): { packets: Buffer[]; error: string | undefined; maxBuffered: number } {
  const packets: Buffer[] = [];
  let error: string | undefined;
  let maxBuffered = 0;
  for (const c of chunks) {
    // copy: a real socket reuses nothing, but the framer must not depend on the caller keeping chunks
    const r = framer.push(Buffer.from(c));
    packets.push(...r.packets.map((p) => Buffer.from(p)));
    if (r.error) error ??= r.error.reason;
    maxBuffered = Math.max(maxBuffered, framer.buffered);
  }
  return { packets, error, maxBuffered };
}

describe('stream framing fuzz', () => {
  it('yields exactly the written packets however the stream is split', () => {
    fc.assert(fc.property(fc.array(packetArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 }), fc.boolean(), (packets, points, bytewise) => {
      const stream = Buffer.concat(packets);
      const chunks = bytewise && stream.length < 3000 ? [...stream].map((b) => Buffer.from([b])) : split(stream, points);
      const r = feed(new StreamFramer(), chunks);
      expect(r.error).toBeUndefined();
      expect(r.packets.length).toBe(packets.length);
      r.packets.forEach((p, i) => expect(p.equals(packets[i]!)).toBe(true));
      expect(r.maxBuffered).toBeLessThan(4096);
    }), fuzzParams(300, 4000));
  }, TEST_TIMEOUT_MS);

  it('ends the stream at a lying Length with the packets before it, and yields nothing after', () => {
    const lyingLength = fc.oneof(fc.integer({ min: 0, max: 19 }), fc.integer({ min: 4097, max: 65535 }));
    fc.assert(fc.property(fc.array(packetArb, { maxLength: 3 }), lyingLength, fc.array(packetArb, { maxLength: 2 }), fc.array(fc.nat(), { maxLength: 20 }), (before, lie, after, points) => {
      const bad = Buffer.alloc(20);
      bad[0] = 1;
      bad.writeUInt16BE(lie, 2);
      const stream = Buffer.concat([...before, bad, ...after]);
      const framer = new StreamFramer();
      const r = feed(framer, split(stream, points));
      expect(r.error).toBe('bad_length');
      expect(r.packets.length).toBe(before.length);
      const more = framer.push(before[0] ?? Buffer.from([1, 0, 0, 20, ...new Array(16).fill(0)]));
      expect(more.packets).toHaveLength(0);
      expect(more.error?.reason).toBe('bad_length');
    }), fuzzParams(300, 3000));
  }, TEST_TIMEOUT_MS);

  it('waits for a slow writer without yielding a partial packet', () => {
    fc.assert(fc.property(packetArb, fc.integer({ min: 1, max: 4095 }), (packet, sent) => {
      const cut = Math.min(sent, packet.length - 1);
      const framer = new StreamFramer();
      const first = framer.push(packet.subarray(0, cut));
      expect(first.packets).toHaveLength(0);
      expect(first.error).toBeUndefined();
      expect(framer.buffered).toBe(cut);
      const rest = framer.push(packet.subarray(cut));
      expect(rest.packets).toHaveLength(1);
      expect(rest.packets[0]!.equals(packet)).toBe(true);
      expect(framer.buffered).toBe(0);
    }), fuzzParams(300, 2000));
  }, TEST_TIMEOUT_MS);

  it('fuzzes arbitrary bytes: only whole packets of 20..4096 octets or bad_length ever come out', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 9000 }), fc.array(fc.nat(), { maxLength: 30 }), (bytes, points) => {
      const r = feed(new StreamFramer(), split(Buffer.from(bytes), points));
      let off = 0;
      for (const p of r.packets) {
        expect(p.length).toBe(p.readUInt16BE(2));
        expect(p.length).toBeGreaterThanOrEqual(20);
        expect(p.length).toBeLessThanOrEqual(4096);
        expect(p.equals(Buffer.from(bytes).subarray(off, off + p.length))).toBe(true);
        off += p.length;
      }
      if (r.error === undefined) expect(bytes.length - off).toBeLessThan(4096);
    }), fuzzParams(500, 3000));
  }, TEST_TIMEOUT_MS);
});
