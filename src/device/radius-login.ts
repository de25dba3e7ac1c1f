/**
 * The device's RADIUS client: one PAP Access-Request per login of a user unknown locally.
 *
 * Built on npm `radius` on purpose: it is an implementation that is not ours, so a round trip
 * through it and our server proves interoperability. Its quirks are worked around here: vendor
 * dictionary form (see radius-dictionary.ts), Message-Authenticator only with
 * `add_message_authenticator: true`, and `verify_response` comparing authenticators as lossy
 * UTF-8 strings (and skipping the response's Message-Authenticator when the request had none),
 * so both authenticators are checked here in constant time and verify_response is a second
 * opinion.
 */
import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import radius from 'radius';
import { DeviceError } from './errors.js';
import { EMPTY_LISTS, type PermissionLists } from './permissions.js';
import { installVutlanDictionary } from './radius-dictionary.js';

/** Where and how the device asks its RADIUS server. */
export interface RadiusClientOptions {
  addr: string;
  port: number;
  secret: string;
  nasIp: string;
  timeoutMs: number;
  /** Retransmissions after the first attempt. */
  retries: number;
  messageAuthenticator: boolean;
  /**
   * Discard answers without Message-Authenticator (BlastRADIUS protection). Servers released
   * before mid-2024 (e.g. Debian's FreeRADIUS 3.2.1) do not sign Access-Accept.
   */
  requireMessageAuthenticator: boolean;
  /** Local address to send from (so the server sees this device's own source address). */
  bindAddress?: string;
}

/** A successful RADIUS login: the permission lists taken from the Access-Accept. */
export interface RadiusLoginResult {
  lists: PermissionLists;
  rfu1: string;
  rfu2: string;
}

const VSA_FOR_LIST: Record<keyof PermissionLists, string> = {
  sread: 'SRead', swrite: 'SWrite', cread: 'CRead', cwrite: 'CWrite', gread: 'GRead', gwrite: 'GWrite',
};

function vendorString(vsas: Record<string, unknown>, name: string): string {
  const v = vsas[name];
  if (v === undefined || v === null) return '';
  // A repeated attribute arrives as an array: its values are joined into one list.
  if (Array.isArray(v)) return v.map(String).join(',');
  return String(v);
}

/** Takes SRead..GWrite (and RFU1/RFU2) from a decoded Access-Accept; missing ones are empty. */
export function listsFromAccept(attributes: Record<string, unknown>): RadiusLoginResult {
  const vsas = (attributes['Vendor-Specific'] ?? {}) as Record<string, unknown>;
  const lists = { ...EMPTY_LISTS };
  for (const k of Object.keys(VSA_FOR_LIST) as (keyof PermissionLists)[]) lists[k] = vendorString(vsas, VSA_FOR_LIST[k]);
  return { lists, rfu1: vendorString(vsas, 'RFU1'), rfu2: vendorString(vsas, 'RFU2') };
}

/** RFC 2865 Response Authenticator check, constant time. */
function responseAuthenticatorOk(response: Buffer, requestAuthenticator: Buffer, secret: string): boolean {
  const length = response.readUInt16BE(2);
  if (length < 20 || length > response.length) return false;
  const expected = createHash('md5')
    .update(response.subarray(0, 4))
    .update(requestAuthenticator)
    .update(response.subarray(20, length))
    .update(secret)
    .digest();
  return timingSafeEqual(expected, response.subarray(4, 20));
}

/** Offset of the first Message-Authenticator value in a packet, or -1 (walks the attributes). */
function messageAuthenticatorOffset(packet: Buffer, length: number): number {
  for (let i = 20; i + 2 <= length;) {
    const len = packet[i + 1]!;
    if (len < 2 || i + len > length) return -1;
    if (packet[i] === 80 && len === 18) return i + 2;
    i += len;
  }
  return -1;
}

/** RFC 3579 Message-Authenticator check of a response, constant time. */
function messageAuthenticatorOk(response: Buffer, at: number, requestAuthenticator: Buffer, secret: string): boolean {
  const length = response.readUInt16BE(2);
  const copy = Buffer.from(response.subarray(0, length));
  requestAuthenticator.copy(copy, 4);
  copy.fill(0, at, at + 16);
  const expected = createHmac('md5', secret).update(copy).digest();
  return timingSafeEqual(expected, response.subarray(at, at + 16));
}

/**
 * Sends an Access-Request (User-Name, User-Password = `password`, NAS-IP-Address, and
 * Message-Authenticator unless disabled) and waits for a verified answer. Resolves with the
 * Vutlan lists of an Access-Accept. Rejects with DeviceError('authorization error') and reason
 * `radius_reject`, `radius_challenge`, `radius_timeout`, `radius_bad_response` (only unverifiable
 * answers arrived) or `radius_send_failed`. Responses that fail verification are discarded, as
 * RFC 2865 requires, and the request is retransmitted unchanged up to `retries` times.
 */
export async function radiusLogin(user: string, password: string, o: RadiusClientOptions): Promise<RadiusLoginResult> {
  installVutlanDictionary();
  const identifier = randomInt(256);
  let request: Buffer;
  try {
    request = radius.encode({
      code: 'Access-Request',
      secret: o.secret,
      identifier,
      attributes: [['User-Name', user], ['User-Password', password], ['NAS-IP-Address', o.nasIp]],
      add_message_authenticator: o.messageAuthenticator,
    });
  } catch (err) {
    throw new DeviceError('authorization error', 'radius_encode_failed', `cannot encode Access-Request: ${(err as Error).message}`);
  }
  const requestAuthenticator = Buffer.from(request.subarray(4, 20));
  const family = net.isIPv6(o.addr) || (o.bindAddress !== undefined && net.isIPv6(o.bindAddress)) ? 'udp6' : 'udp4';
  const socket = dgram.createSocket(family);

  return await new Promise<RadiusLoginResult>((resolve, reject) => {
    let attempts = 0;
    let sawBadResponse = false;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err: DeviceError | undefined, result?: RadiusLoginResult) => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      socket.close();
      if (err) reject(err); else resolve(result!);
    };
    const send = () => {
      if (attempts > o.retries) {
        finish(sawBadResponse
          ? new DeviceError('authorization error', 'radius_bad_response', 'only unverifiable RADIUS responses arrived')
          : new DeviceError('authorization error', 'radius_timeout', `no RADIUS response after ${attempts} attempt(s)`));
        return;
      }
      attempts++;
      socket.send(request, o.port, o.addr, (err) => {
        if (err) finish(new DeviceError('authorization error', 'radius_send_failed', `cannot send to RADIUS server: ${err.message}`));
      });
      timer = setTimeout(send, o.timeoutMs);
    };
    socket.on('error', (err) => finish(new DeviceError('authorization error', 'radius_send_failed', err.message)));
    socket.on('message', (msg, rinfo) => {
      // Only the server we asked may answer (by address when we know it, always by port).
      if (rinfo.port !== o.port || (net.isIP(o.addr) !== 0 && rinfo.address !== o.addr)) return;
      if (msg.length < 20 || msg[1] !== identifier) return;
      let code: string;
      let attributes: Record<string, unknown>;
      try {
        if (!responseAuthenticatorOk(msg, requestAuthenticator, o.secret)) throw new Error('bad Response Authenticator');
        const decoded = radius.decode({ packet: msg, secret: o.secret });
        const ma = messageAuthenticatorOffset(msg, msg.readUInt16BE(2));
        if (ma >= 0) {
          if (!messageAuthenticatorOk(msg, ma, requestAuthenticator, o.secret)) throw new Error('bad Message-Authenticator');
          // The library's own check as a second, independent opinion.
          if (radius.verify_response({ request, response: msg, secret: o.secret }) !== true) throw new Error('verify_response failed');
        } else if (o.requireMessageAuthenticator) {
          throw new Error('no Message-Authenticator');
        }
        code = decoded.code;
        attributes = decoded.attributes as Record<string, unknown>;
      } catch {
        sawBadResponse = true;
        return;
      }
      if (code === 'Access-Accept') finish(undefined, listsFromAccept(attributes));
      else if (code === 'Access-Reject') finish(new DeviceError('authorization error', 'radius_reject', 'RADIUS server rejected the login'));
      else if (code === 'Access-Challenge') finish(new DeviceError('authorization error', 'radius_challenge', 'RADIUS Access-Challenge is not supported'));
      else sawBadResponse = true;
    });
    const start = () => send();
    if (o.bindAddress !== undefined) socket.bind(0, o.bindAddress, start);
    else start();
  });
}
