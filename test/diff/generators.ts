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
    reply.forEach((item, i) => { lines.push(`\t${item}${i < reply.length - 1 ? ',' : ''}`); });
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

