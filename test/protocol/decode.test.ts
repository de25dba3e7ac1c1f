import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPacket, decodePacket, peekHeader } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { PacketError, type PacketDropReason } from '../../src/protocol/errors.js';
import { attrs, datagram, vsa, type RawAttr } from './raw-packet.js';
import { prng, prngBytes } from '../support/prng.js';

const LOCAL_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
const SECRET = Buffer.from('xyzzy5461');
// RFC 2865 section 7.1: Access-Request for nemo / arctangent from NAS 192.168.1.16 port 3.
const RFC2865_REQUEST = Buffer.from(
  '01000038' + '0f403f9473978057bd83d5cb98f4227a' +
  '01066e656d6f' + '02120dbe708d93d413ce3196e43f782a0aee' + '0406c0a80110' + '050600000003',
  'hex',
);

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(LOCAL_DICTIONARY);
});

function dropReason(buf: Buffer, opts?: { maxAttributes?: number }): PacketDropReason | 'accepted' {
  try {
    decodePacket(buf, dict, opts);
    return 'accepted';
  } catch (err) {
    if (err instanceof PacketError) return err.reason;
    throw err;
  }
}

const AUTH = Buffer.alloc(16, 0xab);
const req = (list: RawAttr[], length?: number) => datagram(1, 7, AUTH, attrs(list), length);

describe('decodePacket on the RFC 2865 section 7.1 Access-Request', () => {
  it('decodes the header and the four attributes by name, in wire order', () => {
    const p = decodePacket(RFC2865_REQUEST, dict);
    expect(p.code).toBe(1);
    expect(p.identifier).toBe(0);
    expect(p.authenticator.toString('hex')).toBe('0f403f9473978057bd83d5cb98f4227a');
    expect(p.attributes.map((a) => a.def.name)).toEqual(['User-Name', 'User-Password', 'NAS-IP-Address', 'NAS-Port']);
    expect(p.attributes[0]!.value.toString()).toBe('nemo');
    expect(p.attributes[1]!.value.toString('hex')).toBe('0dbe708d93d413ce3196e43f782a0aee');
    expect(p.attributes[2]!.value.toString('hex')).toBe('c0a80110');
    expect(p.attributes[3]!.value.readUInt32BE(0)).toBe(3);
  });

  it('reveals User-Password "arctangent" when given the secret', () => {
    const p = decodePacket(RFC2865_REQUEST, dict, { secret: SECRET });
    expect(p.attributes[1]!.value.toString()).toBe('arctangent');
  });
});

describe('checkPacket: the structural pass before verification', () => {
  it('records the header, where Message-Authenticator is, EAP-Message and Proxy-State values', () => {
    const buf = req([[1, 'bob'], [33, 'ps-1'], [80, Buffer.alloc(16)], [79, Buffer.of(2, 1, 0, 4)], [33, 'ps-2']]);
    const layout = checkPacket(buf);
    expect(layout).toMatchObject({ code: 1, identifier: 7, length: buf.length, hasEap: true });
    // header 20 + User-Name 5 + Proxy-State 6, then Message-Authenticator's type and length octets
    expect(layout.messageAuthenticator).toBe(20 + 5 + 6 + 2);
    expect(layout.proxyState?.map((v) => v.toString())).toEqual(['ps-1', 'ps-2']);
  });

  it('says "absent" and "more than one" for Message-Authenticator, and nothing for no Proxy-State', () => {
    const none = checkPacket(req([[1, 'bob']]));
    expect(none).toMatchObject({ messageAuthenticator: -1, hasEap: false, proxyState: undefined });
    expect(checkPacket(req([[80, Buffer.alloc(16)], [80, Buffer.alloc(16)]])).messageAuthenticator).toBe(-2);
  });

  it('throws the same drop codes as decodePacket', () => {
    expect(() => checkPacket(req([[80, Buffer.alloc(10)]]))).toThrowError('Message-Authenticator has invalid length 10');
    expect(() => checkPacket(datagram(0, 1, AUTH, Buffer.alloc(0)))).toThrowError('Invalid packet code 0');
  });
});

describe('peekHeader', () => {
  it('reads code, identifier and length', () => {
    expect(peekHeader(RFC2865_REQUEST)).toEqual({ code: 1, identifier: 0, length: 56 });
  });
  it('drops datagrams shorter than a header or than their Length', () => {
    expect(() => peekHeader(Buffer.alloc(19))).toThrow(PacketError);
    const truncated = RFC2865_REQUEST.subarray(0, 40);
    expect(() => peekHeader(truncated)).toThrowError(/received 40 octets, packet length says 56/);
  });
  it('drops Length outside 20..4096', () => {
    const small = Buffer.from(RFC2865_REQUEST);
    small.writeUInt16BE(19, 2);
    const big = Buffer.concat([RFC2865_REQUEST, Buffer.alloc(4100)]);
    big.writeUInt16BE(4097, 2);
    for (const b of [small, big]) {
      try {
        peekHeader(b);
        expect.unreachable();
      } catch (err) {
        expect((err as PacketError).reason).toBe('bad_length');
      }
    }
  });
});

describe('decodePacket drops malformed packets (FreeRADIUS rad_packet_ok)', () => {
  const cases: [string, Buffer, PacketDropReason | 'accepted'][] = [
    ['19-octet datagram', Buffer.alloc(19, 1), 'too_short'],
    ['datagram shorter than Length (truncated)', req([[1, 'bob']], 40), 'too_short'],
    ['Length below 20', req([[1, 'bob']], 12), 'bad_length'],
    ['Length above 4096', Buffer.concat([req([]), Buffer.alloc(4090)]).fill(0, 20), 'accepted'],
    ['code 0', datagram(0, 1, AUTH, attrs([[1, 'bob']])), 'bad_code'],
    ['code 52', datagram(52, 1, AUTH, attrs([[1, 'bob']])), 'bad_code'],
    ['code 255', datagram(255, 1, AUTH, attrs([[1, 'bob']])), 'bad_code'],
    ['attribute of length 1', datagram(1, 1, AUTH, Buffer.from([1, 1, 0x41])), 'attribute_too_short'],
    ['attribute of length 0', datagram(1, 1, AUTH, Buffer.from([1, 0, 0x41, 0x41])), 'attribute_too_short'],
    ['attribute type 0', datagram(1, 1, AUTH, Buffer.from([0, 3, 0x41])), 'attribute_type_zero'],
    ['attribute overflowing the packet', datagram(1, 1, AUTH, Buffer.from([1, 9, 0x41, 0x41])), 'attribute_overflow'],
    ['one leftover octet after the attributes', datagram(1, 1, AUTH, Buffer.from([1, 3, 0x41, 4])), 'attribute_too_short'],
    ['Message-Authenticator of 10 octets', req([[80, Buffer.alloc(10)]]), 'bad_message_authenticator_length'],
    ['Message-Authenticator of 17 octets', req([[80, Buffer.alloc(17)]]), 'bad_message_authenticator_length'],
    ['EAP-Message with User-Password', req([[79, Buffer.from('0201000501', 'hex')], [2, Buffer.alloc(16)]]), 'eap_with_password'],
    ['EAP-Message with CHAP-Password', req([[3, Buffer.alloc(17)], [79, Buffer.from('0201000501', 'hex')]]), 'eap_with_password'],
    ['zero-length value (length 2) is fine', req([[1, ''], [18, 'x']]), 'accepted'],
  ];
  it.each(cases)('%s', (_name, buf, expected) => {
    // The "above 4096" case: fix the Length field after building.
    if (_name.startsWith('Length above')) {
      buf.writeUInt16BE(4097, 2);
      expect(dropReason(buf)).toBe('bad_length');
      return;
    }
    expect(dropReason(buf)).toBe(expected);
  });

  it('treats octets after Length as padding', () => {
    const padded = Buffer.concat([RFC2865_REQUEST, Buffer.from('junk junk!')]);
    const p = decodePacket(padded, dict);
    expect(p.attributes).toHaveLength(4);
    expect(p.attributes[3]!.def.name).toBe('NAS-Port');
  });

  it('drops more than maxAttributes attributes (default 200), counting each attribute', () => {
    const many = (n: number) => req(Array.from({ length: n }, () => [18, 'x'] as RawAttr));
    expect(dropReason(many(200))).toBe('accepted');
    expect(dropReason(many(201))).toBe('too_many_attributes');
    expect(dropReason(many(10), { maxAttributes: 9 })).toBe('too_many_attributes');
    expect(dropReason(many(10), { maxAttributes: 10 })).toBe('accepted');
  });

  it('drops more than 255 attributes of one kind even when maxAttributes allows more', () => {
    const list = Array.from({ length: 256 }, () => [33, 'p'] as RawAttr);
    expect(dropReason(req(list), { maxAttributes: 1000 })).toBe('too_many_attributes');
    list.pop();
    list.push([18, 'x']);
    expect(dropReason(req(list), { maxAttributes: 1000 })).toBe('accepted');
  });

  it('gives a FreeRADIUS-worded message', () => {
    expect(() => decodePacket(datagram(1, 1, AUTH, Buffer.from([1, 1, 0x41])), dict)).toThrowError('attribute 1 too short');
    expect(() => decodePacket(datagram(1, 1, AUTH, Buffer.from([2, 9, 0x41])), dict)).toThrowError(
      'attribute 2 data overflows the packet',
    );
    expect(() => decodePacket(req([[80, Buffer.alloc(10)]]), dict)).toThrowError('Message-Authenticator has invalid length 10');
  });

  it('never throws anything but PacketError on random input', () => {
    const rnd = prng(60);
    for (let i = 0; i < 2000; i++) {
      const body = prngBytes(rnd, i % 60);
      const buf = datagram(1 + (i % 60), i & 0xff, AUTH, body, i % 7 === 0 ? 20 + body.length + 3 : undefined);
      try {
        decodePacket(buf, dict);
      } catch (err) {
        expect(err).toBeInstanceOf(PacketError);
      }
    }
  });
});

describe('Vendor-Specific decoding', () => {
  it('splits several Vutlan sub-attributes in one attribute 26 into separate Avps', () => {
    const data = Buffer.concat([
      Buffer.of(10, 6), Buffer.from('all,'),
      Buffer.of(11, 8), Buffer.from('users,'),
      Buffer.of(17, 3), Buffer.from('x'),
    ]);
    const p = decodePacket(req([[1, 'bob'], vsa(39052, data), [4, Buffer.of(10, 0, 0, 1)]]), dict);
    expect(p.attributes.map((a) => [a.def.name, a.def.vendorId, a.value.toString('latin1')])).toEqual([
      ['User-Name', 0, 'bob'],
      ['SRead', 39052, 'all,'],
      ['SWrite', 39052, 'users,'],
      ['RFU2', 39052, 'x'],
      ['NAS-IP-Address', 0, '\x0a\x00\x00\x01'],
    ]);
  });

  it('names unknown vendor attributes Attr-26.V.T (octets)', () => {
    const p = decodePacket(req([vsa(39052, Buffer.from([99, 4, 1, 2])), vsa(65000, Buffer.from([1, 3, 7]))]), dict);
    expect(p.attributes.map((a) => [a.def.name, a.def.dataType, a.value.toString('hex')])).toEqual([
      ['Attr-26.39052.99', 'octets', '0102'],
      ['Attr-26.65000.1', 'octets', '07'],
    ]);
  });

  it('decodes format 2,1 (Lucent), 4,0 (USR) and 1,0 vendors', () => {
    // Lucent 4846: type(2) length(1) counts type+length+value.
    const lucent = Buffer.concat([Buffer.of(0, 2, 7), Buffer.from('abcd'), Buffer.of(0x01, 0x2c, 4), Buffer.from('z')]);
    // USR 429: type(4, first octet 0), no length: fills the rest.
    const usr = Buffer.concat([Buffer.of(0, 0, 0x00, 102), Buffer.from('5551234')]);
    const p = decodePacket(req([vsa(4846, lucent), vsa(429, usr)]), dict);
    expect(p.attributes.map((a) => [a.def.name, a.value.toString()])).toEqual([
      [dict.attributeByCode(4846, 2)!.name, 'abcd'],
      [dict.attributeByCode(4846, 300)!.name, 'z'],
      ['USR-Last-Number-Dialed-Out', '5551234'],
    ]);
    const custom = loadDictionary('/virtual/dictionary', {
      base: false,
      readText: () => 'VENDOR Ten 10 format=1,0\nATTRIBUTE Ten-Name 5 string Ten\n',
    });
    const q = decodePacket(req([vsa(10, Buffer.concat([Buffer.of(5), Buffer.from('whole rest')]))]), custom);
    expect(q.attributes.map((a) => [a.def.name, a.value.toString()])).toEqual([['Ten-Name', 'whole rest']]);
  });

  it('keeps a malformed VSA as one raw Attr-26 instead of dropping the packet', () => {
    const cases = [
      Buffer.from([0, 0, 0x98]), // shorter than a vendor id + one octet
      Buffer.from([0, 0, 0x98, 0x8c, 10, 9, 0x41]), // sub-length overflows
      Buffer.from([0, 0, 0x98, 0x8c, 10, 1]), // sub-length below 2
      Buffer.from([0, 0, 0x98, 0x8c, 10, 3, 0x41, 11]), // trailing octet
      Buffer.from([0, 0, 0x98, 0x8c, 0, 3, 0x41]), // sub-attribute type 0
      Buffer.from([1, 0, 0x98, 0x8c, 10, 3, 0x41]), // vendor id high octet not 0
    ];
    for (const value of cases) {
      const p = decodePacket(req([[1, 'bob'], [26, value], [5, Buffer.of(0, 0, 0, 1)]]), dict);
      expect(p.attributes.map((a) => a.def.name)).toEqual(['User-Name', 'Attr-26', 'NAS-Port']);
      expect(p.attributes[1]!.value.equals(value)).toBe(true);
    }
  });

  it('gives Attr-N to unknown standard attributes', () => {
    const free = Array.from({ length: 255 }, (_, i) => i + 1).find((t) => !dict.standardAttribute(t))!;
    const p = decodePacket(req([[free, 'raw']]), dict);
    expect(p.attributes[0]!.def.name).toBe(`Attr-${free}`);
    expect(p.attributes[0]!.def.dataType).toBe('octets');
  });
});

describe('tagged attributes (RFC 2868)', () => {
  it('splits the tag octet off strings and out of the top octet of integers', () => {
    const p = decodePacket(
      req([[81, Buffer.from('\x01100')], [64, Buffer.of(1, 0, 0, 13)], [81, 'plain'], [64, Buffer.of(0, 0, 0, 3)]]),
      dict,
    );
    const view = p.attributes.map((a) => [a.def.name, a.tag, a.value.toString('hex')]);
    expect(view).toEqual([
      ['Tunnel-Private-Group-Id', 1, Buffer.from('100').toString('hex')],
      ['Tunnel-Type', 1, '0000000d'],
      ['Tunnel-Private-Group-Id', undefined, Buffer.from('plain').toString('hex')],
      ['Tunnel-Type', undefined, '00000003'],
    ]);
  });
});

describe('extended attributes (RFC 6929)', () => {
  it('decodes a short extended attribute by its extended type', () => {
    const p = decodePacket(req([[241, Buffer.of(1, 0, 0, 0, 2)]]), dict);
    expect(p.attributes[0]!.def.name).toBe('Frag-Status');
    expect(p.attributes[0]!.value.toString('hex')).toBe('00000002');
  });
});
