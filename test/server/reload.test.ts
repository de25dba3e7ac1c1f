import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUsersText } from '../../src/policy/users-parser.js';
import { storedEntryFromEntry } from '../../src/store/sqlite/stored-entry.js';
import { UserStore } from '../../src/store/sqlite/user-store.js';
import { A, UdpClient, buildRequest, parseReply, vutlan } from '../support/raw-radius.js';
import { startTestServer, type TestServer } from './test-server.js';
import { eventually } from '../support/eventually.js';

const SECRET = 'testing123';
const HASH = '35675e68f4b5af7b995d9205ad0fc43842f16450';

let ts: TestServer | undefined;
afterEach(async () => {
  await ts?.stop();
  ts = undefined;
});

async function ask(c: UdpClient, port: number, user = 'username01', nas = '192.168.1.88') {
  const req = buildRequest({ secret: SECRET, ma: true, attrs: [A.userName(user), A.nasIp(nas)], password: HASH });
  const raw = await c.request(req.buf, port, '127.0.0.1', 2000);
  return raw ? parseReply(raw, req.authenticator, SECRET) : undefined;
}

describe('reload', () => {
  it('applies a valid change, keeps serving the old config on an invalid one (with file:line)', async () => {
    ts = await startTestServer();
    const c = await UdpClient.open();
    try {
      const users = join(ts.dir, 'authorize');
      const original = readFileSync(users, 'utf8');
      expect((await ask(c, ts.auth, 'carol'))?.code).toBe(3);

      writeFileSync(users, `${original}\ncarol Cleartext-Password := "${HASH}"\n\tSRead = "view,"\n`);
      expect(await ts.server.reload()).toEqual({ ok: true });
      const r = await ask(c, ts.auth, 'carol');
      expect(r?.code).toBe(2);
      expect(vutlan(r!)).toEqual({ SRead: 'view,' });

      writeFileSync(users, `${original}\ncarol Cleartext-Password := "${HASH}"\n\tSRead = ""\n`);
      const bad = await ts.server.reload();
      expect(bad.ok).toBe(false);
      expect(bad.errors!.join('\n')).toMatch(new RegExp(`${users.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+: `));
      // still the previous (valid) configuration
      expect(vutlan((await ask(c, ts.auth, 'carol'))!)).toEqual({ SRead: 'view,' });
    } finally {
      c.close();
    }
  });

  it('50 reloads, half of them invalid, under a bounded request stream: every request answered correctly', async () => {
    ts = await startTestServer();
    const yaml = join(ts.dir, 'radiusd.yaml');
    const good = readFileSync(yaml, 'utf8');
    const badYaml = `${good}\nsecurity_typo: 1\n`;
    const users = join(ts.dir, 'authorize');
    const goodUsers = readFileSync(users, 'utf8');
    const badUsers = `${goodUsers}\nbroken Cleartext-Password := "x",\n`;

    const c = await UdpClient.open();
    let stop = false;
    let sent = 0;
    const failures: string[] = [];
    const stream = (async () => {
      while (!stop && sent < 5000) {
        const nas = sent % 2 === 0 ? '192.168.1.88' : '10.0.0.1';
        sent++;
        const r = await ask(c, ts!.auth, 'username01', nas);
        if (!r) { failures.push(`request ${sent}: no answer`); continue; }
        const lists = vutlan(r);
        const expected = nas === '192.168.1.88' ? 'all,' : '3001,3002,';
        if (r.code !== 2 || !r.responseAuthenticatorOk || !r.maFirstAndValid || lists.GWrite !== expected) {
          failures.push(`request ${sent}: code ${r.code} GWrite ${lists.GWrite}`);
        }
      }
    })();
    const results: boolean[] = [];
    for (let i = 0; i < 50; i++) {
      const invalid = i % 2 === 1;
      if (i % 4 === 1) writeFileSync(yaml, badYaml);
      else if (i % 4 === 3) writeFileSync(users, badUsers);
      else {
        writeFileSync(yaml, good);
        writeFileSync(users, goodUsers);
      }
      const r = await ts.server.reload();
      results.push(r.ok);
      expect(r.ok).toBe(!invalid);
      await new Promise((res) => setTimeout(res, 5));
    }
    stop = true;
    await stream;
    c.close();
    expect(results.filter(Boolean)).toHaveLength(25);
    expect(sent).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });

  it('keeps answering while a large users file is parsed for a reload', async () => {
    ts = await startTestServer();
    const users = join(ts.dir, 'authorize');
    const lines = [readFileSync(users, 'utf8')];
    for (let i = 0; i < 60_000; i++) lines.push(`bulk${i} Cleartext-Password := "${HASH}"\n\tSRead = "view,",\n\tGRead = "all,"\n`);
    writeFileSync(users, lines.join(''));
    const c = await UdpClient.open();
    try {
      let reloaded = false;
      const reload = ts.server.reload().then((r) => { reloaded = true; return r; });
      const answeredDuringReload: number[] = [];
      while (!reloaded) {
        const r = await ask(c, ts.auth);
        if (!reloaded) answeredDuringReload.push(r?.code ?? 0);
      }
      expect(await reload).toEqual({ ok: true });
      // Parsed in one go, the 60,000 entries would hold every request until the reload ended.
      expect(answeredDuringReload.length).toBeGreaterThan(3);
      expect(answeredDuringReload.every((code) => code === 2)).toBe(true);
      expect((await ask(c, ts.auth, 'bulk59999'))?.code).toBe(2);
    } finally {
      c.close();
    }
  });

  it('keeps an unchanged users file without parsing it again, and notices any change to it or its includes', async () => {
    const { utimesSync, statSync } = await import('node:fs');
    ts = await startTestServer();
    const users = join(ts.dir, 'authorize');
    const extra = join(ts.dir, 'extra');
    writeFileSync(extra, `erin Cleartext-Password := "${HASH}"\n\tSRead = "view,"\n`);
    writeFileSync(users, `${readFileSync(users, 'utf8')}\n$INCLUDE extra\n`);
    expect((await ts.server.reload()).ok).toBe(true);
    const first = ts.server.snapshot().usersFiles[0]!.source;
    const c = await UdpClient.open();
    try {
      expect(vutlan((await ask(c, ts.auth, 'erin'))!)).toEqual({ SRead: 'view,' });
      // nothing changed: the same parsed source serves on
      expect((await ts.server.reload()).ok).toBe(true);
      expect(ts.server.snapshot().usersFiles[0]!.source).toBe(first);
      expect(ts.server.snapshot().counts.userFilesKept).toBe(1);
      // an included file changed, same size, old modification time put back: parsed again
      const st = statSync(extra);
      writeFileSync(extra, `erin Cleartext-Password := "${HASH}"\n\tSRead = "edit,"\n`);
      utimesSync(extra, st.atime, st.mtime);
      expect(statSync(extra).size).toBe(st.size);
      expect((await ts.server.reload()).ok).toBe(true);
      expect(ts.server.snapshot().usersFiles[0]!.source).not.toBe(first);
      expect(ts.server.snapshot().counts.userFilesKept).toBe(0);
      expect(vutlan((await ask(c, ts.auth, 'erin'))!)).toEqual({ SRead: 'edit,' });
    } finally {
      c.close();
    }
  });

  it('stops a reload in progress when the server is closed', async () => {
    // a clock that moves 1 ms per read: every step of the load is a slice of its own, and the
    // reads count the steps, so "how far the parse got" is counted, not timed
    let reads = 0;
    ts = await startTestServer('', { now: () => reads++ });
    const users = join(ts.dir, 'authorize');
    const lines = [readFileSync(users, 'utf8')];
    for (let i = 0; i < 60_000; i++) lines.push(`bulk${i} Cleartext-Password := "${HASH}"\n\tSRead = "view,"\n`);
    writeFileSync(users, lines.join(''));
    let from = reads;
    expect((await ts.server.reload()).ok).toBe(true);
    const fullReload = reads - from;
    expect(fullReload).toBeGreaterThan(100);
    writeFileSync(users, `${lines.join('')}\n`); // changed: parsed again
    from = reads;
    const reload = ts.server.reload();
    while (reads - from < 20) await new Promise((res) => setImmediate(res)); // inside the parse
    const running = ts;
    ts = undefined;
    await running.server.close();
    // close did not wait for the rest of the parse
    expect(reads - from).toBeLessThan(fullReload / 2);
    await running.stop();
    expect(await reload).toEqual({ ok: false, errors: ['server is closed'] });
  });

  it('keeps the SQLite store open across reloads while its settings and file are unchanged, and closes it when replaced', async () => {
    ts = await startTestServer();
    const dict = ts.server.snapshot().dictionary;
    const storePath = join(ts.dir, 'users.sqlite');
    const writeStore = (text: string) => {
      const store = new UserStore(storePath);
      try {
        store.importEntries(parseUsersText(text, 'import', dict).map((e) => storedEntryFromEntry(dict, e)), true);
      } finally {
        store.close();
      }
    };
    writeStore(`sam Cleartext-Password := "${HASH}"\n\tSRead = "view,"\n`);
    const yaml = join(ts.dir, 'radiusd.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('  files: [ ./authorize ]\n', '  files: [ ./authorize ]\n  sqlite: ./users.sqlite\n'));
    expect((await ts.server.reload()).ok).toBe(true);
    const first = ts.server.snapshot().sqliteSource!;
    expect(first).toBeDefined();
    const c = await UdpClient.open();
    try {
      expect(vutlan((await ask(c, ts.auth, 'sam'))!)).toEqual({ SRead: 'view,' });
      expect((await ts.server.reload()).ok).toBe(true);
      expect(ts.server.snapshot().sqliteSource).toBe(first); // kept, and still open after the old snapshot closed
      writeStore(`sam Cleartext-Password := "${HASH}"\n\tSRead = "edit,"\n`);
      expect(vutlan((await ask(c, ts.auth, 'sam'))!)).toEqual({ SRead: 'edit,' }); // live change, as ever
      // the file replaced by another one (mv over it): a reload opens the new file
      const { renameSync, rmSync } = await import('node:fs');
      renameSync(storePath, `${storePath}.old`);
      rmSync(`${storePath}-wal`, { force: true });
      rmSync(`${storePath}-shm`, { force: true });
      writeStore(`sam Cleartext-Password := "${HASH}"\n\tSRead = "new-file,"\n`);
      expect((await ts.server.reload()).ok).toBe(true);
      const second = ts.server.snapshot().sqliteSource!;
      expect(second).not.toBe(first);
      expect(vutlan((await ask(c, ts.auth, 'sam'))!)).toEqual({ SRead: 'new-file,' });
      // another cache size: a new source, and the old one is closed
      writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('  sqlite: ./users.sqlite\n', '  sqlite: ./users.sqlite\n  sqlite_cache: 10\n'));
      expect((await ts.server.reload()).ok).toBe(true);
      expect(ts.server.snapshot().sqliteSource).not.toBe(second);
      expect(() => first.lookup('sam')).toThrow(/not open/);
      expect(() => second.lookup('sam')).toThrow(/not open/);
      expect(vutlan((await ask(c, ts.auth, 'sam'))!)).toEqual({ SRead: 'new-file,' });
    } finally {
      c.close();
    }
  });

  it('folds reloads asked for during a reload into one more', async () => {
    ts = await startTestServer();
    const first = ts.server.reload();
    expect(ts.server.reload()).toBe(first); // not started yet: joins it
    await new Promise((res) => setImmediate(res)); // now it runs
    const next = [ts.server.reload(), ts.server.reload(), ts.server.reload()];
    expect(next[1]).toBe(next[0]);
    expect(next[2]).toBe(next[0]);
    expect(next[0]).not.toBe(first);
    expect(await first).toEqual({ ok: true });
    expect(await next[0]).toEqual({ ok: true });
    expect(ts.server.reload()).not.toBe(next[0]);
  });

  it('watches the loaded files and reloads by itself (debounced)', async () => {
    ts = await startTestServer('', { watch: true });
    const c = await UdpClient.open();
    try {
      const users = join(ts.dir, 'authorize');
      const generation = ts.server.reloadStatus().generation;
      writeFileSync(users, `${readFileSync(users, 'utf8')}\ndave Cleartext-Password := "${HASH}"\n\tGRead = "none"\n`);
      // waits for the reload the watcher started (a generation more), not for a guessed time
      expect(await eventually(() => ts!.server.reloadStatus().generation > generation, 20_000)).toBe(true);
      expect((await ask(c, ts.auth, 'dave'))?.code).toBe(2);
    } finally {
      c.close();
    }
  });

  it('rebinds listeners only when listen changed', async () => {
    ts = await startTestServer();
    const before = ts.server.addresses();
    expect((await ts.server.reload()).ok).toBe(true);
    expect(ts.server.addresses()).toEqual(before);
    const yaml = join(ts.dir, 'radiusd.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('  - { type: auth, address: "::1", port: 0 }\n', ''));
    expect((await ts.server.reload()).ok).toBe(true);
    const after = ts.server.addresses();
    expect(after).toHaveLength(2);
    const c = await UdpClient.open();
    try {
      expect((await ask(c, after.find((a) => a.type === 'auth')!.port))?.code).toBe(2);
    } finally {
      c.close();
    }
  });
});

describe('reload and the dictionary', () => {
  it('reuses the parsed dictionary while its files are unchanged, reloads it when one changes', async () => {
    const { cpSync } = await import('node:fs');
    const { repoRoot } = await import('./test-server.js');
    ts = await startTestServer();
    const dictDir = join(ts.dir, 'dict');
    cpSync(join(repoRoot, 'dictionaries/dictionary'), join(dictDir, 'dictionary'));
    cpSync(join(repoRoot, 'dictionaries/dictionary.vutlan'), join(dictDir, 'dictionary.vutlan'));
    const yaml = join(ts.dir, 'radiusd.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/^dictionary: .*$/m, 'dictionary: ./dict/dictionary'));
    expect((await ts.server.reload()).ok).toBe(true);
    const first = ts.server.snapshot().dictionary;
    expect((await ts.server.reload()).ok).toBe(true);
    expect(ts.server.snapshot().dictionary).toBe(first);
    writeFileSync(join(dictDir, 'dictionary.vutlan'), `${readFileSync(join(dictDir, 'dictionary.vutlan'), 'utf8')}ATTRIBUTE\tVutlan-Extra\t18\tstring\tVutlan\n`);
    expect((await ts.server.reload()).ok).toBe(true);
    expect(ts.server.snapshot().dictionary).not.toBe(first);
    expect(ts.server.snapshot().dictionary.attributeByName('Vutlan-Extra')).toBeDefined();
  });
});
