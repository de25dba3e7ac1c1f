import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningFreeRadius, startFreeRadius } from '../../src/bench/freeradius-runner.js';
import {
  RADIUS_DATABASE, RADIUS_PASSWORD, RADIUS_USER, postgresTestsEnabled, startPostgres, type PostgresCluster,
} from '../../src/bench/postgres-cluster.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { prng } from '../support/prng.js';
import { type DiffRequest, openPeer, type Peer, askOverUdp, buildRequest } from '../diff/harness.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';
import { comparable } from '../diff/rig.js';
import { type OurServer, startOurServer } from '../diff/our-server.js';

/**
 * The differential suite for the PostgreSQL store: random radcheck / radreply / radusergroup /
 * radgroupcheck / radgroupreply rows in one database, answered by FreeRADIUS 3.2.1 with
 * rlm_sql_postgresql (stock queries, default site) and by our server with `users.sql`; every
 * request goes as the same datagram to both, and code and reply attributes must be identical.
 * Each round replaces the rows; our server must pick them up by itself (change log, no reload).
 */

const DICT = 'dictionaries/dictionary';
const SECRET = 'testing123';
const ROUNDS = Number(process.env.SQL_DIFF_ROUNDS ?? 6);
const pgOk = postgresTestsEnabled('the PostgreSQL differential suite');
const frOk = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');
if (!frOk) console.warn('FreeRADIUS is not installed: skipping the PostgreSQL differential suite (it runs when CI=true)');

const PASSWORDS = ['alpha', 'bravo', 'charlie'];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', "o'brien", 'u9'];
const GROUPS = ['g0', 'g1', 'g2', 'g 3'];

interface Row { name: string; attribute: string; op: string; value: string }

function pick<T>(r: () => number, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function checkRow(r: () => number, name: string, forGroup: boolean): Row {
  const x = r();
  if (x < 0.45) return { name, attribute: 'Cleartext-Password', op: r() < 0.93 ? ':=' : '=', value: pick(r, PASSWORDS) };
  if (x < 0.6) return { name, attribute: 'NAS-IP-Address', op: pick(r, ['==', '!=']), value: pick(r, ['127.0.0.1', '10.0.0.1']) };
  if (x < 0.72) return { name, attribute: 'NAS-Port', op: pick(r, ['<', '>', '==', '>=']), value: String(Math.floor(r() * 10)) };
  if (x < 0.82) return { name, attribute: 'Calling-Station-Id', op: pick(r, ['=~', '!~', '==']), value: pick(r, ['^AB', 'AB-42', '42$']) };
  if (x < 0.88) return { name, attribute: 'Auth-Type', op: ':=', value: pick(r, ['Accept', 'Reject']) };
  if (x < 0.94 && !forGroup) return { name, attribute: 'User-Profile', op: ':=', value: pick(r, ['prof', 'nope']) };
  return { name, attribute: 'Service-Type', op: pick(r, ['==', ':=']), value: 'Login-User' };
}

function replyRow(r: () => number, name: string): Row {
  const x = r();
  if (x < 0.5) return { name, attribute: pick(r, ['SRead', 'SWrite', 'GRead', 'GWrite']), op: pick(r, ['=', ':=', '+=']), value: pick(r, ['all,', 'view,', 'users,logs,', '1,2']) };
  if (x < 0.65) return { name, attribute: 'Reply-Message', op: pick(r, ['=', '+=', ':=']), value: `hello ${name}` };
  if (x < 0.75) return { name, attribute: 'Session-Timeout', op: pick(r, ['=', ':=']), value: String(60 + Math.floor(r() * 100)) };
  if (x < 0.8) return { name, attribute: 'Reply-Message', op: '=', value: '"quoted \\"x\\""' };
  return { name, attribute: 'Fall-Through', op: '=', value: r() < 0.6 ? 'Yes' : 'No' };
}

function rows(r: () => number, names: readonly string[], max: number, make: (r: () => number, n: string) => Row): Row[] {
  const out: Row[] = [];
  for (const n of names) {
    const k = Math.floor(r() * (max + 1));
    for (let i = 0; i < k; i++) out.push(make(r, n));
  }
  // table order differs from name order, as in a real database
  return out.sort(() => r() - 0.5);
}

function q(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** SQL that replaces the user tables with a random round; the lookup name of o'brien is o=27brien. */
function roundSql(seed: number): string {
  const r = prng(seed);
  const dbName = (u: string) => u.replace("'", '=27');
  const users = USERS.map(dbName);
  const profileUsers = [...users, 'prof'];
  const check = rows(r, users, 3, (rr, n) => checkRow(rr, n, false));
  const reply = rows(r, users, 3, replyRow);
  const gcheck = rows(r, GROUPS, 2, (rr, n) => checkRow(rr, n, true));
  const greply = rows(r, GROUPS, 3, replyRow);
  const member: string[] = [];
  for (const u of profileUsers) {
    const k = Math.floor(r() * 4);
    const groups = [...GROUPS].sort(() => r() - 0.5).slice(0, k);
    groups.forEach((g, i) => { member.push(`(${q(u)}, ${q(g)}, ${i * 2 + Math.floor(r() * 2)})`); });
  }
  const ins = (table: string, col: string, list: Row[]) => list.length === 0 ? ''
    : `INSERT INTO ${table} (${col}, attribute, op, value) VALUES ${list.map((x) => `(${q(x.name)}, ${q(x.attribute)}, ${q(x.op)}, ${q(x.value)})`).join(', ')};\n`;
  return `BEGIN;
DELETE FROM radcheck; DELETE FROM radreply; DELETE FROM radusergroup; DELETE FROM radgroupcheck; DELETE FROM radgroupreply;
${ins('radcheck', 'username', check)}${ins('radreply', 'username', reply)}${ins('radgroupcheck', 'groupname', gcheck)}${ins('radgroupreply', 'groupname', greply)}${member.length ? `INSERT INTO radusergroup (username, groupname, priority) VALUES ${member.join(', ')};\n` : ''}INSERT INTO radcheck (username, attribute, op, value) VALUES ('sentinel', 'Cleartext-Password', ':=', 'round-${seed}');
COMMIT;
`;
}

function requests(seed: number): DiffRequest[] {
  const r = prng(seed * 7919);
  const out: DiffRequest[] = [];
  for (const user of [...USERS, 'nobody']) {
    for (const pap of [...PASSWORDS, 'wrong']) {
      for (const nas of ['127.0.0.1', '10.0.0.1']) {
        const attrs: [string, string][] = [['User-Name', user], ['NAS-IP-Address', nas]];
        if (r() < 0.6) attrs.push(['NAS-Port', String(Math.floor(r() * 10))]);
        if (r() < 0.5) attrs.push(['Calling-Station-Id', pick(r, ['AB-42', 'XY-42', 'AB-1'])]);
        if (r() < 0.2) attrs.push(['Service-Type', 'Login-User']);
        out.push({ label: `${user} ${pap} ${nas}`, attrs, pap });
      }
    }
  }
  return out;
}

describe.skipIf(!pgOk || !frOk)('PostgreSQL store vs FreeRADIUS 3.2.1 rlm_sql_postgresql on the same rows', () => {
  let pgc: PostgresCluster;
  let fr: RunningFreeRadius;
  let ours: OurServer;
  let dict: Dictionary;
  let dir: string;
  let frClient: Peer;
  let ourClient: Peer;

  beforeAll(async () => {
    dict = loadDictionary(DICT);
    pgc = await startPostgres();
    pgc.psql("INSERT INTO radcheck (username, attribute, op, value) VALUES ('sentinel', 'Cleartext-Password', ':=', 'start')");
    dir = mkdtempSync(join(tmpdir(), 'vr-sqldiff-'));
    const empty = join(dir, 'authorize');
    writeFileSync(empty, '# no users: answers come from rlm_sql\n');
    const started = await Promise.allSettled([
      startFreeRadius({
        usersFile: empty, secret: SECRET, dictionary: DICT,
        sql: { host: '127.0.0.1', port: pgc.port, user: RADIUS_USER, password: RADIUS_PASSWORD, database: RADIUS_DATABASE },
      }),
      (async () => {
        pgc.psql(`SET ROLE ${RADIUS_USER};\n${(await import('../../src/store/pgsql/change-log.js')).changeLogInstallSql()}`);
        return startOurServer({ users: { files: [empty], sql: pgc.url }, dictionary: DICT, secret: SECRET });
      })(),
    ]);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    fr = (started[0] as PromiseFulfilledResult<RunningFreeRadius>).value;
    ours = (started[1] as PromiseFulfilledResult<OurServer>).value;
    frClient = await openPeer(fr.port);
    ourClient = await openPeer(ours.port);
  }, 120_000);

  afterAll(async () => {
    frClient?.close();
    ourClient?.close();
    await Promise.allSettled([fr?.stop(), ours?.close()]);
    pgc?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function waitForRound(seed: number): Promise<void> {
    const built = () => buildRequest(dict, { label: 'sentinel', attrs: [['User-Name', 'sentinel']], pap: `round-${seed}` });
    for (let i = 0; i < 100; i++) {
      const [a] = await askOverUdp([ourClient], dict, SECRET, built());
      if (a!.code === 'Access-Accept') return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`our server did not see round ${seed} within 5 s`);
  }

  it(`answers ${ROUNDS} rounds of random rows exactly like FreeRADIUS`, async () => {
    let compared = 0;
    let accepts = 0;
    for (let seed = 1; seed <= ROUNDS; seed++) {
      pgc.psql(roundSql(seed));
      await waitForRound(seed);
      for (const req of requests(seed)) {
        ours.clearTrace();
        const [frA, ourA] = await askOverUdp([frClient, ourClient], dict, SECRET, buildRequest(dict, req));
        expect(comparable(ourA!), `round ${seed}: ${JSON.stringify(req)}\nrows:\n${roundSql(seed)}\nour trace:\n${ours.trace().join('\n')}`)
          .toEqual(comparable(frA!));
        expect(ourA!.authentic).toBe(true);
        compared++;
        if (frA!.code === 'Access-Accept') accepts++;
      }
    }
    // the generator must produce both outcomes in numbers, or the comparison proves little
    expect(accepts).toBeGreaterThan(compared / 20);
    expect(compared - accepts).toBeGreaterThan(compared / 5);
    console.log(`sql differential: ${compared} requests over ${ROUNDS} rounds, ${accepts} accepts, identical answers`);
  }, 300_000);
});
