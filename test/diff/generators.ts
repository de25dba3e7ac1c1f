import { createHash } from 'node:crypto';

import { prng } from '../support/prng.js';
import type { DiffRequest } from './harness.js';

/** Seeded generators of users files and requests for the differential test. */

const USERS = ['u0', 'u1', 'u2', 'u3', 'fred', 'fx'];
const VUTLAN = ['SRead', 'SWrite', 'CRead', 'CWrite', 'GRead', 'GWrite', 'RFU1'];

/** A password check item for `pw`, in one of the schemes every NAS set-up uses. */
function passwordItem(r: () => number, pw: string): string {
  const x = r();
  if (x < 0.75) return `Cleartext-Password := "${pw}"`;
  if (x < 0.85) return `SHA1-Password := 0x${createHash('sha1').update(pw).digest('hex')}`;
  if (x < 0.95) return `Password-With-Header := "{clear}${pw}"`;
  return `MD5-Password := "${createHash('md5').update(pw).digest('hex')}"`;
}

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

/**
 * Whether `%{0}`..`%{9}` may be expanded in this entry's reply. FreeRADIUS 3.2.1 aborts
 * (`src/main/regex.c[134] OUT OF MEMORY`) when a capture is expanded after a regular expression
 * FAILED to match (e.g. an earlier entry's `User-Name =~ "^f"`), so captures are only used
 * where this entry's own last regex check is an `=~` that matched for the entry to match.
 */
function capturesSafe(check: readonly string[]): boolean {
  const last = check.filter((c) => / (=~|!~) /.test(c)).at(-1);
  return last !== undefined && last.includes(' =~ ');
}

/** A random users file: user entries and DEFAULTs with check items, reply operators, Fall-Through. */
export function generateUsersFile(seed: number): string {
  const r = prng(seed);
  const lines: string[] = [`# generated, seed ${seed}`];
  const n = 12 + Math.floor(r() * 20);
  for (let e = 0; e < n; e++) {
    const name = r() < 0.25 ? 'DEFAULT' : pick(r, USERS);
    const check: string[] = [];
    if (r() < 0.7) check.push(passwordItem(r, `pw${Math.floor(r() * 3)}`));
    const nChecks = Math.floor(r() * 3);
    for (let k = 0; k < nChecks; k++) {
      const kind = Math.floor(r() * 9);
      if (kind === 0) check.push(`NAS-IP-Address ${pick(r, ['==', '!=', '<', '>', '<=', '>='])} 10.0.0.${1 + Math.floor(r() * 4)}`);
      else if (kind === 7) check.push(`Calling-Station-Id =~ "${pick(r, ['^(A)(B)?$', '^([A-C])', '(B)$'])}"`);
      else if (kind === 8) check.push(`User-Name =~ "${pick(r, ['^u([0-9])$', '^(f)(red)?', '^([a-z]+)([0-9]*)$'])}"`);
      else if (kind === 1) check.push(`NAS-Port ${pick(r, ['==', '!=', '<', '>', '<=', '>=', '='])} ${Math.floor(r() * 6)}`);
      else if (kind === 2) {
        const op = pick(r, ['==', '!=', '=~', '!~', '=*', '!*']);
        const v = op === '=*' || op === '!*' ? 'ANY' : op.includes('~') ? `"^${pick(r, ['A', 'B', 'A.'])}"` : `"${pick(r, ['A', 'B', 'AB'])}"`;
        check.push(`Calling-Station-Id ${op} ${v}`);
      } else if (kind === 3) check.push(`Service-Type ${pick(r, ['==', '!='])} ${pick(r, ['Framed-User', 'Login-User'])}`);
      else if (kind === 4 && r() < 0.3) check.push(`Auth-Type := ${pick(r, ['Accept', 'Reject'])}`);
      else if (kind === 5) check.push(`User-Name =~ "^${pick(r, ['u', 'f', 'u[01]'])}"`);
      else check.push(`Framed-Protocol ${pick(r, ['==', '=*', '!*'])} ${pick(r, ['PPP', 'SLIP'])}`);
    }
    lines.push(check.length ? `${name}\t${check.join(', ')}` : name);
    const reply: string[] = [];
    const nReply = Math.floor(r() * 5);
    for (let k = 0; k < nReply; k++) {
      const op = pick(r, ['=', '=', ':=', '+=', '-=', '==', '<=', '>=', '!*', '^=']);
      const kind = Math.floor(r() * 9);
      if (kind === 0) reply.push(`Reply-Message ${op} "${pick(r, ['a', 'b', 'c'])}"`);
      else if (kind === 1) reply.push(`Session-Timeout ${op} ${pick(r, [10, 20, 30])}`);
      else if (kind === 2) reply.push(`Idle-Timeout ${op} ${pick(r, [5, 6])}`);
      else if (kind === 3) reply.push(`${pick(r, VUTLAN)} ${op} "${pick(r, ['all,', 'view,', 'none'])}"`);
      else if (kind === 4) reply.push(`Reply-Message ${op} "${pick(r, capturesSafe(check) ? ['u=%{User-Name}', '1=%{1} 2=%{2}', 'nas %{NAS-IP-Address}', '0=%{0}'] : ['u=%{User-Name}', 'nas %{NAS-IP-Address}'])}"`);
      else if (kind === 5) reply.push(`Class ${op} ${pick(r, ['0x4142', '"c1"'])}`);
      else if (kind === 6) reply.push(`Tunnel-Private-Group-Id${pick(r, [':1', ':2', ''])} ${op} "${pick(r, ['10', '20'])}"`);
      else reply.push(`Filter-Id ${op} "${pick(r, ['f1', 'f2'])}"`);
    }
    if (r() < 0.45) reply.push('Fall-Through = Yes');
    reply.forEach((item, i) => lines.push(`\t${item}${i < reply.length - 1 ? ',' : ''}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Random requests for the users of generateUsersFile. */
export function generateRequests(seed: number, count: number): DiffRequest[] {
  const r = prng(seed * 7919 + 1);
  const out: DiffRequest[] = [];
  for (let i = 0; i < count; i++) {
    const attrs: [string, string][] = [];
    const user = r() < 0.9 ? pick(r, USERS) : 'zz';
    if (r() < 0.97) attrs.push(['User-Name', user]);
    if (r() < 0.8) attrs.push(['NAS-IP-Address', `10.0.0.${1 + Math.floor(r() * 4)}`]);
    if (r() < 0.6) attrs.push(['NAS-Port', String(Math.floor(r() * 6))]);
    const nCalling = Math.floor(r() * 3);
    for (let k = 0; k < nCalling; k++) attrs.push(['Calling-Station-Id', pick(r, ['A', 'B', 'AB', 'C'])]);
    if (r() < 0.3) attrs.push(['Service-Type', pick(r, ['Framed-User', 'Login-User'])]);
    if (r() < 0.2) attrs.push(['Framed-Protocol', pick(r, ['PPP', 'SLIP'])]);
    const pw = `pw${Math.floor(r() * 3)}`;
    const how = r();
    const req: DiffRequest = { label: `#${i} ${user}`, attrs };
    if (r() < 0.5) req.messageAuthenticator = true;
    if (how < 0.7) req.pap = pw;
    else if (how < 0.85) req.chap = { password: pw };
    else if (how < 0.92) req.chap = { password: pw, challenge: Buffer.from(`challenge-${i}`) };
    out.push(req);
  }
  return out;
}


/** A generated users file and the requests to ask about it. */
export interface GeneratedCase {
  text: string;
  requests: DiffRequest[];
}

/** A request attribute value as buildRequest takes it (it applies the double-quote escapes). */
function requestText(value: string): string {
  return value.replace(/\\/g, '\\\\');
}

/**
 * User names as written in column 0 and the name FreeRADIUS reads (quotes removed, `\"` turned
 * into `"`, every other backslash pair kept): spaces (filter_username rejects those requests),
 * punctuation (no control characters: vutlan-radius rejects those User-Names on purpose), quotes of every kind, backslashes, non-ASCII, names that look like DEFAULT.
 */
const NAMES: readonly (readonly [written: string, name: string])[] = [
  ['"john smith"', 'john smith'], ['"smith,john"', 'smith,john'], ['"a,b"', 'a,b'], ['"x#y"', 'x#y'],
  ['x#y', 'x#y'], ['"q\\"q"', 'q"q'], ['"b\\\\s"', 'b\\\\s'], ['"b\\s"', 'b\\s'], ["'sq'", 'sq'], ['`bq`', 'bq'],
  ['"é-ü"', 'é-ü'], ['"DEFAULT"', 'DEFAULT'], ['default', 'default'], ['"user@lab.example.org"', 'user@lab.example.org'],
  ['"alice"', 'alice'], ['alice', 'alice'], ['x=y', 'x=y'], ['"x=y"', 'x=y'], ['"NONE"', 'NONE'], ['"a.b"', 'a.b'],
  ['"trail "', 'trail '], ['"semi;colon"', 'semi;colon'], ['"{brace}"', '{brace}'], ['"%{User-Name}"', '%{User-Name}'],
];

/**
 * Class 1 of issue 17: quoted and unusual user names beside DEFAULT chains (an MD5-Password
 * DEFAULT first, as in the report, DEFAULTs with and without Fall-Through, several entries per
 * name), asked for by those names, their neighbours and no name at all.
 */
export function generateNamesCase(seed: number): GeneratedCase {
  const r = prng(seed * 104729 + 17);
  const lines: string[] = [`# generated names, seed ${seed}`];
  const used: string[] = [];
  const n = 10 + Math.floor(r() * 14);
  for (let e = 0; e < n; e++) {
    const isDefault = r() < 0.3;
    const [written, name] = isDefault ? ['DEFAULT', 'DEFAULT'] : pick(r, NAMES);
    if (!isDefault) used.push(name);
    const check: string[] = [];
    const pw = `pw${Math.floor(r() * 2)}`;
    const kind = r();
    if (kind < 0.3) check.push(`MD5-Password := "${createHash('md5').update(pw).digest('hex')}"`);
    else if (kind < 0.8) check.push(`Cleartext-Password := "${pw}"`);
    if (r() < 0.3) check.push(`NAS-IP-Address ${pick(r, ['==', '!='])} 10.0.0.${1 + Math.floor(r() * 2)}`);
    if (r() < 0.15) check.push(`User-Name =~ "${pick(r, ['^a', ' ', '\\\\.', '^[^@]+$'])}"`);
    lines.push(check.length ? `${written}\t${check.join(', ')}` : written);
    const reply = [`Filter-Id ${pick(r, ['=', ':=', '+='])} "e${e}"`];
    if (r() < 0.4) reply.push(`Reply-Message += "hi %{User-Name}"`);
    if (r() < 0.5) reply.push(`Fall-Through = ${pick(r, ['Yes', 'No'])}`);
    reply.forEach((item, i) => lines.push(`\t${item}${i < reply.length - 1 ? ',' : ''}`));
  }
  const names = [...used, ...NAMES.map((x) => x[1]), 'john', 'smith', 'b\\s', 'zz'];
  const requests: DiffRequest[] = [];
  for (let i = 0; i < 60; i++) {
    const attrs: [string, string][] = [];
    const user = pick(r, names);
    if (r() < 0.95) attrs.push(['User-Name', requestText(user)]);
    if (r() < 0.8) attrs.push(['NAS-IP-Address', `10.0.0.${1 + Math.floor(r() * 2)}`]);
    const req: DiffRequest = { label: `#${i} ${JSON.stringify(user)}`, attrs };
    const pw = `pw${Math.floor(r() * 2)}`;
    if (r() < 0.8) req.pap = pw;
    else req.chap = { password: pw };
    requests.push(req);
  }
  return { text: `${lines.join('\n')}\n`, requests };
}

/** Inputs the expansion functions are given: case, non-ASCII, URL specials, spaces, escapes, numbers. */
const FUNCTION_INPUTS = [
  'AbC', 'abc', 'ÄbÇ-ß', 'a b/c?d=e&f', 'x\\ty', 'x\\\\y', 'q"q', '100%', '~._-', '12', '0', '-7', '0x1f', ' 5', '',
];

/** Argument forms a function may be written with, over the request's Calling-Station-Id (the input). */
function functionCall(r: () => number): string {
  const text = pick(r, ['%{Calling-Station-Id}', '%{Calling-Station-Id}', '&Calling-Station-Id', 'lit\\\\tx', '%{Calling-Station-Id}-%{NAS-Port}', '', '%{Filter-Id}', ' %{Calling-Station-Id}']);
  // Event-Timestamp only where its value does not show: preprocess adds the request time
  const attr = pick(r, ['Calling-Station-Id', 'NAS-Port', 'NAS-IP-Address', 'Service-Type', 'Filter-Id', '&Calling-Station-Id', ' Calling-Station-Id', 'Class']);
  const fn = pick(r, ['tolower', 'toupper', 'strlen', 'length', 'integer', 'hex', 'md4', 'md5', 'sha1', 'sha256', 'sha512', 'base64', 'urlquote', 'urlunquote', 'expr']);
  switch (fn) {
    case 'length':
      return `%{length:${r() < 0.15 ? 'Event-Timestamp' : attr}}`;
    case 'integer': case 'hex':
      return `%{${fn}:${attr}}`;
    case 'urlunquote':
      return `%{urlunquote:${pick(r, [text, 'a%%41b', 'a%%4', '%%2f%{Calling-Station-Id}'])}}`;
    case 'expr':
      return `%{expr:${exprText(r, 0)}}`;
    case 'tolower': case 'toupper':
      // nested calls: a function's output is the next one's argument
      return r() < 0.2 ? `%{${fn}:%{md5:${text}}}` : `%{${fn}:${text}}`;
    default:
      return `%{${fn}:${text}}`;
  }
}

/** A random %{expr:...} text: numbers, attribute operands, every operator, brackets, the errors. */
function exprText(r: () => number, depth: number): string {
  const operand = (): string => {
    const k = r();
    if (k < 0.35) return String(Math.floor(r() * 20));
    if (k < 0.45) return pick(r, ['0x10', '0xff', '~0', '-3', '9223372036854775807', '65536']);
    if (k < 0.6) return pick(r, ['&NAS-Port', '&Idle-Timeout', '-&NAS-Port', '&Service-Type']);
    if (k < 0.7) return '%{NAS-Port}';
    if (k < 0.8 && depth < 2) return `(${exprText(r, depth + 1)})`;
    return pick(r, ['%{Calling-Station-Id}', '1', '2']);
  };
  let s = operand();
  const n = Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const op = pick(r, ['+', '-', '*', '/', '%%', '&', '|', '^', '<<', '>>']);
    // a negative power is undefined behaviour in rlm_expr (it indexes a table out of bounds)
    s += `${pick(r, [' ', ''])}${op}${pick(r, [' ', ''])}${op === '^' ? String(Math.floor(r() * 5)) : operand()}`;
  }
  return s;
}

/**
 * Class 2 of issue 17: every expansion function with varied inputs, in reply items (string and
 * integer attributes, alone and inside text), in check items compared against the request, and
 * nested; the input is the request's Calling-Station-Id.
 */
export function generateExpansionCase(seed: number): GeneratedCase {
  const r = prng(seed * 7727 + 5);
  const lines: string[] = [`# generated expansions, seed ${seed}`];
  const nEntries = 2 + Math.floor(r() * 3);
  for (let e = 0; e < nEntries; e++) {
    const check = ['Auth-Type := Accept'];
    if (r() < 0.4) check.push(`Calling-Station-Id ${pick(r, ['==', '!='])} "${functionCall(r)}"`);
    if (r() < 0.2) check.push(`NAS-Port ${pick(r, ['==', '<', '>='])} "%{expr:${exprText(r, 1)}}"`);
    lines.push(`${e === nEntries - 1 ? 'DEFAULT' : pick(r, ['DEFAULT', 'fu'])}\t${check.join(', ')}`);
    const reply: string[] = [];
    const nReply = 4 + Math.floor(r() * 8);
    for (let k = 0; k < nReply; k++) {
      const kind = r();
      if (kind < 0.6) reply.push(`Reply-Message += "${e}.${k}=${functionCall(r)}"`);
      else if (kind < 0.75) reply.push(`Reply-Message += "${e}.${k}=${functionCall(r)}|${functionCall(r)}"`);
      else if (kind < 0.85) reply.push(`Session-Timeout += "%{expr:${exprText(r, 1)}}"`);
      else reply.push(`Filter-Id += "${functionCall(r)}"`);
    }
    reply.push(`Fall-Through = ${e < nEntries - 1 ? 'Yes' : 'No'}`);
    reply.forEach((item, i) => lines.push(`\t${item}${i < reply.length - 1 ? ',' : ''}`));
  }
  const requests: DiffRequest[] = [];
  for (const input of FUNCTION_INPUTS) {
    for (let i = 0; i < 3; i++) {
      const attrs: [string, string][] = [['User-Name', pick(r, ['fu', 'other'])]];
      if (input !== '' || r() < 0.5) attrs.push(['Calling-Station-Id', requestText(input)]);
      if (r() < 0.8) attrs.push(['NAS-Port', String(Math.floor(r() * 40))]);
      if (r() < 0.5) attrs.push(['NAS-IP-Address', `10.${Math.floor(r() * 3)}.0.${1 + Math.floor(r() * 200)}`]);
      if (r() < 0.4) attrs.push(['Service-Type', pick(r, ['Framed-User', 'Login-User'])]);
      if (r() < 0.3) attrs.push(['Idle-Timeout', String(Math.floor(r() * 100))]);
      if (r() < 0.3) attrs.push(['Class', pick(r, ['0x41', '0x00ff10', '0x4142434445464748494a'])]);
      if (r() < 0.3) attrs.push(['Event-Timestamp', String(1_700_000_000 + Math.floor(r() * 1e6))]);
      requests.push({ label: `input ${JSON.stringify(input)} #${i}`, attrs });
    }
  }
  return { text: `${lines.join('\n')}\n`, requests };
}

/** Request attributes of every type a regular expression can be written against, with values. */
const REGEX_ATTRIBUTES: readonly (readonly [name: string, values: readonly string[], patterns: readonly string[]])[] = [
  ['Calling-Station-Id', ['AB-42', 'ab', '5', '10.0.0.6'], ['^A', 'b$', '^[0-9]+$', '4', '^10[.]0', '(?i)ab']],
  ['NAS-Port', ['5', '15', '0'], ['^5', '5', '^1', '.', '^$']],
  ['Service-Type', ['Framed-User', 'Login-User'], ['^Framed', 'User', '^2$', '.']],
  ['Framed-Protocol', ['PPP', 'SLIP'], ['^PPP', 'P', '.']],
  ['NAS-IP-Address', ['10.0.0.6', '192.168.1.88'], ['^10[.]0', '\\\\.', '.', '^192']],
  ['NAS-IPv6-Address', ['fe80::1', '2001:db8::5'], ['^fe80', ':', '.']],
  ['Framed-IPv6-Prefix', ['2001:db8::/32', 'fd00::/8'], ['^2001', '/', '.']],
  ['Event-Timestamp', ['1700000000', '1'], ['20', '.', '^Nov', '1']],
  ['Class', ['0x414243', '0x00', '0x4142'], ['AB', '^A', '0x41', '.', 'ABC', '^0x']],
  ['Framed-Interface-Id', ['0000:0000:0000:0001'], ['0', '.', '1']],
];

/**
 * Class 3 of issue 17: `=~` and `!~` with quoted, bare-slash and expanded patterns on every
 * attribute type, each entry a separate user so every item is seen alone and beside others.
 */
export function generateRegexCase(seed: number): GeneratedCase {
  const r = prng(seed * 6151 + 3);
  const lines: string[] = [`# generated regex checks, seed ${seed}`];
  const users: string[] = [];
  let u = 0;
  for (const [name, , patterns] of REGEX_ATTRIBUTES) {
    for (const pattern of patterns) {
      for (const op of ['=~', '!~']) {
        if (r() < 0.5) continue;
        const form = r();
        // the slash form is a bare word: only patterns without operator characters or spaces
        const bare = /^[A-Za-z0-9^$.[\]\\:/]+$/.test(pattern);
        // inline options only at the start: vutlan-radius refuses them anywhere else (regex.ts)
        const value = form < 0.7 || (!bare && form < 0.85) || pattern.startsWith('(?') ? `"${pattern}"` : form < 0.85 ? `/${pattern}/` : `"%{${pick(r, ['Filter-Id', 'Calling-Station-Id', name])}}${pattern}"`;
        const user = `r${u++}`;
        users.push(user);
        const extra = r() < 0.3 ? `, ${pick(r, REGEX_ATTRIBUTES.map((a) => a[0]))} ${pick(r, ['=~', '!~'])} "."` : '';
        lines.push(`${user}\t${name} ${op} ${value}${extra}, Auth-Type := Accept`);
        lines.push(`\tReply-Message = "${name} ${op} ${pattern.replace(/\\/g, '\\\\')}"`);
      }
    }
  }
  lines.push('DEFAULT\tAuth-Type := Reject', '\tReply-Message = "no entry matched"');
  const requests: DiffRequest[] = [];
  for (const user of users) {
    for (let i = 0; i < 2; i++) {
      const attrs: [string, string][] = [['User-Name', user]];
      for (const [name, values] of REGEX_ATTRIBUTES) {
        if (r() < 0.75) attrs.push([name, pick(r, values)]);
        if (r() < 0.1) attrs.push([name, pick(r, values)]);
      }
      requests.push({ label: `${user} #${i}`, attrs });
    }
  }
  return { text: `${lines.join('\n')}\n`, requests };
}
