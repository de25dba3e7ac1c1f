/**
 * FreeRADIUS's radclient 3.2.1 against a minimal responder built on our codec: radclient must
 * accept our signed replies (Response Authenticator and Message-Authenticator) and, with
 * `-d dictionaries`, print the Vutlan attributes by name.
 */
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Avp } from '../../src/protocol/attribute.js';
import { checkPacket, decodePacket, verifyRequest } from '../../src/protocol/decode.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { encodeResponse } from '../../src/protocol/encode.js';
import type { Packet } from '../../src/protocol/packet.js';
import { runTool } from '../support/run-tool.js';
import { hasCommand, skipWithout } from '../support/tools.js';

const DICTIONARY_DIR = fileURLToPath(new URL('../../dictionaries', import.meta.url));
const KEY = Buffer.from('testing123');

const radclient = (args: string[], input: string) => runTool('radclient', args, { input });

describe.skipIf(skipWithout(hasCommand('radclient'), 'radclient (freeradius-utils)'))('radclient 3.2.1 against our codec', () => {
  let dict: Dictionary;
  let server: Socket;
  let port = 0;
  const seen: { names: string[]; password?: string; hadMa: boolean }[] = [];

  beforeAll(async () => {
    dict = loadDictionary(`${DICTIONARY_DIR}/dictionary`);
    const reply = (name: string, value: string): Avp => ({ def: dict.attributeByName(name)!, value: Buffer.from(value) });
    server = createSocket('udp4');
    server.on('message', (msg, rinfo) => {
      let p: Packet;
      let hadMessageAuthenticator: boolean;
      try {
        p = decodePacket(msg, dict, { secret: KEY });
        ({ hadMessageAuthenticator } = verifyRequest(msg, checkPacket(msg), KEY));
      } catch {
        return; // dropped, as the server would
      }
      const password = p.attributes.find((a) => a.def.name === 'User-Password')?.value.toString();
      seen.push({ names: p.attributes.map((a) => a.def.name), hadMa: hadMessageAuthenticator, ...(password ? { password } : {}) });
      const out = encodeResponse({
        code: 2, // Access-Accept, also for Status-Server on an auth port
        identifier: p.identifier,
        requestAuthenticator: p.authenticator,
        secret: KEY,
        attributes: p.code === 12 ? [] : [reply('SRead', 'all,'), reply('CWrite', 'none'), reply('RFU2', 'x'), reply('Reply-Message', 'hi')],
      });
      server.send(out, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
    port = server.address().port;
  });

  afterAll(() => {
    server?.close();
  });

  it('prints SRead = "all," by name with -d dictionaries and accepts the signed reply', async () => {
    const r = await radclient(
      ['-x', '-r', '1', '-t', '3', '-d', DICTIONARY_DIR, `127.0.0.1:${port}`, 'auth', 'testing123'],
      'User-Name = "username01"\nUser-Password = "pw-of-the-device"\nMessage-Authenticator = 0x00\n',
    );
    expect(r.stderr).not.toMatch(/dict_init|error/i);
    expect(r.stdout).toContain('Received Access-Accept');
    expect(r.stdout).toContain('SRead = "all,"');
    expect(r.stdout).toContain('CWrite = "none"');
    expect(r.stdout).toContain('RFU2 = "x"');
    expect(r.stdout).toContain('Reply-Message = "hi"');
    expect(r.status).toBe(0);
    const last = seen.at(-1)!;
    expect(last.password).toBe('pw-of-the-device');
    expect(last.hadMa).toBe(true);
  });

  it('answers a radclient Status-Server (Message-Authenticator verified)', async () => {
    const r = await radclient(
      ['-x', '-r', '1', '-t', '3', '-d', DICTIONARY_DIR, `127.0.0.1:${port}`, 'status', 'testing123'],
      'Message-Authenticator = 0x00\n',
    );
    expect(r.stdout).toContain('Received Access-Accept');
    expect(seen.at(-1)!.hadMa).toBe(true);
  });

  it('radclient throws away a reply signed with another secret', async () => {
    const r = await radclient(
      ['-r', '1', '-t', '1', '-d', DICTIONARY_DIR, `127.0.0.1:${port}`, 'auth', 'not-the-secret'],
      'User-Name = "username01"\nUser-Password = "x"\n',
    );
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain('Received Access-Accept');
  });
});

