import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

import type { Avp } from '../../src/protocol/attribute.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { chapResponse } from '../../src/protocol/chap.js';
import { decodePacket } from '../../src/protocol/decode.js';
import { encodeRequest, encodeResponse } from '../../src/protocol/encode.js';
import { formatValue, parseValue } from '../../src/protocol/values.js';
import type { Entry } from '../../src/policy/entry.js';
import { UsersFileSource } from '../../src/store/files-source.js';
import { authorizeAndAuthenticate, type EntrySource } from '../../src/policy/evaluator.js';

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

/** Builds the request attributes (passwords separately) and the authenticator. */
export function buildRequest(dict: Dictionary, req: DiffRequest): { avps: Avp[]; authenticator: Buffer; plain?: Buffer; messageAuthenticator?: boolean } {
  const avps: Avp[] = [];
  for (const [name, text] of req.attrs) {
    const def = dict.attributeByName(name);
    if (!def) throw new Error(`test uses unknown attribute ${name}`);
    avps.push({ def, value: parseValue(def, text, '"') });
  }
  const authenticator = randomBytes(16);
  let plain: Buffer | undefined;
  if (req.pap !== undefined) {
    plain = Buffer.from(req.pap, 'utf8');
    avps.push({ def: dict.attributeByName('User-Password')!, value: plain });
  }
  if (req.chap) {
    const ident = authenticator[0]!;
    if (req.chap.challenge) avps.push({ def: dict.attributeByName('CHAP-Challenge')!, value: req.chap.challenge });
    const resp = chapResponse(ident, Buffer.from(req.chap.password, 'utf8'), req.chap.challenge ?? authenticator);
    avps.push({ def: dict.attributeByName('CHAP-Password')!, value: Buffer.concat([Buffer.of(ident), resp]) });
  }
  return { avps, authenticator, ...(plain ? { plain } : {}), ...(req.messageAuthenticator ? { messageAuthenticator: true } : {}) };
}

/** A UDP client that sends one request at a time and waits for the matching reply. */
export class UdpClient {
  private readonly sock: Socket = createSocket('udp4');
  private id = 0;
  private pending?: { id: number; resolve: (b: Buffer | undefined) => void };

  constructor(private readonly port: number, private readonly address = '127.0.0.1') {
    this.sock.on('message', (msg) => {
      if (this.pending && msg[1] === this.pending.id) {
        const p = this.pending;
        this.pending = undefined;
        p.resolve(msg);
      }
    });
  }

  /** Sends and resolves with the reply, or undefined after `timeoutMs`. */
  send(buf: Buffer, timeoutMs = 1500): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pending = undefined; resolve(undefined); }, timeoutMs);
      this.pending = { id: buf[1]!, resolve: (b) => { clearTimeout(timer); resolve(b); } };
      this.sock.send(buf, this.port, this.address);
    });
  }

  nextId(): number {
    this.id = (this.id + 1) & 0xff;
    return this.id;
  }

  close(): void {
    this.sock.close();
  }
}

/** Sends `req` to FreeRADIUS and returns the outcome. */
export async function askFreeRadius(client: UdpClient, dict: Dictionary, secret: string, built: ReturnType<typeof buildRequest>): Promise<Outcome> {
  const { buffer } = encodeRequest({
    code: 1, identifier: client.nextId(), attributes: built.avps, secret: Buffer.from(secret),
    authenticator: built.authenticator, messageAuthenticator: false, dictionary: dict,
  });
  const reply = await client.send(buffer);
  if (!reply) return { code: 'no reply', attrs: [] };
  const packet = decodePacket(reply, dict);
  return { code: CODES[packet.code] ?? `code ${packet.code}`, attrs: describe(packet.attributes) };
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
 * only when the request asks for it, as radclient of 3.2.1 sends none) to every client's server
 * at once and resolves with each one's decoded answer, in the order of `clients`.
 */
export async function askOverUdp(clients: readonly UdpClient[], dict: Dictionary, secret: string, built: ReturnType<typeof buildRequest>): Promise<WireAnswer[]> {
  const { buffer } = encodeRequest({
    code: 1, identifier: clients[0]!.nextId(), attributes: built.avps, secret: Buffer.from(secret),
    authenticator: built.authenticator, messageAuthenticator: built.messageAuthenticator ?? false, dictionary: dict,
  });
  const replies = await Promise.all(clients.map((c) => c.send(buffer)));
  // a busy machine can be slower than the timeout: retransmit (same datagram, as a NAS does;
  // both servers answer a duplicate from their cache) to a server silent where another answered
  if (replies.some((r) => r) && replies.some((r) => !r)) {
    await Promise.all(clients.map(async (c, i) => { if (!replies[i]) replies[i] = await c.send(buffer, 4000); }));
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
export function askOurs(dict: Dictionary, entries: readonly Entry[] | EntrySource, secret: string, built: ReturnType<typeof buildRequest>, trace?: (l: string) => void): Outcome {
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
