import { prng } from '../support/prng.js';

/**
 * Users-file content for the store's equivalence and round-trip tests: the hand-written corpus
 * in test/fixtures/sqlite and seeded random files built from a pool of items that cover every
 * operator, quote style, escapes, tags, DEFAULT and Fall-Through.
 */

const NAMES = ['u1', 'u2', 'u3', 'fx', 'DEFAULT', 'DEFAULT', '"spaced name"', 'default'];

/** Free text pieces valid inside a quoted value (escapes included); no `%{` so nothing expands. */
const TEXT = ['a', 'B', '7', ' ', ',', '#', '\\t', '\\n', '\\\\', '\\101', '%', '%%', 'x=y', '\\x'];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

function text(rnd: () => number, max = 6): string {
  let s = '';
  const n = 1 + Math.floor(rnd() * max);
  for (let i = 0; i < n; i++) s += pick(rnd, TEXT);
  return s;
}

function quoted(rnd: () => number, q: '"' | "'" | '`'): string {
  let t = text(rnd);
  if (rnd() < 0.3) t += `\\${q}`; // an escaped quote of the same kind
  return `${q}${t}${q}`;
}

function stringValue(rnd: () => number): string {
  const r = rnd();
  if (r < 0.5) return quoted(rnd, '"');
  if (r < 0.75) return quoted(rnd, "'");
  if (r < 0.85) return quoted(rnd, '`');
  return pick(rnd, ['bare', 'bare\\tword', 'x.y_z']);
}

const CHECK: ReadonlyArray<(rnd: () => number) => string> = [
  (r) => `Cleartext-Password := ${stringValue(r)}`,
  (r) => `Cleartext-Password := "pw${Math.floor(r() * 3)}"`,
  (r) => `NAS-IP-Address == 10.0.0.${1 + Math.floor(r() * 3)}`,
  (r) => `NAS-IP-Address != "10.0.0.${1 + Math.floor(r() * 3)}"`,
  (r) => `NAS-Port ${pick(r, ['>', '>=', '<', '<=', '==', '!='])} ${Math.floor(r() * 10)}`,
  (r) => `Calling-Station-Id ${pick(r, ['=*', '!*'])} ANY`,
  (r) => `Calling-Station-Id ${pick(r, ['=~', '!~'])} "^${pick(r, ['00', 'a(b)', '[0-9]+', 'x|y'])}"`,
  (r) => `User-Name =~ "^${pick(r, ['u', 'f', 'u1$'])}"`,
  () => 'Auth-Type := Accept',
  (r) => `Service-Type == ${pick(r, ['Framed-User', 'Login-User', '2'])}`,
  (r) => `Reply-Message == ${stringValue(r)}`,
];

const REPLY: ReadonlyArray<(rnd: () => number) => string> = [
  (r) => `Reply-Message ${pick(r, ['=', ':=', '+=', '-=', '^=', '==', '!*'])} ${stringValue(r)}`,
  (r) => `Session-Timeout ${pick(r, ['=', ':=', '+=', '<=', '>=', '=='])} ${Math.floor(r() * 500)}`,
  (r) => `Class ${pick(r, ['=', '+='])} ${pick(r, ['0x4142', '"0x43"', '"plain"'])}`,
  (r) => `SRead = "${pick(r, ['all,', 'view,log,', 'system,'])}"`,
  (r) => `GWrite ${pick(r, ['=', ':='])} "${pick(r, ['all,', 'none,', '3001,3002,'])}"`,
  (r) => `RFU1 += ${stringValue(r)}`,
  (r) => `Tunnel-Type:${1 + Math.floor(r() * 3)} = VLAN`,
  (r) => `Tunnel-Private-Group-Id = ":${1 + Math.floor(r() * 3)}:${Math.floor(r() * 999)}"`,
  (r) => `Service-Type = ${pick(r, ['Framed-User', 'Administrative-User'])}`,
  (r) => `Framed-IP-Address = 192.0.2.${Math.floor(r() * 250)}`,
  () => 'Attr-26.39052.17 = 0x7a7a',
];

/** A random users file of `entries` entries from `seed`; always valid for the parser. */
export function randomUsersFile(seed: number, entries = 20): string {
  const rnd = prng(seed);
  const out: string[] = [`# random users file, seed ${seed}`];
  for (let e = 0; e < entries; e++) {
    const name = pick(rnd, NAMES);
    const check = Array.from({ length: Math.floor(rnd() * 4) }, () => pick(rnd, CHECK)(rnd));
    out.push(check.length ? `${name}\t${check.join(', ')}` : name);
    const reply = Array.from({ length: Math.floor(rnd() * 5) }, () => pick(rnd, REPLY)(rnd));
    if (rnd() < 0.4) reply.splice(Math.floor(rnd() * (reply.length + 1)), 0, `Fall-Through = ${pick(rnd, ['Yes', 'yes', 'No', '1'])}`);
    // several items per line sometimes, as people write them
    for (let i = 0; i < reply.length; ) {
      const n = 1 + Math.floor(rnd() * 2);
      const line = reply.slice(i, i + n).join(', ');
      i += n;
      out.push(`\t${line}${i < reply.length ? ',' : ''}`);
    }
    if (rnd() < 0.5) out.push('');
    if (rnd() < 0.1) out.push('# a comment between entries');
  }
  return out.join('\n') + '\n';
}

/** Requests to ask both sources: user name x NAS x password x extra attributes. */
export interface RequestCase {
  user: string | undefined;
  nasIp: string;
  password: string;
  nasPort?: number;
  callingStationId?: string;
}

/** A spread of requests over the names and values the corpus and random files use. */
export function requestCases(names: readonly string[], passwords: readonly string[]): RequestCase[] {
  const out: RequestCase[] = [];
  const nases = ['192.168.1.88', '10.0.0.1', '10.0.0.2', '10.9.9.9'];
  let i = 0;
  for (const user of [...names, undefined]) {
    for (const nasIp of nases) {
      for (const password of passwords) {
        const c: RequestCase = { user, nasIp, password };
        if (i % 3 === 0) c.nasPort = i % 11;
        if (i % 4 === 1) c.callingStationId = ['00-11-22', 'ab', '123', 'x'][i % 4]!;
        out.push(c);
        i++;
      }
    }
  }
  return out;
}
