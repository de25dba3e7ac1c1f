import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import radius from 'radius';
import { afterEach, describe, expect, it } from 'vitest';
import { freeUdpPort } from '../../src/bench/free-ports.js';
import { DeviceError } from '../../src/device/errors.js';
import { toBlockForm } from '../../src/device/radius-dictionary.js';
import { radiusLogin, type RadiusClientOptions } from '../../src/device/radius-login.js';
import { sha1Hex } from '../../src/device/password-hash.js';
import { startFakeRadius, type FakeRadius } from './fake-radius.js';

const SECRET = 'password123';
let fake: FakeRadius | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

function opts(port: number, more: Partial<RadiusClientOptions> = {}): RadiusClientOptions {
  return { addr: '127.0.0.1', port, secret: SECRET, nasIp: '192.168.1.88', timeoutMs: 300, retries: 1, messageAuthenticator: true, requireMessageAuthenticator: true, ...more };
}

async function refusal(p: Promise<unknown>): Promise<DeviceError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(DeviceError);
  return err as DeviceError;
}

describe('toBlockForm', () => {
  it('moves 5th-column vendor attributes into a BEGIN-VENDOR block and keeps others', () => {
    const out = toBlockForm('VENDOR Vutlan 39052\nATTRIBUTE SRead 10 string Vutlan # c\nATTRIBUTE Plain 3000 string\n');
    expect(out.split('\n')).toEqual(['VENDOR Vutlan 39052', 'ATTRIBUTE Plain 3000 string', 'BEGIN-VENDOR Vutlan', 'ATTRIBUTE SRead 10 string', 'END-VENDOR Vutlan', '']);
  });
});

describe('radiusLogin (npm radius client)', () => {
  it('sends User-Name, User-Password = h, NAS-IP-Address, Message-Authenticator and takes the Vutlan lists of the Accept', async () => {
    fake = await startFakeRadius(SECRET, () => ({
      code: 'Access-Accept',
      attributes: [['Vendor-Specific', 'Vutlan', [['SRead', 'all,'], ['SWrite', 'log,view,'], ['GWrite', '3001,3002,'], ['RFU1', 'x']]]],
    }));
    const h = sha1Hex('secret-pw');
    const r = await radiusLogin('username01', h, opts(fake.port));
    expect(r.lists).toEqual({ sread: 'all,', swrite: 'log,view,', cread: '', cwrite: '', gread: '', gwrite: '3001,3002,' });
    expect(r.rfu1).toBe('x');
    expect(fake.seen).toHaveLength(1);
    const a = fake.seen[0]!.attributes;
    expect(a['User-Name']).toBe('username01');
    expect(a['User-Password']).toBe(h);
    expect(a['NAS-IP-Address']).toBe('192.168.1.88');
    expect(fake.seen[0]!.hadMessageAuthenticator).toBe(true);
  });

  it('omits Message-Authenticator when configured off', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Accept' }));
    const r = await radiusLogin('u', 'h', opts(fake.port, { messageAuthenticator: false, requireMessageAuthenticator: false }));
    expect(r.lists.sread).toBe('');
    expect(fake.seen[0]!.hadMessageAuthenticator).toBe(false);
  });

  it('turns an Access-Reject into authorization error / radius_reject', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Reject' }));
    const err = await refusal(radiusLogin('u', 'h', opts(fake.port)));
    expect([err.type, err.reason]).toEqual(['authorization error', 'radius_reject']);
  });

  it('turns an Access-Challenge into authorization error', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Challenge' }));
    expect((await refusal(radiusLogin('u', 'h', opts(fake.port)))).reason).toBe('radius_challenge');
  });

  it('retransmits the same packet, then gives up with radius_timeout', async () => {
    fake = await startFakeRadius(SECRET, () => 'silent');
    const t0 = Date.now();
    const err = await refusal(radiusLogin('u', 'h', opts(fake.port, { timeoutMs: 200, retries: 2 })));
    expect([err.type, err.reason]).toEqual(['authorization error', 'radius_timeout']);
    expect(fake.seen).toHaveLength(3);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
  });

  it('discards an answer signed with another secret (bad Response Authenticator)', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Accept', secret: 'wrong-secret' }));
    const err = await refusal(radiusLogin('u', 'h', opts(fake.port)));
    expect([err.type, err.reason]).toEqual(['authorization error', 'radius_bad_response']);
  });

  it('discards an Accept without Message-Authenticator when the request had one (BlastRADIUS)', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Accept', stripMessageAuthenticator: true }));
    expect((await refusal(radiusLogin('u', 'h', opts(fake.port)))).reason).toBe('radius_bad_response');
  });

  it('accepts an unsigned but authentic Accept when require_message_authenticator is off', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Accept', stripMessageAuthenticator: true, attributes: [['Vendor-Specific', 'Vutlan', [['SRead', 'view,']]]] }));
    const r = await radiusLogin('u', 'h', opts(fake.port, { requireMessageAuthenticator: false }));
    expect(r.lists.sread).toBe('view,');
  });

  it('still discards a forged unsigned Accept when require_message_authenticator is off', async () => {
    fake = await startFakeRadius(SECRET, () => ({ code: 'Access-Accept', stripMessageAuthenticator: true, secret: 'other' }));
    expect((await refusal(radiusLogin('u', 'h', opts(fake.port, { requireMessageAuthenticator: false })))).reason).toBe('radius_bad_response');
  });

  it('ignores a valid answer sent from another port than the server it asked', async () => {
    const server = dgram.createSocket('udp4');
    const other = dgram.createSocket('udp4');
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
    await new Promise<void>((r) => other.bind(0, '127.0.0.1', r));
    server.on('message', (msg, rinfo) => {
      const packet = radius.decode({ packet: msg, secret: SECRET });
      other.send(radius.encode_response({ packet, code: 'Access-Accept', secret: SECRET }), rinfo.port, rinfo.address);
    });
    try {
      const err = await refusal(radiusLogin('u', 'h', opts((server.address() as AddressInfo).port, { retries: 0 })));
      expect(err.reason).toBe('radius_timeout');
    } finally {
      server.close();
      other.close();
    }
  });

  it('reports a server that is down (nothing listening) as authorization error', async () => {
    const port = await freeUdpPort();
    const err = await refusal(radiusLogin('u', 'h', opts(port, { timeoutMs: 150, retries: 0 })));
    expect(err.type).toBe('authorization error');
    expect(['radius_timeout', 'radius_send_failed']).toContain(err.reason);
  });
});
