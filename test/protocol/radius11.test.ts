import { beforeAll, describe, expect, it } from 'vitest';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { decodePacket } from '../../src/protocol/decode.js';
import { PacketError } from '../../src/protocol/errors.js';
import { decodePacket11, encodeRequest11, encodeResponse11, readToken, tokenField } from '../../src/protocol/radius11.js';

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(new URL('../../dictionaries/dictionary', import.meta.url).pathname);
});

const avp = (name: string, value: Buffer | string, tag?: number) => ({
  def: dict.attributeByName(name)!,
  value: typeof value === 'string' ? Buffer.from(value) : value,
  ...(tag !== undefined ? { tag } : {}),
});

/** Attributes of a packet as [type, value hex], read by hand. */
function wireAttrs(buf: Buffer): [number, string][] {
  const out: [number, string][] = [];
  for (let off = 20; off < buf.readUInt16BE(2); off += buf[off + 1]!) out.push([buf[off]!, buf.subarray(off + 2, off + buf[off + 1]!).toString('hex')]);
  return out;
}

describe('RADIUS/1.1 codec (RFC 9765)', () => {
  it('encodes a request with the Token, Reserved-1 zero, 12 zero octets and the User-Password in plain', () => {
    const buf = encodeRequest11({ code: 1, token: 0x01020304, attributes: [avp('User-Name', 'bob'), avp('User-Password', 'secret-pw')], dictionary: dict });
    expect(buf.subarray(0, 20).toString('hex')).toBe(`0100${buf.length.toString(16).padStart(4, '0')}01020304${'00'.repeat(12)}`);
    expect(wireAttrs(buf)).toEqual([[1, Buffer.from('bob').toString('hex')], [2, Buffer.from('secret-pw').toString('hex')]]);
    expect(readToken(buf)).toBe(0x01020304);
  });

  it('encodes a reply without Message-Authenticator or Response Authenticator; Tunnel-Password tagged and plain', () => {
    const buf = encodeResponse11({
      code: 2, token: 0xffffffff,
      attributes: [avp('Reply-Message', 'hi'), avp('Tunnel-Password', 'tunnel-pw', 1)],
      proxyState: [Buffer.from('ps1')],
      dictionary: dict,
    });
    expect(buf[0]).toBe(2);
    expect(buf[1]).toBe(0);
    expect(buf.subarray(4, 20).equals(tokenField(0xffffffff))).toBe(true);
    expect(wireAttrs(buf)).toEqual([
      [18, Buffer.from('hi').toString('hex')],
      [69, `01${Buffer.from('tunnel-pw').toString('hex')}`],
      [33, Buffer.from('ps1').toString('hex')],
    ]);
  });

  it('decodes a request as sent: plain password, Message-Authenticator dropped, Reserved-1 ignored', () => {
    const buf = encodeRequest11({ code: 1, token: 7, attributes: [avp('User-Name', 'bob'), avp('User-Password', 'pw')], dictionary: dict });
    const withMa = Buffer.concat([buf, Buffer.from([80, 18, ...new Array(16).fill(9)])]);
    withMa.writeUInt16BE(withMa.length, 2);
    withMa[1] = 0x55;
    const p = decodePacket11(withMa, dict);
    expect(p.identifier).toBe(0);
    expect(p.attributes.map((a) => a.def.name)).toEqual(['User-Name', 'User-Password']);
    expect(p.attributes[1]!.value.toString()).toBe('pw');
    // the RFC 2865 decoder would have "revealed" it with a secret; 1.1 takes it as is
    expect(decodePacket(withMa, dict).attributes.some((a) => a.def.name === 'Message-Authenticator')).toBe(true);
  });

  it('refuses a User-Password outside 1..128 octets and CHAP without CHAP-Challenge', () => {
    const empty = Buffer.from([1, 0, 0, 22, 0, 0, 0, 1, ...new Array(12).fill(0), 2, 2]);
    expect(() => decodePacket11(empty, dict)).toThrow(PacketError);
    const long = encodeRequest11({ code: 1, token: 1, attributes: [avp('User-Name', 'x')], dictionary: dict });
    const pw = Buffer.concat([long, Buffer.from([2, 131]), Buffer.alloc(129, 0x61)]);
    pw.writeUInt16BE(pw.length, 2);
    expect(() => decodePacket11(pw, dict)).toThrow(/1\.\.128/);
    const chap = encodeRequest11({ code: 1, token: 1, attributes: [avp('User-Name', 'x'), avp('CHAP-Password', Buffer.alloc(17, 1))], dictionary: dict });
    try {
      decodePacket11(chap, dict);
      expect.unreachable();
    } catch (err) {
      expect((err as PacketError).reason).toBe('chap_without_challenge');
    }
    const chapOk = encodeRequest11({ code: 1, token: 1, attributes: [avp('User-Name', 'x'), avp('CHAP-Password', Buffer.alloc(17, 1)), avp('CHAP-Challenge', Buffer.alloc(16, 2))], dictionary: dict });
    expect(decodePacket11(chapOk, dict).attributes).toHaveLength(3);
  });
});
