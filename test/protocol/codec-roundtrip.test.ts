import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { Code, codeName } from '../../src/protocol/codes.js';
import { checkPacket, decodePacket, verifyRequest } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { encodeRequest, encodeResponse, isAuthenticResponse } from '../../src/protocol/encode.js';

const LOCAL_DICTIONARY = fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
let dict: Dictionary;
beforeAll(() => {
  dict = loadDictionary(LOCAL_DICTIONARY);
});

const NAMES = ['SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite', 'RFU1', 'RFU2', 'Reply-Message', 'Class', 'Cisco-AVPair', 'Filter-Id'];

describe('codes', () => {
  it('prints FreeRADIUS names', () => {
    expect(codeName(Code.AccessAccept)).toBe('Access-Accept');
    expect(codeName(Code.StatusServer)).toBe('Status-Server');
    expect(codeName(Code.CoANAK)).toBe('CoA-NAK');
    expect(codeName(99)).toBe('99');
  });
});

describe('encodeResponse -> decodePacket round trip (property)', () => {
  it('keeps order, names and (truncated) values of any non-empty attributes; the reply is authentic', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...NAMES), fc.uint8Array({ minLength: 0, maxLength: 300 })), { maxLength: 12 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 3 }),
        (list, auth, secret, proxy) => {
          const requestAuthenticator = Buffer.from(auth);
          const key = Buffer.from(secret);
          const attributes = list.map(([name, bytes]) => ({ def: dict.attributeByName(name)!, value: Buffer.from(bytes) }));
          const reply = encodeResponse({
            code: Code.AccessAccept, identifier: 5, requestAuthenticator, secret: key, attributes,
            proxyState: proxy.map((p) => Buffer.from(p)),
          });
          expect(isAuthenticResponse(reply, requestAuthenticator, key)).toBe(true);
          const p = decodePacket(reply, dict);
          const expected = attributes
            .filter((a) => a.value.length > 0)
            .map((a) => [a.def.name, a.value.subarray(0, a.def.vendorId ? 247 : 253).toString('hex')]);
          const got = p.attributes.slice(1).map((a) => [a.def.name, a.value.toString('hex')]);
          expect(got).toEqual([...expected, ...proxy.map((x) => ['Proxy-State', Buffer.from(x).toString('hex')])]);
          expect(p.attributes[0]!.def.name).toBe('Message-Authenticator');
        },
      ),
      { numRuns: 300 },
    );
  });

  it('encodeRequest -> decodePacket reveals any password up to 128 octets and verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), fc.string({ minLength: 1, maxLength: 30 }), (pw, secret) => {
        const password = Buffer.from(pw);
        fc.pre(password[password.length - 1] !== 0); // trailing NULs are padding by definition
        const key = Buffer.from(secret);
        const { buffer } = encodeRequest({
          code: Code.AccessRequest, identifier: 1, secret: key,
          attributes: [{ def: dict.attributeByName('User-Password')!, value: password }],
        });
        const p = decodePacket(buffer, dict, { secret: key });
        expect(verifyRequest(buffer, checkPacket(buffer), key).hadMessageAuthenticator).toBe(true);
        expect(p.attributes[1]!.value.equals(password)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
