import type { Entry } from '../entry.js';
import { PasswordAttr } from './attributes.js';
import { shaCryptRounds } from './crypt.js';
import { cString } from './encoding.js';
import { pbkdf2Iterations } from './pbkdf2.js';

/**
 * Slow password schemes and their upper bounds. A stored PBKDF2 or SHA-crypt value decides how
 * much CPU every attempt at that user's password costs; without a bound one entry (or one SQLite
 * row) with `rounds=999999999` is minutes of CPU per guess. Values above the bound are refused
 * when a users file is loaded (`file:line`) and rejected, not computed, when met at request time
 * (a row added to SQLite without a reload).
 */

/** 1.7x this project's PBKDF2 default (600,000, OWASP 2023): about 0.7 s per attempt on one core. */
export const MAX_PBKDF2_ITERATIONS = 1_000_000;
/** 10x glibc's default of 5000: about 0.5 s per attempt with this server's SHA-crypt. */
export const MAX_CRYPT_ROUNDS = 50_000;

/** Password attribute values whose check is slow enough to run off the event loop. */
export function isSlowHash(type: number, stored: Buffer): boolean {
  if (type === PasswordAttr.Pbkdf2Password) return true;
  if (type === PasswordAttr.CryptPassword) return shaCryptRounds(cString(stored).toString('latin1')) !== undefined;
  return false;
}

/** Why `stored` (a value of password attribute `type`) is too costly to check, or undefined. */
export function hashCostProblem(type: number, stored: Buffer): string | undefined {
  let t = type;
  let value = stored;
  if (t === PasswordAttr.PasswordWithHeader) {
    const text = stored.toString('latin1');
    const m = /^\{([^}]*)\}/.exec(text);
    const header = m?.[1]?.toLowerCase();
    if (header === 'x-pbkdf2') t = PasswordAttr.Pbkdf2Password;
    else if (header === 'crypt') { t = PasswordAttr.CryptPassword; value = Buffer.from(text.slice(m![0].length), 'latin1'); }
    else return undefined;
  }
  if (t === PasswordAttr.Pbkdf2Password) {
    const n = pbkdf2Iterations(value);
    if (n !== undefined && n > MAX_PBKDF2_ITERATIONS) {
      return `PBKDF2 with ${n} iterations is above the limit of ${MAX_PBKDF2_ITERATIONS}: every attempt would cost that much CPU; hash the password again with fewer iterations`;
    }
  } else if (t === PasswordAttr.CryptPassword) {
    const n = shaCryptRounds(cString(value).toString('latin1'));
    if (n !== undefined && n > MAX_CRYPT_ROUNDS) {
      return `Crypt-Password with rounds=${n} is above the limit of ${MAX_CRYPT_ROUNDS}: every attempt would cost that much CPU; hash the password again with fewer rounds`;
    }
  }
  return undefined;
}

/** One problem per entry item whose hash cost is above the bounds (check items: where passwords are). */
export function hashCostProblems(entries: readonly Entry[]): { file: string; line: number; message: string }[] {
  const out: { file: string; line: number; message: string }[] = [];
  for (const e of entries) {
    for (const item of e.check) {
      if (item.attr.vendorId !== 0) continue;
      const t = item.attr.type;
      if (t !== PasswordAttr.Pbkdf2Password && t !== PasswordAttr.CryptPassword && t !== PasswordAttr.PasswordWithHeader) continue;
      const problem = hashCostProblem(t, item.value);
      if (problem) out.push({ file: e.origin.file, line: e.origin.line, message: `${item.attr.name}: ${problem}` });
    }
  }
  return out;
}
