/**
 * Minimal reproductions of bugs the fuzzers found, one per test, kept so they stay fixed.
 * Each names the fuzz property and the counterexample it shrank to.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(new URL('../../dictionaries/dictionary', import.meta.url).pathname);
});

/** An Access-Request (id 9, zero authenticator) around raw attribute octets. */
function request(attrs: number[]): Buffer {
  const b = Buffer.from([1, 9, 0, 0, ...new Array<number>(16).fill(0), ...attrs]);
  b.writeUInt16BE(b.length, 2);
  return b;
}

describe('fuzz regressions: decoder', () => {
  // decoder.test.ts "random datagrams": [..., 83, 6, 32, 0, 0, 0] decoded Tunnel-Preference with
  // tag 32. RFC 2868 tags are 0x01..0x1F; the Avp contract says tag is 1..31 or undefined.
  it('a tagged integer whose tag octet is >= 0x20 carries no tag (Tunnel-Preference)', () => {
    const p = decodePacket(request([83, 6, 0x20, 0, 0, 5]), dict);
    expect(p.attributes[0]!.def.name).toBe('Tunnel-Preference');
    expect(p.attributes[0]!.tag).toBeUndefined();
    expect(p.attributes[0]!.value.readUInt32BE(0)).toBe(5);
  });

  it('a tagged integer with a valid tag keeps it (Tunnel-Type:1 = VLAN)', () => {
    const p = decodePacket(request([64, 6, 0x01, 0, 0, 13]), dict);
    expect(p.attributes[0]!.tag).toBe(1);
    expect(p.attributes[0]!.value.readUInt32BE(0)).toBe(13);
  });
});
