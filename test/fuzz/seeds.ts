/**
 * Seed packets for the decoder fuzzer, built byte by byte here (not with our encoder, so a
 * codec bug cannot hide in its own seeds), in the spirit of OSS-Fuzz's
 * `projects/freeradius/generate_seeds.py`: an Access-Request covering the attribute types,
 * CHAP, EAP, accounting, Status-Server with FreeRADIUS-Statistics-Type, CoA/Disconnect, VSAs of
 * every vendor format (1,1 with several sub-attributes in one attribute 26; USR 4,0; Lucent
 * 2,1; Starent 2,2; WiMAX 1,1,c continuations), tagged and salted Tunnel attributes, RFC 6929
 * extended and long-extended (fragmented) attributes, Message-Authenticator, replies, and the
 * captures shipped with npm `radius` (node_modules/radius/test/captures) when present.
 */
import { createHash, createHmac } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A seed: the datagram and the shared secret it was built with. */
export interface Seed {
  name: string;
  packet: Buffer;
  secret: Buffer;
  /** True: decodePacket must accept it; false: must reject it; undefined: unknown (captures). */
  decodes?: boolean;
  /** Requests: whether verifyRequest accepts it with `secret`; undefined for replies and captures. */
  verifies?: boolean;
}

export const SEED_SECRET = Buffer.from('testing123');

const u8 = (n: number) => Buffer.from([n]);
const u16 = (n: number) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const str = (s: string) => Buffer.from(s, 'utf8');
const ip4 = (s: string) => Buffer.from(s.split('.').map(Number));

/** A standard attribute: type, length, value. */
export function attr(type: number, value: Buffer): Buffer {
  return Buffer.concat([u8(type), u8(value.length + 2), value]);
}

/** Vendor-Specific (26) holding `subs` for `vendor`. */
function vsa(vendor: number, ...subs: Buffer[]): Buffer {
  return attr(26, Buffer.concat([u32(vendor), ...subs]));
}
/** Sub-attribute in format 1,1. */
const sub11 = (t: number, v: Buffer) => Buffer.concat([u8(t), u8(v.length + 2), v]);
/** Format 4,0 (USR): 4-octet type, no length. */
const sub40 = (t: number, v: Buffer) => Buffer.concat([u32(t), v]);
/** Format 2,1 (Lucent). */
const sub21 = (t: number, v: Buffer) => Buffer.concat([u16(t), u8(v.length + 3), v]);
/** Format 2,2 (Starent). */
const sub22 = (t: number, v: Buffer) => Buffer.concat([u16(t), u16(v.length + 4), v]);
/** Format 1,1,c (WiMAX): type, length, continuation flags. */
const sub11c = (t: number, v: Buffer, more = false) => Buffer.concat([u8(t), u8(v.length + 3), u8(more ? 0x80 : 0), v]);

/** RFC 2865 5.2 User-Password hiding (own implementation for independence from src/). */
function hidePassword(plain: Buffer, secret: Buffer, authenticator: Buffer): Buffer {
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  const out = Buffer.alloc(padded.length);
  let prev = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const b = createHash('md5').update(secret).update(prev).digest();
    for (let j = 0; j < 16; j++) out[i + j] = padded[i + j]! ^ b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

interface BuildOptions {
  /** Append a Message-Authenticator (computed) as the first attribute. */
  messageAuthenticator?: boolean;
  /** Compute the Request Authenticator as for Accounting/CoA/Disconnect requests. */
  signedRequest?: boolean;
  /** Reply: compute the Response Authenticator over this request authenticator. */
  replyTo?: Buffer;
}

/** Assembles a datagram and fills in Message-Authenticator and authenticators. */
export function build(code: number, id: number, authenticator: Buffer, attrs: Buffer[], secret: Buffer, o: BuildOptions = {}): Buffer {
  const ma = o.messageAuthenticator ? [attr(80, Buffer.alloc(16))] : [];
  const body = Buffer.concat([...ma, ...attrs]);
  const pkt = Buffer.concat([u8(code), u8(id), u16(20 + body.length), o.signedRequest ? Buffer.alloc(16) : o.replyTo ?? authenticator, body]);
  if (o.messageAuthenticator) {
    createHmac('md5', secret).update(pkt).digest().copy(pkt, 22);
  }
  if (o.signedRequest || o.replyTo) {
    createHash('md5').update(pkt).update(secret).digest().copy(pkt, 4);
  }
  return pkt;
}

function auth(n: number): Buffer {
  return createHash('md5').update(`authenticator-${n}`).digest();
}

/** The structured seeds, with what decodePacket / verifyRequest must do with each. */
export function structuredSeeds(): Seed[] {
  const s = SEED_SECRET;
  const seeds: Seed[] = [];
  const add = (name: string, packet: Buffer, decodes = true, verifies: boolean | 'reply' = decodes) =>
    seeds.push({ name, packet, secret: s, decodes, verifies: verifies === 'reply' ? undefined : verifies });

  const a1 = auth(1);
  add('access-request-pap-all-types', build(1, 1, a1, [
    attr(1, str('username01')),
    attr(2, hidePassword(str('35675e68f4b5af7b995d9205ad0fc43842f16450'), s, a1)),
    attr(4, ip4('192.0.2.10')),
    attr(5, u32(7)),
    attr(6, u32(8)), // Service-Type = Authenticate-Only
    attr(32, str('vutlan-sc8110')),
    attr(30, str('00-11-22-33-44-55')),
    attr(31, str('10.1.2.3')),
    attr(61, u32(5)), // NAS-Port-Type = Virtual
    attr(8, ip4('10.0.0.5')),
    attr(55, u32(1_700_000_000)), // Event-Timestamp (date)
    attr(95, Buffer.from('20010db8000000000000000000000001', 'hex')), // NAS-IPv6-Address
    attr(97, Buffer.from('0040' + '20010db800000000', 'hex')), // Framed-IPv6-Prefix /64
    attr(96, Buffer.from('0011223344556677', 'hex')), // Framed-Interface-Id (ifid)
    attr(24, Buffer.from('deadbeef', 'hex')), // State (octets)
    attr(33, str('proxy-state-1')),
    attr(44, str('acct-session-1')),
  ], s, { messageAuthenticator: true }));

  const a2 = auth(2);
  add('access-request-chap', build(1, 2, a2, [
    attr(1, str('bob')),
    attr(3, Buffer.concat([u8(7), createHash('md5').update(Buffer.concat([u8(7), str('hello'), a2])).digest()])),
    attr(60, auth(22)),
    attr(4, ip4('127.0.0.1')),
  ], s));

  add('access-request-eap', build(1, 3, auth(3), [
    attr(1, str('eapuser')),
    attr(79, Buffer.from('0201000d01656170757365722e', 'hex')),
    attr(79, Buffer.from('00', 'hex')),
    attr(12, u32(1400)),
  ], s, { messageAuthenticator: true }));

  add('accounting-request', build(4, 4, Buffer.alloc(16), [
    attr(40, u32(1)), // Acct-Status-Type = Start
    attr(44, str('00000001')),
    attr(1, str('username01')),
    attr(42, u32(123456)),
    attr(43, u32(654321)),
    attr(46, u32(3600)),
    attr(41, u32(0)),
    attr(52, u32(1)), // Acct-Input-Gigawords
    attr(4, ip4('192.0.2.10')),
  ], s, { signedRequest: true }));

  add('status-server-statistics', build(12, 5, auth(5), [
    vsa(11344, sub11(127, u32(0x1f))),
    vsa(11344, sub11(167, ip4('127.0.0.1'))),
  ], s, { messageAuthenticator: true }));

  add('coa-request', build(43, 6, Buffer.alloc(16), [
    attr(1, str('username01')),
    attr(44, str('00000001')),
    attr(27, u32(600)),
    vsa(9, sub11(1, str('subscriber:command=reauthenticate'))),
  ], s, { signedRequest: true }));

  add('disconnect-request', build(40, 7, Buffer.alloc(16), [attr(1, str('username01')), attr(44, str('00000001'))], s, { signedRequest: true }));

  add('vsa-vutlan-multiple-subattributes-in-one', build(1, 8, auth(8), [
    attr(1, str('vutlan')),
    vsa(39052,
      sub11(10, str('all,')), sub11(11, str('users,system,')), sub11(12, str('all,')), sub11(13, str('none,')),
      sub11(14, str('all')), sub11(15, str('none')), sub11(16, str('x')), sub11(17, str('y'))),
  ], s, { messageAuthenticator: true }));

  add('vsa-cisco-avpair-repeated', build(1, 9, auth(9), [
    attr(1, str('admin')),
    vsa(9, sub11(1, str('shell:priv-lvl=15'))),
    vsa(9, sub11(1, str('shell:roles="network-admin"')), sub11(1, str('tunnel-type=1'))),
    vsa(9, sub11(250, str('unknown-cisco'))),
  ], s));

  add('vsa-usr-format-4-0', build(1, 10, auth(10), [attr(1, str('usr')), vsa(429, sub40(0x9800, u32(2)))], s));
  add('vsa-lucent-format-2-1', build(1, 11, auth(11), [attr(1, str('lu')), vsa(4846, sub21(2, u32(1)), sub21(300, str('x')))], s));
  add('vsa-starent-format-2-2', build(1, 12, auth(12), [attr(1, str('st')), vsa(8164, sub22(1, u32(1)), sub22(26, str('apn')))], s));
  add('vsa-wimax-continuation', build(1, 13, auth(13), [
    attr(1, str('wimax')),
    vsa(24757, sub11c(1, str('1.0'))),
    vsa(24757, sub11c(2, Buffer.alloc(60, 0x41), true)),
    vsa(24757, sub11c(2, Buffer.alloc(20, 0x42))),
  ], s));
  add('vsa-unknown-vendor', build(1, 14, auth(14), [attr(1, str('u')), vsa(99999, sub11(1, str('a')), sub11(2, str('b')))], s));
  add('vsa-malformed-kept-raw', build(1, 15, auth(15), [attr(1, str('m')), attr(26, Buffer.from('000000090105', 'hex'))], s));

  const a16 = auth(16);
  add('tagged-tunnel-attributes', build(2, 16, a16, [
    attr(64, Buffer.concat([u8(1), Buffer.from([0, 0, 13])])), // Tunnel-Type:1 = VLAN
    attr(65, Buffer.concat([u8(1), Buffer.from([0, 0, 6])])), // Tunnel-Medium-Type:1 = 802
    attr(81, Buffer.concat([u8(1), str('100')])), // Tunnel-Private-Group-Id:1
    attr(81, str('200')), // untagged
    attr(69, Buffer.concat([u8(2), Buffer.from([0x80, 0x01]), hidePassword(Buffer.concat([u8(6), str('secret')]), s, Buffer.concat([a16, Buffer.from([0x80, 0x01])]))])),
  ], s, { replyTo: a16, messageAuthenticator: true }), true, 'reply');

  add('extended-attributes', build(1, 17, auth(17), [
    attr(1, str('ext')),
    attr(241, Buffer.concat([u8(1), u32(1)])), // Frag-Status
    attr(241, Buffer.concat([u8(26), u32(11344), u8(1), str('evs')])), // Extended-Vendor-Specific-1
    attr(242, Buffer.concat([u8(1), str('x')])),
    attr(245, Buffer.concat([u8(1), u8(0x80), Buffer.alloc(200, 0x61)])), // long-extended, more flag
    attr(245, Buffer.concat([u8(1), u8(0x00), Buffer.alloc(30, 0x62)])),
    attr(246, Buffer.concat([u8(26), u8(0), u32(9), u8(1), str('lv')])),
  ], s));

  add('access-accept-vutlan', build(2, 18, Buffer.alloc(16), [
    vsa(39052, sub11(10, str('all,'))), vsa(39052, sub11(11, str('all,'))), attr(18, str('Welcome')), attr(27, u32(3600)),
  ], s, { replyTo: auth(18), messageAuthenticator: true }), true, 'reply');

  add('access-reject-empty', build(3, 19, Buffer.alloc(16), [], s, { replyTo: auth(19) }), true, 'reply');

  const many: Buffer[] = [];
  for (let i = 0; i < 199; i++) many.push(attr(18, str(`m${i}`)));
  add('two-hundred-attributes', build(1, 20, auth(20), [...many], s, { messageAuthenticator: true }));
  add('two-hundred-one-attributes', build(1, 21, auth(21), [...many, attr(18, str('x')), attr(18, str('y'))], s), false);

  const long: Buffer[] = [attr(1, str('big'))];
  while (long.reduce((n, b) => n + b.length, 0) < 4000) long.push(attr(25, Buffer.alloc(253, 0x43).subarray(0, 200)));
  add('near-max-length', build(1, 22, auth(22), long, s));

  add('padding-after-length', Buffer.concat([build(1, 23, auth(23), [attr(1, str('pad'))], s), Buffer.alloc(10, 0xee)]));
  add('empty-attribute-values', build(1, 24, auth(24), [attr(1, Buffer.alloc(0)), attr(18, Buffer.alloc(0)), vsa(39052, sub11(10, Buffer.alloc(0)))], s));
  add('wrong-secret-message-authenticator', build(1, 25, auth(25), [attr(1, str('x'))], Buffer.from('wrong'), { messageAuthenticator: true }), true, false);
  add('bad-accounting-authenticator', build(4, 26, auth(26), [attr(40, u32(2))], s), true, false);
  add('status-server-without-ma', build(12, 27, auth(27), [], s), true, false);
  add('eap-with-password', build(1, 28, auth(28), [attr(79, str('x')), attr(2, Buffer.alloc(16))], s, { messageAuthenticator: true }), false);
  add('ma-wrong-length', build(1, 29, auth(29), [attr(80, Buffer.alloc(10))], s), false);
  add('attribute-type-zero', build(1, 30, auth(30), [attr(0, str('zero'))], s), false);
  add('bad-code', build(0, 31, auth(31), [attr(1, str('x'))], s), false);
  add('attribute-overflow', Buffer.concat([build(1, 32, auth(32), [attr(1, str('x'))], s).subarray(0, 20), Buffer.from([1, 50, 0x41])]), false);
  return seeds;
}

/** npm `radius`'s test captures (real NAS traffic: Cisco, Aruba, Motorola, EAP), secret unknown. */
export function captureSeeds(): Seed[] {
  const dir = join(process.cwd(), 'node_modules', 'radius', 'test', 'captures');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.packet'))
    .sort()
    .map((f) => ({ name: `capture:${f}`, packet: readFileSync(join(dir, f)), secret: Buffer.from('nearbuy') }));
}

/** All seeds: structured ones, then captures. */
export function allSeeds(): Seed[] {
  return [...structuredSeeds(), ...captureSeeds()];
}
