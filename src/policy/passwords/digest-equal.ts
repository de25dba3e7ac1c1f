import { timingSafeEqual } from 'node:crypto';

/**
 * Constant-time equality of two byte strings. A length mismatch returns false at once: lengths
 * are not secret here (digest sizes are fixed, and FreeRADIUS compares lengths first too).
 */
export function digestEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
