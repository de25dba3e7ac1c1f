import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Avp } from '../protocol/attribute.js';
import { chapResponse } from '../protocol/chap.js';
import { Code, codeName } from '../protocol/codes.js';
import { decodePacket } from '../protocol/decode.js';
import type { Dictionary } from '../protocol/dictionary.js';
import { loadDictionary } from '../protocol/dictionary-loader.js';
import { encodeRequest, isAuthenticResponse } from '../protocol/encode.js';
import { verifyMessageAuthenticator } from '../protocol/message-authenticator.js';
import { Attr } from '../protocol/packet.js';
import { parseValue } from '../protocol/values.js';
import { printAttribute } from '../server/attribute-text.js';
import { defaultDictionaryPath } from '../server/config.js';

/** Options of `vutlan-radius test`. */
export interface TestOptions {
  server: string;
  secret: string;
  nasIp: string;
  chap?: boolean;
  dictionary?: string;
  timeout: string;
  retries: string;
  /** Local address to send from (the web admin's test login sends from the NAS's loopback address). */
  bindAddress?: string;
}

/** What a test exchange ended with. */
export interface TestResult {
  code: number | undefined;
  /** Lines printed (also written to `out`). */
  lines: string[];
  exitCode: 0 | 1;
}

/**
 * Registers `vutlan-radius test USER PASSWORD`: a radtest-like client. Sends one Access-Request
 * with Message-Authenticator (retransmitting the same packet on timeout, as radclient does),
 * checks the Response Authenticator and the reply's Message-Authenticator, prints the reply with
 * vendor attributes by name, and exits 0 on Access-Accept, 1 otherwise.
 */
export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description('send an Access-Request (like radtest) and print the reply; exit 0 on Access-Accept')
    .argument('<user>', 'User-Name')
    .argument('<password>', 'password (sent as User-Password, or CHAP-Password with --chap)')
    .option('--server <host:port>', 'server address and port ([v6]:port for IPv6)', '127.0.0.1:1812')
    .option('--secret <secret>', 'shared secret', 'testing123')
    .option('--nas-ip <ip>', 'NAS-IP-Address to send', '127.0.0.1')
    .option('--chap', 'use CHAP instead of PAP')
    .option('-d, --dictionary <path>', 'dictionary file or directory holding "dictionary" (default: the bundled one)')
    .option('--timeout <seconds>', 'seconds to wait before retransmitting', '3')
    .option('--retries <n>', 'transmissions in total before giving up', '3')
    .action(async (user: string, password: string, opts: TestOptions) => {
      const r = await runTest(user, password, opts, (line) => process.stdout.write(`${line}\n`));
      process.exitCode = r.exitCode;
    });
}

/** Parses `host:port`, `[v6]:port`, `host` (port 1812) or a bare IPv6 address. */
export function parseServer(text: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) return { host: v6[1]!, port: v6[2] ? Number(v6[2]) : 1812 };
  if (isIP(text) === 6) return { host: text, port: 1812 };
  const i = text.lastIndexOf(':');
  if (i < 0) return { host: text, port: 1812 };
  const port = Number(text.slice(i + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port in --server ${text}`);
  return { host: text.slice(0, i), port };
}

function dictionaryFor(path: string | undefined): Dictionary {
  if (!path) return loadDictionary(defaultDictionaryPath());
  let file = path;
  try {
    if (statSync(path).isDirectory()) file = join(path, 'dictionary');
  } catch {
    // a missing path is reported by the loader with its name
  }
  return loadDictionary(file);
}

function avp(dict: Dictionary, name: string, text: string): Avp {
  const def = dict.attributeByName(name);
  if (!def) throw new Error(`the dictionary has no ${name}`);
  return { def, value: parseValue(def, text, '"') };
}

/** Runs one exchange; never throws for network or protocol failures (they are exit code 1). */
export async function runTest(user: string, password: string, opts: TestOptions, out: (line: string) => void): Promise<TestResult> {
  const lines: string[] = [];
  const print = (line: string) => {
    lines.push(line);
    out(line);
  };
  const fail = (line: string): TestResult => {
    print(line);
    return { code: undefined, lines, exitCode: 1 };
  };
  let dict: Dictionary;
  let server: { host: string; port: number };
  try {
    dict = dictionaryFor(opts.dictionary);
    server = parseServer(opts.server);
  } catch (err) {
    return fail(`error: ${(err as Error).message}`);
  }
  const secret = Buffer.from(opts.secret, 'utf8');
  const authenticator = randomBytes(16);
  const identifier = randomBytes(1)[0]!;
  const attributes: Avp[] = [avp(dict, 'User-Name', user)];
  if (opts.chap) {
    const ident = randomBytes(1)[0]!;
    const def = dict.attributeByCode(0, Attr.ChapPassword)!;
    attributes.push({ def, value: Buffer.concat([Buffer.from([ident]), chapResponse(ident, Buffer.from(password, 'utf8'), authenticator)]) });
  } else {
    attributes.push({ def: dict.attributeByCode(0, Attr.UserPassword)!, value: Buffer.from(password, 'utf8') });
  }
  try {
    attributes.push(avp(dict, isIP(opts.nasIp) === 6 ? 'NAS-IPv6-Address' : 'NAS-IP-Address', opts.nasIp));
  } catch (err) {
    return fail(`error: --nas-ip ${opts.nasIp}: ${(err as Error).message}`);
  }
  attributes.push(avp(dict, 'NAS-Port', '0'));
  const { buffer } = encodeRequest({ code: Code.AccessRequest, identifier, attributes, secret, authenticator, messageAuthenticator: true });

  const timeoutMs = Math.max(0.1, Number(opts.timeout) || 3) * 1000;
  const tries = Math.max(1, Math.floor(Number(opts.retries) || 3));
  const socket = createSocket(isIP(server.host) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, opts.bindAddress, () => resolve());
    });
    const local = socket.address();
    print(`Sent Access-Request Id ${identifier} from ${local.address}:${local.port} to ${server.host}:${server.port} length ${buffer.length}`);
    print('\tMessage-Authenticator = 0x00');
    for (const a of attributes) print(`\t${printAttribute(a)}`);

    const reply = await exchange(socket, buffer, server, identifier, timeoutMs, tries);
    if (!reply) return fail(`(0) No reply from server for ID ${identifier}`);
    if (!isAuthenticResponse(reply, authenticator, secret)) {
      return fail(`Received a reply with an invalid Response Authenticator (is the shared secret right?): dropped`);
    }
    const ma = checkReplyMessageAuthenticator(reply, authenticator, secret);
    if (ma === 'bad') return fail('Received a reply with an invalid Message-Authenticator: dropped');
    const packet = decodePacket(reply, dict);
    print(`Received ${codeName(packet.code)} Id ${packet.identifier} from ${server.host}:${server.port} to ${local.address}:${local.port} length ${reply.length}`);
    for (const a of packet.attributes) {
      if (a.def.vendorId === 0 && a.def.type === Attr.MessageAuthenticator) print(`\tMessage-Authenticator = 0x${a.value.toString('hex')}`);
      else print(`\t${printAttribute(a)}`);
    }
    if (ma === 'missing') print('(0) warning: the reply has no Message-Authenticator (BlastRADIUS, CVE-2024-3596)');
    else if (ma === 'not_first') print('(0) warning: Message-Authenticator is not the first attribute of the reply');
    if (packet.code !== Code.AccessAccept) print(`(0) -: Expected Access-Accept got ${codeName(packet.code)}`);
    return { code: packet.code, lines, exitCode: packet.code === Code.AccessAccept ? 0 : 1 };
  } catch (err) {
    return fail(`error: ${(err as Error).message}`);
  } finally {
    socket.close();
  }
}

function exchange(
  socket: ReturnType<typeof createSocket>,
  request: Buffer,
  server: { host: string; port: number },
  identifier: number,
  timeoutMs: number,
  tries: number,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (reply: Buffer | undefined) => {
      if (timer) clearTimeout(timer);
      socket.off('message', onMessage);
      resolve(reply);
    };
    const onMessage = (msg: Buffer) => {
      if (msg.length >= 20 && msg[1] === identifier) finish(msg);
    };
    const transmit = () => {
      if (sent >= tries) return finish(undefined);
      sent++;
      socket.send(request, server.port, server.host);
      timer = setTimeout(transmit, timeoutMs);
    };
    socket.on('message', onMessage);
    transmit();
  });
}

/**
 * Checks the reply's Message-Authenticator (RFC 3579 3.2: HMAC-MD5 over the reply with the
 * request authenticator in the header and the MA value zeroed).
 */
export function checkReplyMessageAuthenticator(reply: Buffer, requestAuthenticator: Buffer, secret: Buffer): 'ok' | 'not_first' | 'missing' | 'bad' {
  const length = Math.min(reply.readUInt16BE(2), reply.length);
  let offset = 20;
  let first = true;
  while (offset + 2 <= length) {
    const type = reply[offset]!;
    const len = reply[offset + 1]!;
    if (len < 2 || offset + len > length) return 'bad';
    if (type === Attr.MessageAuthenticator) {
      if (len !== 18) return 'bad';
      if (!verifyMessageAuthenticator(reply, length, offset + 2, secret, requestAuthenticator)) return 'bad';
      return first ? 'ok' : 'not_first';
    }
    first = false;
    offset += len;
  }
  return 'missing';
}
