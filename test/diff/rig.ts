import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';

import type { Dictionary } from '../../src/protocol/dictionary.js';
import { parseUsersFile } from '../../src/policy/users-parser.js';
import { type RunningFreeRadius, startFreeRadius } from '../../src/bench/freeradius-runner.js';
import { storedEntryFromEntry } from '../../src/store/sqlite/stored-entry.js';
import { UserStore } from '../../src/store/sqlite/user-store.js';
import { type DiffRequest, type Outcome, openPeer, type Peer, type WireAnswer, askOverUdp, buildRequest } from './harness.js';
import { type OurServer, startOurServer } from './our-server.js';

/**
 * One differential set-up for one users file: FreeRADIUS 3.2.1 answering from the file, our
 * server answering from the same file, and (unless turned off) a second server of ours
 * answering from an SQLite store the file's entries were imported into. Every request goes as
 * the same datagram to all of them at once.
 */

/** Which of our user sources answered. */
export type OurSource = 'file' | 'sqlite';

/** Options of {@link DiffRig.start}. */
export interface DiffRigOptions {
  usersFile: string;
  /** Entry dictionary path, given to both servers. */
  dictionary: string;
  /** The same dictionary, loaded (to build requests and decode replies). */
  dict: Dictionary;
  secret: string;
  /** Also run a server of ours on the entries imported into SQLite (default true). */
  sqlite?: boolean;
}

/** Every server's answer to one request. */
export interface RigAnswers {
  request: DiffRequest;
  freeradius: WireAnswer;
  ours: { source: OurSource; answer: WireAnswer; trace: string[] }[];
}

/** FreeRADIUS + our server(s) on one users file; start once per file, reuse for every case. */
export class DiffRig {
  private constructor(
    private readonly opts: DiffRigOptions,
    private readonly dir: string,
    private readonly fr: RunningFreeRadius,
    private readonly servers: { source: OurSource; server: OurServer; client: Peer }[],
    private readonly frClient: Peer,
  ) {}

  /** Imports the file into SQLite (when asked) and starts every server in parallel. */
  static async start(opts: DiffRigOptions): Promise<DiffRig> {
    const dir = mkdtempSync(join(tmpdir(), 'diff-rig-'));
    const kinds: { source: OurSource; users: { files: string[] } | { sqlite: string } }[] = [{ source: 'file', users: { files: [opts.usersFile] } }];
    if (opts.sqlite !== false) {
      const db = join(dir, 'users.sqlite');
      const store = new UserStore(db);
      try {
        store.importEntries(parseUsersFile(opts.usersFile, opts.dict).map((e) => storedEntryFromEntry(opts.dict, e)), true);
      } finally {
        store.close();
      }
      kinds.push({ source: 'sqlite', users: { sqlite: db } });
    }
    const started = await Promise.allSettled([
      startFreeRadius({ usersFile: opts.usersFile, secret: opts.secret, dictionary: opts.dictionary }),
      ...kinds.map((k) => startOurServer({ users: k.users, dictionary: opts.dictionary, secret: opts.secret })),
    ]);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      await Promise.allSettled(started.map((s) => (s.status === 'fulfilled' ? ('stop' in s.value ? s.value.stop() : s.value.close()) : undefined)));
      rmSync(dir, { recursive: true, force: true });
      throw (failed as PromiseRejectedResult).reason;
    }
    const [fr, ...ours] = started.map((s) => (s as PromiseFulfilledResult<unknown>).value) as [RunningFreeRadius, ...OurServer[]];
    const peers = await Promise.all(ours.map((server) => openPeer(server.port)));
    return new DiffRig(opts, dir, fr, ours.map((server, i) => ({ source: kinds[i]!.source, server, client: peers[i]! })), await openPeer(fr.port));
  }

  /** Sends `req` to every server (one datagram, same bytes) and collects the answers. */
  async ask(req: DiffRequest): Promise<RigAnswers> {
    const built = buildRequest(this.opts.dict, req);
    for (const s of this.servers) s.server.clearTrace();
    const [freeradius, ...ours] = await askOverUdp([this.frClient, ...this.servers.map((s) => s.client)], this.opts.dict, this.opts.secret, built);
    return {
      request: req,
      freeradius: freeradius!,
      ours: this.servers.map((s, i) => ({ source: s.source, answer: ours[i]!, trace: [...s.server.trace()] })),
    };
  }

  /** Stops every server and removes the SQLite copy. */
  async stop(): Promise<void> {
    this.frClient.close();
    for (const s of this.servers) s.client.close();
    await Promise.allSettled([this.fr.stop(), ...this.servers.map((s) => s.server.close())]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The compared part of an answer: code and reply attributes in order, Message-Authenticator excluded. */
export function comparable(a: WireAnswer): Outcome {
  return { code: a.code, attrs: a.attrs };
}

/**
 * Asserts that each of our servers answered exactly like FreeRADIUS (code and reply attributes
 * in order), that every reply is authentic for the request, and that ours carry
 * Message-Authenticator as their first attribute (FreeRADIUS 3.2.1 does not sign; we always do).
 */
export function expectSameAnswers(a: RigAnswers, context = ''): void {
  const request = `${context}request ${JSON.stringify(a.request)}`;
  expect(a.freeradius.authentic, `FreeRADIUS reply not authentic: ${request}`).toBe(true);
  for (const o of a.ours) {
    const trace = o.trace.join('\n');
    expect(comparable(o.answer), `our ${o.source} server vs FreeRADIUS: ${request}\nour trace:\n${trace}`).toEqual(comparable(a.freeradius));
    expect(o.answer.authentic, `our ${o.source} server's reply not authentic: ${request}`).toBe(true);
    if (o.answer.code !== 'no reply') {
      expect(o.answer.messageAuthenticator, `our ${o.source} server's reply: Message-Authenticator: ${request}`).toBe('first');
    }
  }
}
