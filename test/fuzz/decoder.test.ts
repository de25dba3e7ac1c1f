/**
 * Fuzzing the packet decoder (`decodePacket`, `verifyRequest`) with random datagrams and with
 * mutations of structured seeds (see seeds.ts). Properties, for every input:
 * - the outcome is a Packet or a PacketError with a known drop reason; nothing else is thrown,
 *   and no input takes longer than the per-input bound;
 * - an independent walk of the wire format agrees: decodePacket accepts exactly the datagrams
 *   whose header and attribute chain are well formed (the oracle below is written from
 *   RFC 2865 section 3/5 and FreeRADIUS rad_packet_ok, not from src/);
 * - `maxAttributes` is honoured; decoded values stay within the datagram (no amplification);
 * - verifyRequest on any decoded packet returns or throws PacketError.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPacket, decodePacket, verifyRequest } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { PacketError } from '../../src/protocol/errors.js';
import type { Packet } from '../../src/protocol/packet.js';
import { PACKET_DROP_REASONS } from '../../src/protocol/errors.js';
import { TEST_TIMEOUT_MS, describeError, fuzzParams, timed } from './fuzz-options.js';
import { applyByteMutations, byteMutations } from './mutate.js';
import { allSeeds, structuredSeeds, type Seed } from './seeds.js';

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(new URL('../../dictionaries/dictionary', import.meta.url).pathname);
});

const KNOWN_REASONS = new Set<string>(PACKET_DROP_REASONS);

/**
 * Independent structural oracle: the reasons a drop may carry, or 'ok'. Like FreeRADIUS the
 * decoder may stop at `maxAttributes` before it reaches a malformed later attribute, so when
 * both apply either reason is right.
 */
function wireVerdict(buf: Buffer, maxAttributes: number): 'ok' | string[] {
  if (buf.length < 20) return ['too_short'];
  const length = buf.readUInt16BE(2);
  if (length < 20 || length > 4096) return ['bad_length'];
  if (buf.length < length) return ['too_short'];
  if (buf[0] === 0 || buf[0]! >= 52) return ['bad_code'];
  let n = 0;
  const perType = new Map<number, number>();
  const tooMany = () => n > maxAttributes || [...perType.values()].some((c) => c > 255);
  const malformed = (reason: string) => (tooMany() ? [reason, 'too_many_attributes'] : [reason]);
  for (let off = 20; off < length; ) {
    if (off + 2 > length) return malformed('attribute_too_short');
    const type = buf[off]!;
    const len = buf[off + 1]!;
    if (type === 0) return malformed('attribute_type_zero');
    if (len < 2) return malformed('attribute_too_short');
    if (off + len > length) return malformed('attribute_overflow');
    if (type === 80 && len !== 18) return malformed('bad_message_authenticator_length');
    n++;
    perType.set(type, (perType.get(type) ?? 0) + 1);
    off += len;
  }
  if (tooMany()) return ['too_many_attributes'];
  if (perType.has(79) && (perType.has(2) || perType.has(3) || perType.has(70))) return ['eap_with_password'];
  return 'ok';
}

function expectPacketError(e: unknown, where: string): asserts e is PacketError {
  if (!(e instanceof PacketError)) throw new Error(`${where} threw a non-PacketError: ${describeError(e)}`);
  expect(KNOWN_REASONS.has(e.reason), `unknown drop reason ${e.reason}`).toBe(true);
}

/** The full property for one datagram. */
function checkDatagram(buf: Buffer, secret: Buffer, maxAttributes: number, reveal: boolean): Packet | undefined {
  const verdict = wireVerdict(buf, maxAttributes);
  const out = timed(() => decodePacket(buf, dict, { maxAttributes, ...(reveal ? { secret } : {}) }));
  if (!out.ok) {
    expectPacketError(out.error, 'decodePacket');
    expect(verdict, `decoder dropped (${out.error.reason}: ${out.error.message}) a datagram the oracle accepts`).not.toBe('ok');
    expect(verdict).toContain(out.error.reason);
    return undefined;
  }
  expect(verdict, 'decoder accepted a datagram the oracle rejects').toBe('ok');
  const p = out.value;
  const length = buf.readUInt16BE(2);
  expect(p.code).toBe(buf[0]);
  expect(p.identifier).toBe(buf[1]);
  expect(p.authenticator.equals(buf.subarray(4, 20))).toBe(true);
  // No amplification: the decoded values together are never bigger than the datagram's
  // attribute area (password reveal pads at most to the hidden length).
  let total = 0;
  for (const a of p.attributes) {
    expect(Buffer.isBuffer(a.value)).toBe(true);
    expect(typeof a.def.name).toBe('string');
    expect(a.def.name.length).toBeGreaterThan(0);
    if (a.tag !== undefined) expect(a.tag >= 1 && a.tag <= 31).toBe(true);
    total += a.value.length;
  }
  expect(total).toBeLessThanOrEqual(length - 20);
  expect(p.attributes.length).toBeLessThanOrEqual(length - 20);
  const v = timed(() => verifyRequest(buf, checkPacket(buf), secret));
  if (!v.ok) expectPacketError(v.error, 'verifyRequest');
  const strict = timed(() => verifyRequest(buf, checkPacket(buf), secret, { requireMessageAuthenticator: true }));
  if (!strict.ok) expectPacketError(strict.error, 'verifyRequest(require MA)');
  return p;
}

/** Rewrites the Length field to the datagram's size so mutations reach the attribute walk. */
function fixLength(b: Buffer): Buffer {
  if (b.length >= 4) b.writeUInt16BE(Math.min(b.length, 0xffff), 2);
  return b;
}

describe('fuzz: packet decoder', () => {
  const seeds = allSeeds();

  it('the seeds themselves decode and verify as built', () => {
    expect(seeds.length).toBeGreaterThanOrEqual(30);
    for (const seed of structuredSeeds()) {
      const out = timed(() => decodePacket(seed.packet, dict, { secret: seed.secret }));
      expect(out.ok, `${seed.name}: ${out.ok ? '' : describeError(out.error)}`).toBe(seed.decodes);
      if (out.ok && seed.verifies !== undefined) {
        const v = timed(() => verifyRequest(seed.packet, checkPacket(seed.packet), seed.secret));
        expect(v.ok, `${seed.name} verify: ${v.ok ? '' : describeError(v.error)}`).toBe(seed.verifies);
      }
      checkDatagram(seed.packet, seed.secret, 200, true);
    }
    for (const seed of seeds) checkDatagram(seed.packet, seed.secret, 200, false);
  });

  it('decodes the seed VSAs by name (all vendor formats)', () => {
    const names = (name: string) =>
      decodePacket(structuredSeeds().find((s) => s.name === name)!.packet, dict).attributes.map((a) => a.def.name);
    expect(names('vsa-vutlan-multiple-subattributes-in-one')).toEqual(
      expect.arrayContaining(['SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite', 'RFU1', 'RFU2']),
    );
    expect(names('vsa-cisco-avpair-repeated').filter((n) => n === 'Cisco-AVPair')).toHaveLength(3);
    expect(names('status-server-statistics')).toContain('FreeRADIUS-Statistics-Type');
  });

  it('random datagrams', { timeout: TEST_TIMEOUT_MS }, () => {
    const datagram = fc.oneof(
      fc.uint8Array({ maxLength: 4200 }).map((u) => Buffer.from(u)),
      // Mostly-valid headers so the attribute walk is reached.
      fc.tuple(fc.integer({ min: 0, max: 60 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 600 }))
        .map(([code, a, body]) => fixLength(Buffer.concat([Buffer.from([code, 1, 0, 0]), a, body]))),
      // Sequences of small well-formed-looking attributes.
      fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })), { maxLength: 120 })
        .map((attrs) => fixLength(Buffer.concat([Buffer.from([1, 9, 0, 0]), Buffer.alloc(16), ...attrs.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v]))]))),
    );
    fc.assert(
      fc.property(datagram, fc.integer({ min: 1, max: 250 }), fc.boolean(), (buf, maxAttributes, reveal) => {
        checkDatagram(buf, Buffer.from('testing123'), maxAttributes, reveal);
      }),
      fuzzParams(50_000, 2_000),
    );
  });

  it('mutations of the seeds (with and without Length fixed up)', { timeout: TEST_TIMEOUT_MS }, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        byteMutations,
        fc.boolean(),
        fc.constantFrom(200, 200, 50, 5),
        fc.boolean(),
        (which, edits, fix, maxAttributes, reveal) => {
          const seed: Seed = seeds[which]!;
          let buf = applyByteMutations(seed.packet, edits);
          if (fix) buf = fixLength(buf);
          checkDatagram(buf, seed.secret, maxAttributes, reveal);
        },
      ),
      fuzzParams(50_000, 2_000),
    );
  });

  it('VSA bodies of every vendor format with random sub-attribute chains', { timeout: TEST_TIMEOUT_MS }, () => {
    const vendors = [39052, 9, 429, 4846, 8164, 24757, 11344, 99999, 0];
    const body = fc.tuple(fc.constantFrom(...vendors), fc.uint8Array({ maxLength: 120 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 20 })), { maxLength: 8 }), fc.boolean());
    fc.assert(
      fc.property(body, ([vendor, junk, subs, structured]) => {
        const vid = Buffer.alloc(4);
        vid.writeUInt32BE(vendor);
        const inner = structured
          ? Buffer.concat(subs.map(([t, v]) => Buffer.concat([Buffer.from([t, v.length + 2]), v])))
          : Buffer.from(junk);
        const value = Buffer.concat([vid, inner]).subarray(0, 253);
        const pkt = fixLength(Buffer.concat([Buffer.from([1, 7, 0, 0]), Buffer.alloc(16), Buffer.from([26, value.length + 2]), value]));
        checkDatagram(pkt, Buffer.from('s'), 200, false);
      }),
      fuzzParams(30_000, 1_500),
    );
  });
});
