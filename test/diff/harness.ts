import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { Avp } from '../../src/protocol/attribute.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { chapResponse } from '../../src/protocol/chap.js';
import { decodePacket } from '../../src/protocol/decode.js';
import { encodeRequest, encodeResponse } from '../../src/protocol/encode.js';
import { formatValue, parseValue } from '../../src/protocol/values.js';
import type { Entry } from '../../src/policy/entry.js';
import { UsersFileSource } from '../../src/store/files-source.js';
import { authorizeAndAuthenticate, type EntrySource } from '../../src/policy/evaluator.js';
import { buildRequest as buildRawRequest, type RawAttr, UdpClient } from '../support/raw-radius.js';

/**
 * Differential testing against FreeRADIUS 3.2.1: the same request datagram goes over UDP to the
 * real FreeRADIUS and to our running server(s) (see rig.ts); the answers are decoded with our
 * decoder and compared as "code + reply attributes in order" on the wire. `askOurs` (our
 * evaluator + encoder in-process, no server) stays for tests that compare user sources alone.
 */

/** A request as radclient would be given it. */
export interface DiffRequest {
  label: string;
  /** Attributes other than passwords, as [name, value text]. */
  attrs: [string, string][];
  /** User-Password plaintext (PAP). */
  pap?: string;
  /** CHAP: the password, and an optional CHAP-Challenge (otherwise the authenticator is used). */
  chap?: { password: string; challenge?: Buffer };
  /** Sign the request with Message-Authenticator (askOverUdp; radclient 3.2.1 does not by default). */
  messageAuthenticator?: boolean;
}

/** The comparable outcome: code name and reply attributes as readable lines. */
export interface Outcome {
  code: string;
  attrs: string[];
}

const CODES: Record<number, string> = { 2: 'Access-Accept', 3: 'Access-Reject', 11: 'Access-Challenge' };

function describe(avps: readonly Avp[]): string[] {
  return avps
    .filter((a) => !(a.def.vendorId === 0 && a.def.type === 80))
    .map((a) => `${a.def.name}${a.tag !== undefined && a.tag !== 0 ? `:${a.tag}` : ''} = ${a.def.dataType === 'string' ? JSON.stringify(formatValue(a.def, a.value)) : formatValue(a.def, a.value)}`);
}

/** A request ready to send (see {@link datagram}) or to hand to {@link askOurs}. */
export interface BuiltRequest {
  /** Every attribute but User-Password, in order. */
  sent: Avp[];
  /** User-Password in clear, hidden by the builder with the authenticator. */
  password?: string;
  /** All attributes, User-Password in clear, as our evaluator sees a decoded request. */
  avps: Avp[];
  authenticator: Buffer;
  plain?: Buffer;
  messageAuthenticator?: boolean;
}

/**
 * Builds the request attributes (passwords separately). The Request Authenticator (and so a
 * CHAP identifier and challenge) is derived from the request itself: a failing case printed
 * with its request is reproduced to the byte.
 */
export function buildRequest(dict: Dictionary, req: DiffRequest): BuiltRequest {
  const sent: Avp[] = [];
  for (const [name, text] of req.attrs) {
    const def = dict.attributeByName(name);
    if (!def) throw new Error(`test uses unknown attribute ${name}`);
    sent.push({ def, value: parseValue(def, text, '"') });
  }
  const authenticator = createHash('md5').update(JSON.stringify(req)).digest();
  if (req.chap) {
    const ident = authenticator[0]!;
    if (req.chap.challenge) sent.push({ def: dict.attributeByName('CHAP-Challenge')!, value: req.chap.challenge });
    const resp = chapResponse(ident, Buffer.from(req.chap.password, 'utf8'), req.chap.challenge ?? authenticator);
    sent.push({ def: dict.attributeByName('CHAP-Password')!, value: Buffer.concat([Buffer.of(ident), resp]) });
  }
  const plain = req.pap !== undefined ? Buffer.from(req.pap, 'utf8') : undefined;
  return {
    sent, authenticator,
    avps: plain ? [...sent, { def: dict.attributeByName('User-Password')!, value: plain }] : sent,
    ...(req.pap !== undefined ? { password: req.pap } : {}),
    ...(plain ? { plain } : {}),
    ...(req.messageAuthenticator ? { messageAuthenticator: true } : {}),
  };
}

/** One server under comparison: a socket of test/support's client and the server's port. */
export interface Peer {
  client: UdpClient;
  port: number;
  close(): void;
}

/** Opens a client socket for the server on 127.0.0.1:`port`. */
export async function openPeer(port: number): Promise<Peer> {
  const client = await UdpClient.open();
  return { client, port, close: () => client.close() };
}

let identifier = 0;

/**
 * The datagram for `built`: test/support's builder frames it, hides User-Password and adds
 * Message-Authenticator; the other values' wire form (vendor formats, tags, long strings) is
 * the dictionary's business, so our encoder writes those attributes.
 */
function datagram(dict: Dictionary, secret: string, built: BuiltRequest): Buffer {
  identifier = (identifier + 1) & 0xff;
  const { buffer } = encodeRequest({
    code: 1, identifier, attributes: built.sent, secret: Buffer.from(secret), authenticator: built.authenticator, messageAuthenticator: false, dictionary: dict,
  });
  const attrs: RawAttr[] = [];
  for (let at = 20; at < buffer.length; at += buffer[at + 1]!) attrs.push([buffer[at]!, Buffer.from(buffer.subarray(at + 2, at + buffer[at + 1]!))]);
  return buildRawRequest({
    id: identifier, secret, attrs, authenticator: built.authenticator, ma: built.messageAuthenticator ?? false,
    ...(built.password !== undefined ? { password: built.password } : {}),
  }).buf;
}

/** Sends `req` to FreeRADIUS and returns the outcome. */
export async function askFreeRadius(peer: Peer, dict: Dictionary, secret: string, built: BuiltRequest): Promise<Outcome> {
  const [a] = await askOverUdp([peer], dict, secret, built);
  return { code: a!.code, attrs: a!.attrs };
}

/** Where a reply carries Message-Authenticator: first attribute, later, or not at all. */
export type MessageAuthenticatorPlace = 'first' | 'later' | 'absent';

/** A reply as received on the wire: the comparable outcome plus what is not compared. */
export interface WireAnswer extends Outcome {
  /** The reply datagram (undefined when none came). */
  raw?: Buffer;
  messageAuthenticator: MessageAuthenticatorPlace;
  /**
   * Response Authenticator, and the Message-Authenticator HMAC when present, are right for the
   * request (computed here from RFC 2865 3 / RFC 3579 3.2, independently of our encoder).
   */
  authentic: boolean;
}

/**
 * Sends the SAME datagram (same identifier, authenticator and attributes; Message-Authenticator
 * only when the request asks for it, as radclient of 3.2.1 sends none) to every peer's server
 * at once and resolves with each one's decoded answer, in the order of `peers`.
 */
export async function askOverUdp(peers: readonly Peer[], dict: Dictionary, secret: string, built: BuiltRequest): Promise<WireAnswer[]> {
  const buf = datagram(dict, secret, built);
  const replies = await Promise.all(peers.map((p) => p.client.request(buf, p.port, '127.0.0.1', 1500)));
  // a busy machine can be slower than the timeout: retransmit (same datagram, as a NAS does;
  // both servers answer a duplicate from their cache) to a server silent where another answered
  if (replies.some((r) => r) && replies.some((r) => !r)) {
    await Promise.all(peers.map(async (p, i) => { if (!replies[i]) replies[i] = await p.client.request(buf, p.port, '127.0.0.1', 4000); }));
  }
  return replies.map((reply) => answerOf(reply, dict, secret, built.authenticator));
}

/** Decodes a reply (or its absence) the one way every server's replies are decoded. */
export function answerOf(reply: Buffer | undefined, dict: Dictionary, secret: string, requestAuthenticator: Buffer): WireAnswer {
  if (!reply) return { code: 'no reply', attrs: [], messageAuthenticator: 'absent', authentic: true };
  const packet = decodePacket(reply, dict);
  const maIndex = packet.attributes.findIndex((a) => a.def.vendorId === 0 && a.def.type === 80);
  return {
    code: CODES[packet.code] ?? `code ${packet.code}`,
    attrs: describe(packet.attributes),
    raw: reply,
    messageAuthenticator: maIndex < 0 ? 'absent' : maIndex === 0 ? 'first' : 'later',
    authentic: authenticReply(reply, requestAuthenticator, Buffer.from(secret)),
  };
}

/** RFC 2865 Response Authenticator and RFC 3579 Message-Authenticator of a reply, checked. */
function authenticReply(reply: Buffer, requestAuthenticator: Buffer, secret: Buffer): boolean {
  const length = reply.readUInt16BE(2);
  const body = reply.subarray(20, length);
  const expected = createHash('md5').update(reply.subarray(0, 4)).update(requestAuthenticator).update(body).update(secret).digest();
  if (!timingSafeEqual(expected, reply.subarray(4, 20))) return false;
  for (let at = 20; at + 2 <= length;) {
    const type = reply[at]!;
    const len = reply[at + 1]!;
    if (len < 2) return false;
    if (type === 80) {
      if (len !== 18) return false;
      const copy = Buffer.from(reply.subarray(0, length));
      requestAuthenticator.copy(copy, 4);
      copy.fill(0, at + 2, at + 18);
      const mac = createHmac('md5', secret).update(copy).digest();
      if (!timingSafeEqual(mac, reply.subarray(at + 2, at + 18))) return false;
    }
    at += len;
  }
  return true;
}

/** Runs `req` through our evaluator and encoder and returns the outcome. */
export function askOurs(dict: Dictionary, entries: readonly Entry[] | EntrySource, secret: string, built: BuiltRequest, trace?: (l: string) => void): Outcome {
  const source: EntrySource = 'lookup' in entries ? entries : new UsersFileSource('test', entries);
  const d = authorizeAndAuthenticate({
    attributes: built.avps, srcAddress: '127.0.0.1', requestAuthenticator: built.authenticator,
    ...(built.plain ? { userPassword: built.plain } : {}),
  }, [source], dict, trace);
  if (d.code === 'no-response') return { code: 'no reply', attrs: [] };
  const wire = encodeResponse({
    code: d.code === 'accept' ? 2 : 3, identifier: 1, requestAuthenticator: built.authenticator,
    attributes: d.reply, secret: Buffer.from(secret), messageAuthenticator: false, dictionary: dict,
  });
  const packet = decodePacket(wire, dict);
  return { code: CODES[packet.code]!, attrs: describe(packet.attributes) };
}
