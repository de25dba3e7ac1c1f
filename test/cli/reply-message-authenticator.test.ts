import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkReplyMessageAuthenticator } from '../../src/cli/test-command.js';
import { prng, prngBytes } from '../support/prng.js';

/** A reply built by hand (not by our encoder): header, then the given attributes. */
function reply(attrs: Buffer[], requestAuthenticator: Buffer, secret: string, maIndex: number | undefined): Buffer {
  const body = Buffer.concat(attrs);
  const packet = Buffer.concat([Buffer.from([2, 7, 0, 0]), requestAuthenticator, body]);
  packet.writeUInt16BE(packet.length, 2);
  if (maIndex !== undefined) {
    const offset = 20 + attrs.slice(0, maIndex).reduce((n, a) => n + a.length, 0) + 2;
    const mac = createHmac('md5', secret).update(packet).digest(); // MA value is still zero here
    mac.copy(packet, offset);
  }
  return packet;
}

const MA = () => Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16)]);
const MSG = Buffer.from([18, 7, ...Buffer.from('hello')]);

describe('checkReplyMessageAuthenticator (vutlan-radius test)', () => {
  const rnd = prng(16);
  const ra = prngBytes(rnd, 16);
  const secret = 'testing123';
  it('accepts a valid Message-Authenticator that comes first', () => {
    expect(checkReplyMessageAuthenticator(reply([MA(), MSG], ra, secret, 0), ra, Buffer.from(secret))).toBe('ok');
  });
  it('tells a valid one that is not first', () => {
    expect(checkReplyMessageAuthenticator(reply([MSG, MA()], ra, secret, 1), ra, Buffer.from(secret))).toBe('not_first');
  });
  it('refuses one made with another secret or another request', () => {
    expect(checkReplyMessageAuthenticator(reply([MA(), MSG], ra, 'other', 0), ra, Buffer.from(secret))).toBe('bad');
    expect(checkReplyMessageAuthenticator(reply([MA(), MSG], ra, secret, 0), prngBytes(rnd, 16), Buffer.from(secret))).toBe('bad');
  });
  it('reports a reply without one', () => {
    expect(checkReplyMessageAuthenticator(reply([MSG], ra, secret, undefined), ra, Buffer.from(secret))).toBe('missing');
  });
});
