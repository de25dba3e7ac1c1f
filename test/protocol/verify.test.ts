import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkPacket, verifyRequest } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { encodeRequest, encodeResponse } from '../../src/protocol/encode.js';
import { PacketError, type PacketDropReason } from '../../src/protocol/errors.js';
import { attrs, datagram, md5, signMessageAuthenticator, valueOffset } from './raw-packet.js';

const LOCAL_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
const SECRET = 'xyzzy5461';
const KEY = Buffer.from(SECRET);
// RFC 5997 section 6: Status-Server with Message-Authenticator, ID 218, secret xyzzy5461.
const RFC5997_STATUS_SERVER = Buffer.from(
  '0cda0026' + '8a54f4686fb394c52866e302185d0623' + '5012' + '5a665e2e1e8411f3e243822097c84fa3',
  'hex',
);

let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(LOCAL_DICTIONARY);
});

function verdict(buf: Buffer, secret = KEY, opts?: { requireMessageAuthenticator?: boolean }): PacketDropReason | boolean {
  try {
    return verifyRequest(buf, checkPacket(buf), secret, opts).hadMessageAuthenticator;
  } catch (err) {
    if (err instanceof PacketError) return err.reason;
    throw err;
  }
}

const AUTH = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

describe('Message-Authenticator in requests', () => {
  it('accepts the RFC 5997 Status-Server example and rejects it under another secret', () => {
    expect(verdict(RFC5997_STATUS_SERVER)).toBe(true);
    expect(verdict(RFC5997_STATUS_SERVER, Buffer.from('xyzzy5462'))).toBe('bad_message_authenticator');
  });

  it('requires it in Status-Server', () => {
    const bare = datagram(12, 1, AUTH, Buffer.alloc(0));
    expect(verdict(bare)).toBe('missing_message_authenticator');
  });

  it('verifies it wherever it sits (not only first), over the packet as received', () => {
    const body = attrs([[1, 'bob'], [4, Buffer.of(10, 0, 0, 1)], [80, Buffer.alloc(16)], [5, Buffer.of(0, 0, 0, 1)]]);
    const packet = signMessageAuthenticator(datagram(1, 9, AUTH, body), 20 + 5 + 6 + 2, SECRET);
    expect(verdict(packet)).toBe(true);
    const tampered = Buffer.from(packet);
    tampered[22] ^= 1; // flip a bit of User-Name
    expect(verdict(tampered)).toBe('bad_message_authenticator');
  });

  it('is computed over Length octets only, so padding does not matter', () => {
    const body = attrs([[80, Buffer.alloc(16)], [1, 'bob']]);
    const packet = signMessageAuthenticator(datagram(1, 9, AUTH, body), 22, SECRET);
    expect(verdict(Buffer.concat([packet, Buffer.from('pad')]))).toBe(true);
  });

  it('is required with EAP-Message and when the client requires it', () => {
    const eap = datagram(1, 2, AUTH, attrs([[1, 'bob'], [79, Buffer.from('0201000501', 'hex')]]));
    expect(verdict(eap)).toBe('missing_message_authenticator');
    const pap = datagram(1, 2, AUTH, attrs([[1, 'bob'], [2, Buffer.alloc(16)]]));
    expect(verdict(pap)).toBe(false);
    expect(verdict(pap, KEY, { requireMessageAuthenticator: true })).toBe('missing_message_authenticator');
  });

  it('accepts requests made by encodeRequest (independent HMAC agrees)', () => {
    const { buffer } = encodeRequest({
      code: 1,
      identifier: 3,
      secret: KEY,
      attributes: [{ def: dict.attributeByName('User-Name')!, value: Buffer.from('bob') }],
    });
    expect(buffer[20]).toBe(80); // Message-Authenticator first
    const resigned = signMessageAuthenticator(Buffer.from(buffer), 22, SECRET);
    expect(resigned.equals(buffer)).toBe(true);
    expect(verdict(buffer)).toBe(true);
  });
});

describe('Accounting-Request authenticator (RFC 2866)', () => {
  const body = attrs([[1, 'bob'], [40, Buffer.of(0, 0, 0, 1)], [44, 'sess-1']]);
  const signed = (): Buffer => {
    const p = datagram(4, 5, Buffer.alloc(16), body);
    md5(p, SECRET).copy(p, 4);
    return p;
  };
  it('accepts a correct Request Authenticator and drops a wrong one', () => {
    expect(verdict(signed())).toBe(false);
    const bad = signed();
    bad[10] ^= 0xff;
    expect(verdict(bad)).toBe('bad_request_authenticator');
    expect(verdict(signed(), Buffer.from('other'))).toBe('bad_request_authenticator');
  });
  it('agrees with encodeRequest, including a Message-Authenticator computed with a zero authenticator', () => {
    const { buffer, authenticator } = encodeRequest({
      code: 4,
      identifier: 5,
      secret: KEY,
      messageAuthenticator: true,
      attributes: [{ def: dict.attributeByName('Acct-Session-Id')!, value: Buffer.from('s') }],
    });
    expect(authenticator.equals(buffer.subarray(4, 20))).toBe(true);
    const zeroed = Buffer.from(buffer);
    zeroed.fill(0, 4, 20);
    const ma = valueOffset(buffer, 80);
    expect(signMessageAuthenticator(Buffer.from(zeroed), ma, SECRET).subarray(ma, ma + 16).equals(buffer.subarray(ma, ma + 16))).toBe(true);
    expect(verdict(buffer)).toBe(true);
  });
});

describe('the verification of replies is not confused with requests', () => {
  it('a reply signed by encodeResponse does not verify as a request', () => {
    const reply = encodeResponse({ code: 2, identifier: 1, requestAuthenticator: AUTH, attributes: [], secret: KEY });
    // As a "request" its MA was computed over the Request Authenticator, not this header.
    expect(verdict(Buffer.concat([Buffer.of(1), reply.subarray(1)]))).toBe('bad_message_authenticator');
  });
});
