import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningFreeRadius, startFreeRadius } from '../../src/bench/freeradius-runner.js';
import {
  RADIUS_DATABASE, RADIUS_PASSWORD, RADIUS_USER, postgresTestsEnabled, startPostgres, type PostgresCluster,
} from '../../src/bench/postgres-cluster.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { changeLogInstallSql } from '../../src/store/pgsql/change-log.js';
import { type DiffRequest, openPeer, type Peer, askOverUdp, buildRequest } from '../diff/harness.js';
import { type OurServer, startOurServer } from '../diff/our-server.js';
import { comparable } from '../diff/rig.js';
import { type CliRun, runCli } from '../support/run-cli.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';

/**
 * The `users` CLI on FreeRADIUS's PostgreSQL schema: the rows it writes (what daloRADIUS writes),
 * the same output and messages as on the SQLite store, disabled users refused by FreeRADIUS 3.2.1
 * rlm_sql and by our users.sql source alike, a change answered by a running server within 1 s,
 * all-or-nothing imports, and an export that FreeRADIUS and our files source answer like the SQL
 * rows.
 */

const DICT = 'dictionaries/dictionary';
const SECRET = 'testing123';
const HEX = '35675e68f4b5af7b995d9205ad0fc43842f16450'; // sha1("guest"), what the device sends
const pgOk = postgresTestsEnabled('the users CLI on PostgreSQL');
const frOk = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');
if (!frOk) console.warn('FreeRADIUS is not installed: skipping the users CLI on PostgreSQL (it runs when CI=true)');

describe.skipIf(!pgOk || !frOk)('users CLI on PostgreSQL (FreeRADIUS schema)', () => {
  let pgc: PostgresCluster;
  let dir: string;
  let dict: Dictionary;
  let frSql: RunningFreeRadius;
  let ours: OurServer;
  let frClient: Peer;
  let ourClient: Peer;

  const sql = (args: string[], input?: string): CliRun => runCli(['users', '--sql', pgc.url, ...args], input);
  const lite = (args: string[], input?: string): CliRun => runCli(['users', '--db', join(dir, 'same.sqlite'), ...args], input);
  /** Rows of a table as `name|attribute|op|value` lines (id order). */
  const table = (t: string, where = ''): string[] => {
    const col = t.startsWith('radgroup') ? 'groupname' : 'username';
    return pgc.psql(`SELECT ${col}, attribute, op, value FROM ${t} ${where} ORDER BY id`).trim().split('\n').filter(Boolean);
  };
  const count = (): string => pgc.psql('SELECT (SELECT count(*) FROM radcheck) || \',\' || (SELECT count(*) FROM radreply) || \',\' || (SELECT count(*) FROM radusergroup) || \',\' || (SELECT count(*) FROM radgroupcheck) || \',\' || (SELECT count(*) FROM radgroupreply)').trim();
  const wipe = () => pgc.psql('DELETE FROM radcheck; DELETE FROM radreply; DELETE FROM radusergroup; DELETE FROM radgroupcheck; DELETE FROM radgroupreply;');

  const request = (user: string, pap: string, nas = '127.0.0.1'): DiffRequest => ({ label: `${user} ${nas}`, attrs: [['User-Name', user], ['NAS-IP-Address', nas]], pap });
  /** Asks FreeRADIUS (rlm_sql) and our server (users.sql), returns both comparable answers. */
  const askBoth = async (req: DiffRequest) => {
    const [fr, me] = await askOverUdp([frClient, ourClient], dict, SECRET, buildRequest(dict, req));
    expect(me!.authentic).toBe(true);
    return { fr: comparable(fr!), ours: comparable(me!) };
  };
  /** Waits until our server answers `req` with `code` (its polling); returns the milliseconds, -1 if never in `ms`. */
  const oursAnswers = async (req: DiffRequest, code: string, ms = 3000): Promise<number> => {
    const start = Date.now();
    while (Date.now() - start < ms) {
      const [a] = await askOverUdp([ourClient], dict, SECRET, buildRequest(dict, req));
      if (a!.code === code) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 10));
    }
    return -1;
  };

  beforeAll(async () => {
    dict = loadDictionary(DICT);
    pgc = await startPostgres();
    pgc.psql(`SET ROLE ${RADIUS_USER};\n${changeLogInstallSql()}`);
    dir = mkdtempSync(join(tmpdir(), 'vr-sqlcli-'));
    const empty = join(dir, 'empty-authorize');
    writeFileSync(empty, '# no users: answers come from rlm_sql\n');
    const started = await Promise.allSettled([
      startFreeRadius({
        usersFile: empty, secret: SECRET, dictionary: DICT, sqlPostAuth: false,
        sql: { host: '127.0.0.1', port: pgc.port, user: RADIUS_USER, password: RADIUS_PASSWORD, database: RADIUS_DATABASE },
      }),
      startOurServer({ users: { files: [empty], sql: pgc.url }, dictionary: DICT, secret: SECRET }),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    frSql = (started[0] as PromiseFulfilledResult<RunningFreeRadius>).value;
    ours = (started[1] as PromiseFulfilledResult<OurServer>).value;
    frClient = await openPeer(frSql.port);
    ourClient = await openPeer(ours.port);
  }, 180_000);

  afterAll(async () => {
    frClient?.close();
    ourClient?.close();
    await Promise.allSettled([frSql?.stop(), ours?.close()]);
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('add writes what daloRADIUS writes: the password in radcheck (:=), the Vutlan lists in radreply (=)', () => {
    wipe();
    const r = sql(['add', 'op1', '--sha1-hex', HEX, '--cleartext', '--sread', 'all', '--swrite', 'view,log', '--gread', 'all']);
    expect(r).toMatchObject({ code: 0, stdout: 'added op1 (1 entry)\n' });
    expect(r.stderr).toMatch(/^warning: storing Cleartext-Password/);
    expect(table('radcheck')).toEqual([`op1|Cleartext-Password|:=|${HEX}`]);
    expect(table('radreply')).toEqual(['op1|SRead|=|all,', 'op1|SWrite|=|view,log,', 'op1|GRead|=|all,']);
    expect(pgc.psql('SELECT count(*) FROM radusergroup').trim()).toBe('0');
    // the default: a salted hash of the device's SHA-1 hex, never the hex itself
    expect(sql(['add', 'h1', '--password-stdin', '--device', '--sread', 'view'], 'guest\n')).toMatchObject({ code: 0, stderr: '' });
    const [h1] = table('radcheck', "WHERE username = 'h1'");
    const [, attribute, op, value] = h1!.split('|');
    expect([attribute, op]).toEqual(['SSHA2-512-Password', ':=']);
    const raw = Buffer.from(value!, 'base64');
    expect(createHash('sha512').update(HEX).update(raw.subarray(64)).digest()).toEqual(raw.subarray(0, 64));
    // a name rlm_sql escapes is stored escaped, as FreeRADIUS looks it up
    expect(sql(['add', "o'brien", '--password', 'pw']).code).toBe(0);
    expect(table('radcheck', "WHERE username NOT IN ('op1', 'h1')").map((l) => l.split('|')[0])).toEqual(['o=27brien']);
    expect(sql(['show', "o'brien"]).code).toBe(0);
  }, 120_000);

  it('gives the same output, exit codes and messages as the SQLite CLI for the same commands', () => {
    wipe();
    const script: [string[], string?][] = [
      [['add', 'a1', '--sha1-hex', HEX, '--cleartext', '--sread', 'all', '--nas', '10.0.0.9', '--sread', 'view']],
      [['add', 'b2', '--password', 'x', '--rfu1', 'something strange']],
      [['add', 'b2', '--password', 'y']],
      [['add', 'np', '--sread', 'all']],
      [['add', 'bad', '--password', 'x', '--sread', 'all,cameras,bogus']],
      [['add', 'bad', '--password', 'x', '--gwrite', 'all,3001']],
      [['add', 'bad', '--password', 'x', '--rfu2', '']],
      [['add', 'bad', '--password', 'x', '--nas', '192.168.1.300']],
      [['add', 'bad', '--sha1-hex', 'abc']],
      [['add', 'bad user', '--password', 'x']],
      [['list']], [['--json', 'list']], [['show', 'a1']], [['--json', 'show', 'b2']], [['show', 'nobody']],
      [['set', 'a1', '--swrite', 'log,view', '--unset', 'rfu2', '--gread', '7']],
      [['set', 'a1', '--nas', '10.0.0.5', '--swrite', 'all']],
      [['set', 'a1']],
      [['set', 'nobody', '--sread', 'all']],
      [['show', 'a1']],
      [['disable', 'a1', '--nas', '10.0.0.9']], [['show', 'a1']],
      [['disable', 'a1', '--nas', '10.9.9.9']],
      [['enable', 'a1']], [['disable', 'b2']], [['list']],
      [['set', 'b2', '--sha1-hex', '-'], `${HEX}\n`],
      [['del', 'a1', '--nas', '10.0.0.5']], [['--json', 'show', 'a1']],
      [['del', 'b2']], [['del', 'b2']], [['list']],
    ];
    const norm = (r: CliRun) => ({ code: r.code, stdout: r.stdout.replace(/#\d+/g, '#N').replace(/"id":\d+/g, '"id":0'), stderr: r.stderr });
    for (const [args, input] of script) {
      expect(norm(sql(args, input)), `users ${args.join(' ')}`).toEqual(norm(lite(args, input)));
    }
  }, 120_000);

  it('a change made with the CLI is answered by a running server within 1 s, without reload', async () => {
    wipe();
    expect(sql(['add', 'live', '--password', 'livepw', '--sread', 'all']).code).toBe(0);
    expect(await oursAnswers(request('live', 'livepw'), 'Access-Accept')).toBeGreaterThanOrEqual(0);
    const before = (await askBoth(request('live', 'livepw'))).ours;
    expect(sql(['set', 'live', '--sread', 'view']).code).toBe(0);
    const start = Date.now();
    let seen = -1;
    while (Date.now() - start < 3000) {
      const a = (await askBoth(request('live', 'livepw'))).ours;
      if (JSON.stringify(a) !== JSON.stringify(before)) { seen = Date.now() - start; expect(a.attrs).toContain('SRead = "view,"'); break; }
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(seen).toBeGreaterThanOrEqual(0);
    expect(seen).toBeLessThan(1000);
  }, 120_000);

  it('disable writes Auth-Type := Reject in radcheck: FreeRADIUS rlm_sql and our users.sql both refuse; enable lets the user in again', async () => {
    wipe();
    expect(sql(['add', 'd1', '--password', 'd1pw', '--sread', 'all']).code).toBe(0);
    expect(sql(['add', 'username01', '--sha1-hex', HEX, '--cleartext', '--sread', 'all', '--swrite', 'devvirt,log', '--gwrite', '3001',
      '--nas', '192.168.1.88', '--swrite', 'all', '--gwrite', 'all']).code).toBe(0);
    expect(await oursAnswers(request('username01', HEX), 'Access-Accept')).toBeGreaterThanOrEqual(0);
    // per-NAS rights: one group per entry, first match, on both servers
    expect(pgc.psql("SELECT groupname, priority FROM radusergroup WHERE username = 'username01' ORDER BY priority").trim().split('\n'))
      .toEqual(['vutlan-radius:username01:1|1', 'vutlan-radius:username01:2|2']);
    for (const nas of ['192.168.1.88', '10.0.0.7']) {
      const a = await askBoth(request('username01', HEX, nas));
      expect(a.ours).toEqual(a.fr);
      expect(a.fr.code).toBe('Access-Accept');
      expect(a.fr.attrs).toContain(`SWrite = "${nas === '192.168.1.88' ? 'all,' : 'devvirt,log,'}"`);
    }
    const accept = await askBoth(request('d1', 'd1pw'));
    expect(accept.fr.code).toBe('Access-Accept');
    expect(accept.ours).toEqual(accept.fr);

    expect(sql(['disable', 'd1'])).toMatchObject({ code: 0, stdout: 'disabled d1 (1 entry)\n' });
    expect(table('radcheck', "WHERE username = 'd1'")).toEqual([expect.stringMatching(/^d1\|SSHA2-512-Password\|:=\|/), 'd1|Auth-Type|:=|Reject']);
    expect(await oursAnswers(request('d1', 'd1pw'), 'Access-Reject')).toBeGreaterThanOrEqual(0);
    const refused = await askBoth(request('d1', 'd1pw'));
    expect(refused.fr.code).toBe('Access-Reject');
    expect(refused.ours).toEqual(refused.fr);
    expect(sql(['list']).stdout).toContain('d1\tdisabled\tSSHA2-512-Password');

    expect(sql(['disable', 'username01']).code).toBe(0);
    expect(await oursAnswers(request('username01', HEX, '192.168.1.88'), 'Access-Reject')).toBeGreaterThanOrEqual(0);
    for (const nas of ['192.168.1.88', '10.0.0.7']) {
      const a = await askBoth(request('username01', HEX, nas));
      expect(a.fr.code).toBe('Access-Reject');
      expect(a.ours).toEqual(a.fr);
    }

    expect(sql(['enable', 'd1']).code).toBe(0);
    expect(await oursAnswers(request('d1', 'd1pw'), 'Access-Accept')).toBeGreaterThanOrEqual(0);
    const again = await askBoth(request('d1', 'd1pw'));
    expect(again.fr.code).toBe('Access-Accept');
    expect(again.ours).toEqual(again.fr);
  }, 120_000);

  it('imports an authorize file or an SQLite store in one transaction; a bad entry writes nothing and names file:line', () => {
    wipe();
    const file = join(dir, 'authorize');
    writeFileSync(file, readFileSync('config/authorize', 'utf8') + '\nop2 Cleartext-Password := "op2pw"\n\tSRead = "view,"\n');
    expect(sql(['import', file])).toMatchObject({ code: 0, stdout: `imported 3 entries from ${file}\n` });
    expect(sql(['list']).stdout).toBe(`op2\tenabled\tCleartext-Password\nusername01\tenabled\tCleartext-Password\tnas=192.168.1.88\n`);
    // the same file again: refused like on SQLite, nothing written
    const rows = count();
    expect(sql(['import', file])).toMatchObject({ code: 4, stderr: expect.stringContaining('nothing imported: users "username01", "op2" already in the store') });
    expect(count()).toBe(rows);

    const bad = join(dir, 'bad-authorize');
    writeFileSync(bad, 'ok1 Cleartext-Password := "a"\n\tSRead = "all,"\n\nok2 Cleartext-Password := "b"\n\tReply-Message = "hello %{User-Name}"\n');
    const r = sql(['import', '--replace', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}:4: Reply-Message: "%{...}" is expanded per request`);
    expect(count()).toBe(rows);
    const withDefault = join(dir, 'default-authorize');
    writeFileSync(withDefault, 'DEFAULT Auth-Type := Reject\n\tReply-Message = "no"\n\nok3 Cleartext-Password := "c"\n');
    expect(sql(['import', withDefault])).toMatchObject({ code: 2, stderr: expect.stringContaining(`${withDefault}:1: DEFAULT entries have no place in FreeRADIUS's SQL schema`) });
    expect(count()).toBe(rows);
    expect(sql(['import', '--skip-default', withDefault])).toMatchObject({ code: 0, stderr: 'note: 1 DEFAULT entry left out\n' });

    // from our SQLite store: the same profiles
    const store = join(dir, 'from.sqlite');
    const fromLite = (args: string[]) => runCli(['users', '--db', store, ...args]);
    expect(fromLite(['add', 's1', '--sha1-hex', HEX, '--sread', 'all', '--nas', '10.1.1.1', '--sread', 'view']).code).toBe(0);
    expect(fromLite(['add', 's2', '--password', 'p', '--gread', '5']).code).toBe(0);
    expect(fromLite(['disable', 's2']).code).toBe(0);
    expect(sql(['import', '--replace', store])).toMatchObject({ code: 0, stdout: `imported 3 entries from ${store}\n` });
    const norm = (t: string) => t.replace(/#\d+/g, '#N').replace(/"id":\d+/g, '"id":0');
    expect(norm(sql(['--json', 'list']).stdout)).toBe(norm(fromLite(['--json', 'list']).stdout));
  }, 120_000);

  it('export writes a users file that FreeRADIUS and our files source answer exactly like the SQL rows', async () => {
    wipe();
    expect(sql(['add', 'e1', '--password', 'e1pw', '--sread', 'all', '--gwrite', '3001,3002']).code).toBe(0);
    expect(sql(['add', 'e2', '--sha1-hex', HEX, '--cleartext', '--sread', 'view', '--nas', '127.0.0.1', '--sread', 'all', '--swrite', 'users']).code).toBe(0);
    expect(sql(['add', 'e3', '--password', 'e3pw', '--sread', 'log']).code).toBe(0);
    expect(sql(['disable', 'e3']).code).toBe(0);
    // rows of another tool (daloRADIUS): a shared group, a user only in that group
    pgc.psql(`INSERT INTO radusergroup (username, groupname, priority) VALUES ('e1', 'viewers', 1), ('g1', 'viewers', 1);
INSERT INTO radcheck (username, attribute, op, value) VALUES ('g1', 'Cleartext-Password', ':=', 'g1pw');
INSERT INTO radgroupcheck (groupname, attribute, op, value) VALUES ('viewers', 'NAS-IP-Address', '==', '10.0.0.1');
INSERT INTO radgroupreply (groupname, attribute, op, value) VALUES ('viewers', 'GRead', '=', 'all,'), ('viewers', 'SRead', ':=', 'view,');`);
    const out = join(dir, 'exported-authorize');
    expect(sql(['export', '-o', out])).toMatchObject({ code: 0, stderr: '' });
    expect(sql(['show', 'e1']).stdout).toContain('group viewers');

    const [frFiles, oursFiles] = await Promise.all([
      startFreeRadius({ usersFile: out, secret: SECRET, dictionary: DICT }),
      startOurServer({ users: { files: [out] }, dictionary: DICT, secret: SECRET }),
    ]);
    const frFilesClient = await openPeer(frFiles.port);
    const oursFilesClient = await openPeer(oursFiles.port);
    try {
      expect(await oursAnswers(request('g1', 'g1pw', '10.0.0.1'), 'Access-Accept')).toBeGreaterThanOrEqual(0);
      let accepts = 0;
      let compared = 0;
      for (const [user, pw] of [['e1', 'e1pw'], ['e2', HEX], ['e3', 'e3pw'], ['g1', 'g1pw'], ['nobody', 'x']] as const) {
        for (const nas of ['127.0.0.1', '10.0.0.1', '10.0.0.2']) {
          for (const pap of [pw, 'wrong']) {
            const built = buildRequest(dict, request(user, pap, nas));
            const answers = (await askOverUdp([frClient, ourClient, frFilesClient, oursFilesClient], dict, SECRET, built)).map(comparable);
            const label = `${user} ${pap} ${nas}\n${readFileSync(out, 'utf8')}`;
            expect(answers[1], `ours (sql): ${label}`).toEqual(answers[0]);
            expect(answers[2], `FreeRADIUS (exported file): ${label}`).toEqual(answers[0]);
            expect(answers[3], `ours (exported file): ${label}`).toEqual(answers[0]);
            compared++;
            if (answers[0]!.code === 'Access-Accept') accepts++;
          }
        }
      }
      expect(accepts).toBeGreaterThanOrEqual(6);
      expect(compared - accepts).toBeGreaterThanOrEqual(15);
    } finally {
      frFilesClient.close();
      oursFilesClient.close();
      await Promise.allSettled([frFiles.stop(), oursFiles.close()]);
    }
  }, 120_000);

  it('selects the store from the server config (-c); a wrong password or no store option is a clear error', () => {
    const cfg = join(dir, 'radiusd.yaml');
    writeFileSync(cfg, `clients:\n  - { name: lab, address: 127.0.0.0/8, secret: ${SECRET} }\nusers:\n  sql: { url: ${JSON.stringify(pgc.url)} }\n`);
    expect(runCli(['users', '-c', cfg, 'list'])).toMatchObject({ code: 0, stdout: sql(['list']).stdout });
    const wrong = pgc.url.replace(`:${RADIUS_PASSWORD}@`, ':not-the-password@');
    const r = runCli(['users', '--sql', wrong, 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot use PostgreSQL at postgresql:\/\/radius:\*\*\*@127\.0\.0\.1:\d+\/radius: .*check the user and password/);
    expect(r.stderr).not.toContain('not-the-password');
    expect(runCli(['users', 'list'])).toMatchObject({ code: 2, stderr: expect.stringContaining('give the store: --db FILE (SQLite), --sql URL (PostgreSQL) or -c CONFIG') });
    expect(runCli(['users', '--sql', 'mysql://x@y/z', 'list'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--sql: the scheme must be postgresql://') });
    // a read-only database (what a streaming replica is): the write fails whole, the reason said
    pgc.psql(`ALTER DATABASE ${RADIUS_DATABASE} SET default_transaction_read_only = on`);
    try {
      const ro = sql(['add', 'ro1', '--password', 'x']);
      expect(ro.code).toBe(1);
      expect(ro.stderr).toMatch(/^error: PostgreSQL at postgresql:\/\/radius:\*\*\*@.*: nothing written: .*read-only.*write on the primary/);
      expect(sql(['list']).code).toBe(0);
    } finally {
      pgc.psql(`SET default_transaction_read_only = off; ALTER DATABASE ${RADIUS_DATABASE} RESET default_transaction_read_only`);
    }
    expect(pgc.psql("SELECT count(*) FROM radcheck WHERE username = 'ro1'").trim()).toBe('0');
  });
});
