import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Avp } from '../../src/protocol/attribute.js';
import { decodePacket } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { ReplyTooLargeError, encodeRequest, encodeResponse, isAuthenticResponse } from '../../src/protocol/encode.js';
import { md5 } from './raw-packet.js';

const LOCAL_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
const KEY = Buffer.from('xyzzy5461');
const RFC2865_RA = Buffer.from('0f403f9473978057bd83d5cb98f4227a', 'hex');
const AUTH = Buffer.from('8a54f4686fb394c52866e302185d0623', 'hex');

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(LOCAL_DICTIONARY);
});
const avp = (name: string, value: Buffer | string, tag?: number): Avp => {
  const a: Avp = { def: dict.attributeByName(name)!, value: typeof value === 'string' ? Buffer.from(value) : value };
  if (tag !== undefined) a.tag = tag;
  return a;
};
const u32 = (n: number) => Buffer.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);

describe('encodeResponse', () => {
  it('reproduces the RFC 2865 7.1 Access-Accept byte for byte (without Message-Authenticator)', () => {
    const reply = encodeResponse({
      code: 2,
      identifier: 0,
      requestAuthenticator: RFC2865_RA,
      secret: KEY,
      messageAuthenticator: false,
      attributes: [avp('Service-Type', u32(1)), avp('Login-Service', u32(0)), avp('Login-IP-Host', Buffer.of(192, 168, 1, 3))],
    });
    expect(reply.toString('hex')).toBe(
      '02000026' + '86fe220e7624ba2a1005f6bf9b55e0b2' + '060600000001' + '0f0600000000' + '0e06c0a80103',
    );
  });

  it('answers the RFC 5997 Status-Server with the expected Response Authenticator', () => {
    const reply = encodeResponse({ code: 2, identifier: 0xda, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false, attributes: [] });
    expect(reply.toString('hex').startsWith('02da0014ef0d552a4bf2d693')).toBe(true);
    expect(reply.subarray(4).equals(md5(Buffer.from('02da0014', 'hex'), AUTH, KEY))).toBe(true);
  });

  it('puts Message-Authenticator first, computed over the Request Authenticator, then signs (RFC 3579 3.2)', () => {
    const reply = encodeResponse({
      code: 2,
      identifier: 77,
      requestAuthenticator: AUTH,
      secret: KEY,
      attributes: [avp('SRead', 'all,'), avp('Reply-Message', 'hi')],
      proxyState: [Buffer.from('ps-1'), Buffer.from('ps-2')],
    });
    expect(reply[20]).toBe(80);
    expect(reply[21]).toBe(18);
    const copy = Buffer.from(reply);
    AUTH.copy(copy, 4);
    copy.fill(0, 22, 38);
    const mac = createHmac('md5', KEY).update(copy).digest();
    expect(reply.subarray(22, 38).equals(mac)).toBe(true);
    const withMac = Buffer.from(copy);
    mac.copy(withMac, 22);
    expect(reply.subarray(4, 20).equals(md5(withMac, KEY))).toBe(true);
    expect(isAuthenticResponse(reply, AUTH, KEY)).toBe(true);

    const names = decodePacket(reply, dict).attributes.map((a) => `${a.def.name}=${a.value.toString('latin1')}`);
    expect(names.slice(1)).toEqual(['SRead=all,', 'Reply-Message=hi', 'Proxy-State=ps-1', 'Proxy-State=ps-2']);
  });

  it('writes the Vutlan attributes one VSA each, as FreeRADIUS does', () => {
    const reply = encodeResponse({
      code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false,
      attributes: [avp('SRead', 'all,'), avp('GWrite', 'none')],
    });
    expect(reply.subarray(20).toString('hex')).toBe(
      '1a0c' + '0000988c' + '0a06' + Buffer.from('all,').toString('hex') +
      '1a0c' + '0000988c' + '0f06' + Buffer.from('none').toString('hex'),
    );
  });

  it('encodes vendor formats 2,1 / 4,0 / 2,2 from the dictionary', () => {
    const lucent = [...dict.attributes()].find((d) => d.vendorId === 4846 && d.type === 300 && d.dataType === 'string');
    const reply = encodeResponse({
      code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false,
      attributes: [
        { def: dict.attributeByCode(4846, 2)!, value: u32(5) },
        avp('USR-Last-Number-Dialed-Out', '555'),
        { def: dict.attributeByCode(8164, 1)!, value: u32(9) },
        ...(lucent ? [{ def: lucent, value: Buffer.from('z') }] : []),
      ],
    });
    const hex = reply.subarray(20).toString('hex');
    expect(hex.startsWith('1a0d' + '000012ee' + '0002' + '07' + '00000005')).toBe(true);
    expect(hex).toContain('1a0d' + '000001ad' + '00000066' + Buffer.from('555').toString('hex'));
    expect(hex).toContain('1a0e' + '00001fe4' + '0001' + '0008' + '00000009');
    const back = decodePacket(reply, dict).attributes.map((a) => a.def.name);
    expect(back.slice(0, 3)).toEqual([
      dict.attributeByCode(4846, 2)!.name, 'USR-Last-Number-Dialed-Out', dict.attributeByCode(8164, 1)!.name,
    ]);
  });

  it('skips internal, virtual and empty attributes but keeps an empty Chargeable-User-Identity', () => {
    const reply = encodeResponse({
      code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false,
      attributes: [
        avp('Cleartext-Password', 'secret'), // internal 1100
        avp('Auth-Type', u32(1)), // internal 1000
        avp('RFU2', ''), // empty VSA
        avp('Reply-Message', ''),
        avp('Chargeable-User-Identity', ''),
        avp('Class', 'c'),
      ],
    });
    expect(reply.subarray(20).toString('hex')).toBe('5902' + '1903' + '63');
  });

  it('truncates long strings to the room in the attribute', () => {
    const reply = encodeResponse({
      code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false,
      attributes: [avp('Reply-Message', 'x'.repeat(300)), avp('SRead', 'y'.repeat(300))],
    });
    const p = decodePacket(reply, dict);
    expect(p.attributes[0]!.value).toHaveLength(253);
    expect(p.attributes[1]!.value).toHaveLength(247);
  });

  it('leaves out attributes that would exceed 4096 octets, then echoes Proxy-State while it fits', () => {
    const many = Array.from({ length: 40 }, () => avp('Reply-Message', 'm'.repeat(200)));
    const reply = encodeResponse({
      code: 3, identifier: 1, requestAuthenticator: AUTH, secret: KEY, attributes: many, proxyState: [Buffer.from('keep'), Buffer.alloc(200, 1)],
    });
    expect(reply.length).toBeLessThanOrEqual(4096);
    expect(reply.readUInt16BE(2)).toBe(reply.length);
    const p = decodePacket(reply, dict);
    const names = p.attributes.map((a) => a.def.name);
    expect(names.filter((n) => n === 'Reply-Message')).toHaveLength(20);
    // FreeRADIUS (rad_encode) stops at the first attribute that does not fit
    expect(names.slice(-1)).toEqual(['Proxy-State']);
    expect(p.attributes.at(-1)!.value.toString()).toBe('keep');
    expect(isAuthenticResponse(reply, AUTH, KEY)).toBe(true);
  });

  it('never exceeds 4096 octets when the request was full of Proxy-State (attributes first)', () => {
    const proxyState = Array.from({ length: 17 }, (_, i) => Buffer.alloc(i < 16 ? 253 : 40, i));
    const attributes = ['SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite'].map((n) => avp(n, 'all,'));
    const reply = encodeResponse({ code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, attributes, proxyState, allAttributes: true });
    expect(reply.length).toBeLessThanOrEqual(4096);
    const p = decodePacket(reply, dict);
    expect(p.attributes.slice(1, 7).map((a) => a.def.name)).toEqual(['SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite']);
    const echoed = p.attributes.filter((a) => a.def.name === 'Proxy-State');
    expect(echoed.length).toBe(15);
    echoed.forEach((a, i) => expect(a.value.equals(proxyState[i]!)).toBe(true));
    expect(isAuthenticResponse(reply, AUTH, KEY)).toBe(true);
  });

  it('allAttributes: throws ReplyTooLargeError naming the first attribute that does not fit', () => {
    const many = Array.from({ length: 30 }, (_, i) => avp(i === 19 ? 'SRead' : 'Reply-Message', 'm'.repeat(200)));
    expect(() => encodeResponse({ code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, attributes: many, allAttributes: true }))
      .toThrow(ReplyTooLargeError);
    try {
      encodeResponse({ code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, attributes: many, allAttributes: true });
    } catch (err) {
      expect((err as ReplyTooLargeError).attribute).toBe('Reply-Message');
      expect((err as ReplyTooLargeError).needed).toBeGreaterThan(4096);
    }
  });

  it('writes tags: string tag octet, integer top octet, Tunnel-Password hidden with tag', () => {
    const reply = encodeResponse({
      code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false,
      attributes: [avp('Tunnel-Private-Group-Id', '100', 1), avp('Tunnel-Type', u32(13), 1), avp('Tunnel-Password', 'tpw', 2)],
    });
    const hex = reply.subarray(20).toString('hex');
    expect(hex.startsWith('5106' + '01' + '313030' + '4006' + '0100000d' + '45')).toBe(true);
    const p = decodePacket(reply, dict, { secret: KEY });
    // Tunnel-Password is keyed on the request authenticator, so reveal against AUTH explicitly.
    expect(p.attributes.map((a) => [a.def.name, a.tag])).toEqual([
      ['Tunnel-Private-Group-Id', 1], ['Tunnel-Type', 1], ['Tunnel-Password', 2],
    ]);
  });

  it('never copies a Message-Authenticator from the attribute list (only the computed one, first)', () => {
    const stale = avp('Message-Authenticator', Buffer.alloc(16, 7));
    for (const messageAuthenticator of [true, false]) {
      const reply = encodeResponse({
        code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator,
        attributes: [avp('Class', 'c'), stale],
      });
      const names = decodePacket(reply, dict).attributes.map((a) => a.def.name);
      expect(names).toEqual(messageAuthenticator ? ['Message-Authenticator', 'Class'] : ['Class']);
      expect(isAuthenticResponse(reply, AUTH, KEY)).toBe(true);
    }
  });

  it('round-trips RFC 6929 extended and extended-vendor-specific attributes', () => {
    const reply = encodeResponse({
      code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, messageAuthenticator: false,
      attributes: [avp('Frag-Status', u32(2)), avp('FreeRADIUS-802.1X-Anonce', Buffer.alloc(32, 0xaa))],
    });
    expect(reply.subarray(20, 27).toString('hex')).toBe('f10701' + '00000002');
    const back = decodePacket(reply, dict).attributes.map((a) => [a.def.name, a.value.length]);
    expect(back).toEqual([['Frag-Status', 4], ['FreeRADIUS-802.1X-Anonce', 32]]);
  });

  it('does not mutate its inputs', () => {
    const list = [avp('SRead', 'all,')];
    const before = JSON.stringify(list);
    encodeResponse({ code: 2, identifier: 1, requestAuthenticator: AUTH, secret: KEY, attributes: list });
    expect(JSON.stringify(list)).toBe(before);
  });
});

describe('encodeRequest / isAuthenticResponse', () => {
  it('hides User-Password with the authenticator it uses', () => {
    const { buffer, authenticator } = encodeRequest({
      code: 1, identifier: 0, secret: KEY, authenticator: RFC2865_RA, messageAuthenticator: false,
      attributes: [avp('User-Name', 'nemo'), avp('User-Password', 'arctangent'), avp('NAS-IP-Address', Buffer.of(192, 168, 1, 16)), avp('NAS-Port', u32(3))],
    });
    expect(authenticator.equals(RFC2865_RA)).toBe(true);
    expect(buffer.toString('hex')).toBe(
      '010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a80110050600000003',
    );
  });

  it('rejects replies with a wrong authenticator, secret or Message-Authenticator', () => {
    const reply = encodeResponse({ code: 3, identifier: 4, requestAuthenticator: AUTH, secret: KEY, attributes: [] });
    expect(isAuthenticResponse(reply, AUTH, KEY)).toBe(true);
    expect(isAuthenticResponse(reply, Buffer.alloc(16), KEY)).toBe(false);
    expect(isAuthenticResponse(reply, AUTH, Buffer.from('nope'))).toBe(false);
    const badMa = Buffer.from(reply);
    badMa[25] ^= 1;
    md5(Buffer.concat([badMa.subarray(0, 4), AUTH, badMa.subarray(20)]), KEY).copy(badMa, 4);
    expect(isAuthenticResponse(badMa, AUTH, KEY)).toBe(false);
    expect(isAuthenticResponse(reply.subarray(0, 10), AUTH, KEY)).toBe(false);
  });
});
