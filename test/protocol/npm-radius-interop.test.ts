/**
 * Cross-checks with an implementation that is not ours: npm `radius` 1.1.4.
 * Packets it encodes are decoded and verified by us; packets we encode are decoded and verified
 * by it, with the Vutlan attributes known by name.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import radius from 'radius';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Avp } from '../../src/protocol/attribute.js';
import { checkPacket, decodePacket, verifyRequest } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { encodeRequest, encodeResponse, isAuthenticResponse } from '../../src/protocol/encode.js';
import { PacketError } from '../../src/protocol/errors.js';

const LOCAL_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
const VUTLAN_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary.vutlan', import.meta.url));
const SECRET = 'testing123';
const KEY = Buffer.from(SECRET);

/**
 * npm `radius` reads vendor attributes only inside BEGIN-VENDOR blocks (it ignores the vendor
 * name in the 4th column, the device manual's style our file keeps for FreeRADIUS), so the same
 * definitions are handed to it in block form.
 */
function blockForm(text: string): string {
  const lines = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  const vendor = lines.filter((l) => /^VENDOR\s/.test(l));
  const attributes = lines
    .filter((l) => /^ATTRIBUTE\s/.test(l))
    .map((l) => l.split(/\s+/).slice(0, 4).join(' '));
  return [...vendor, 'BEGIN-VENDOR Vutlan', ...attributes, 'END-VENDOR Vutlan', ''].join('\n');
}

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(LOCAL_DICTIONARY);
  const dir = mkdtempSync(join(tmpdir(), 'npm-radius-dict-'));
  const file = join(dir, 'dictionary.vutlan');
  writeFileSync(file, blockForm(readFileSync(VUTLAN_DICTIONARY, 'utf8')));
  radius.add_dictionary(file);
});

const avp = (name: string, value: string | Buffer): Avp => ({
  def: dict.attributeByName(name)!,
  value: typeof value === 'string' ? Buffer.from(value) : value,
});

describe('npm radius -> our decoder', () => {
  it('decodes and verifies an Access-Request with Message-Authenticator and User-Password', () => {
    const packet = radius.encode({
      code: 'Access-Request',
      secret: SECRET,
      identifier: 42,
      attributes: [['User-Name', 'username01'], ['User-Password', 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3'], ['NAS-IP-Address', '10.1.2.3']],
      add_message_authenticator: true,
    });
    const p = decodePacket(packet, dict, { secret: KEY });
    expect(verifyRequest(packet, checkPacket(packet), KEY)).toEqual({ hadMessageAuthenticator: true });
    expect(p.identifier).toBe(42);
    const byName = Object.fromEntries(p.attributes.map((a) => [a.def.name, a.value]));
    expect(byName['User-Name']!.toString()).toBe('username01');
    expect(byName['User-Password']!.toString()).toBe('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3');
    expect([...byName['NAS-IP-Address']!]).toEqual([10, 1, 2, 3]);
    expect(() => verifyRequest(packet, checkPacket(packet), Buffer.from('wrong'))).toThrowError(PacketError);
  });

  it('verifies npm radius Status-Server and Accounting-Request packets', () => {
    const status = radius.encode({ code: 'Status-Server', secret: SECRET, identifier: 1, attributes: [] });
    expect(verifyRequest(status, checkPacket(status), KEY).hadMessageAuthenticator).toBe(true);
    const acct = radius.encode({
      code: 'Accounting-Request',
      secret: SECRET,
      identifier: 2,
      attributes: [['User-Name', 'bob'], ['Acct-Status-Type', 'Start'], ['Acct-Session-Id', 's1']],
    });
    const p = decodePacket(acct, dict);
    expect(verifyRequest(acct, checkPacket(acct), KEY).hadMessageAuthenticator).toBe(false);
    expect(p.attributes.map((a) => a.def.name)).toEqual(['User-Name', 'Acct-Status-Type', 'Acct-Session-Id']);
    try {
      verifyRequest(acct, checkPacket(acct), Buffer.from('wrong'));
      expect.unreachable();
    } catch (err) {
      expect((err as PacketError).reason).toBe('bad_request_authenticator');
    }
  });

  it('decodes several Vutlan sub-attributes packed by npm radius into one attribute 26', () => {
    const packet = radius.encode({
      code: 'Access-Request',
      secret: SECRET,
      identifier: 3,
      attributes: [['User-Name', 'u'], ['Vendor-Specific', 39052, [['SRead', 'all,'], ['GRead', 'all'], ['RFU1', 'r']]]],
    });
    const p = decodePacket(packet, dict);
    expect(p.attributes.map((a) => `${a.def.name}=${a.value.toString()}`)).toEqual([
      'User-Name=u', 'SRead=all,', 'GRead=all', 'RFU1=r',
    ]);
  });
});

describe('our encoder -> npm radius', () => {
  it('a reply to an npm radius request is authentic to it and shows the Vutlan attributes by name', () => {
    const request = radius.encode({
      code: 'Access-Request',
      secret: SECRET,
      identifier: 9,
      attributes: [['User-Name', 'username01'], ['User-Password', 'x'], ['Proxy-State', Buffer.from('hop1')]],
      add_message_authenticator: true,
    });
    const p = decodePacket(request, dict);
    const reply = encodeResponse({
      code: 2,
      identifier: p.identifier,
      requestAuthenticator: p.authenticator,
      secret: KEY,
      attributes: [avp('SRead', 'all,'), avp('SWrite', 'users,log,'), avp('GRead', 'all'), avp('GWrite', 'none'), avp('Reply-Message', 'welcome')],
      proxyState: p.attributes.filter((a) => a.def.name === 'Proxy-State').map((a) => a.value),
    });
    expect(radius.verify_response({ request, response: reply, secret: SECRET })).toBe(true);
    expect(radius.verify_response({ request, response: reply, secret: 'other' })).toBe(false);
    const decoded = radius.decode({ packet: reply, secret: SECRET });
    expect(decoded.code).toBe('Access-Accept');
    expect(decoded.identifier).toBe(9);
    expect(decoded.attributes['Vendor-Specific']).toEqual({ SRead: 'all,', SWrite: 'users,log,', GRead: 'all', GWrite: 'none' });
    expect(decoded.attributes['Reply-Message']).toBe('welcome');
    expect(decoded.attributes['Proxy-State']).toEqual(Buffer.from('hop1'));
    expect(decoded.attributes['Message-Authenticator']).toBeInstanceOf(Buffer);
  });

  it('an Access-Request from encodeRequest passes npm radius verification and password decoding', () => {
    const { buffer, authenticator } = encodeRequest({
      code: 1,
      identifier: 200,
      secret: KEY,
      attributes: [avp('User-Name', 'username01'), avp('User-Password', 'a-longer-password-over-16'), avp('NAS-IP-Address', Buffer.of(192, 0, 2, 1))],
    });
    const decoded = radius.decode({ packet: buffer, secret: SECRET });
    expect(decoded.code).toBe('Access-Request');
    expect(decoded.attributes['User-Password']).toBe('a-longer-password-over-16');
    expect(decoded.attributes['NAS-IP-Address']).toBe('192.0.2.1');
    expect(decoded.attributes['Message-Authenticator']).toBeInstanceOf(Buffer);
    expect(() => radius.decode({ packet: buffer, secret: 'wrong' })).toThrow();

    const npmReply = radius.encode_response({ packet: decoded, code: 'Access-Accept', secret: SECRET, attributes: [['Reply-Message', 'ok']] });
    expect(isAuthenticResponse(npmReply, authenticator, KEY)).toBe(true);
    expect(isAuthenticResponse(npmReply, authenticator, Buffer.from('wrong'))).toBe(false);
  });

  it('an Accounting-Request from encodeRequest verifies in npm radius', () => {
    const { buffer } = encodeRequest({
      code: 4,
      identifier: 7,
      secret: KEY,
      attributes: [avp('User-Name', 'bob'), avp('Acct-Status-Type', Buffer.of(0, 0, 0, 1)), avp('Acct-Session-Id', 'abc')],
    });
    const decoded = radius.decode({ packet: buffer, secret: SECRET });
    expect(decoded.attributes['Acct-Status-Type']).toBe('Start');
    expect(() => radius.decode({ packet: buffer, secret: 'wrong' })).toThrow();
  });
});
