import { Attr } from './attribute-numbers.js';
import type { Dictionary } from './dictionary.js';

/** Auth-Type names the default site defines at start-up (its authenticate sub-sections). */
const DYNAMIC_AUTH_TYPES = ['PAP', 'CHAP', 'MS-CHAP', 'mschap', 'digest', 'eap'];

/**
 * Adds the Auth-Type VALUE names FreeRADIUS creates from the `authenticate` section of the
 * default site (PAP, CHAP, ...), so `Auth-Type := PAP` loads as it does there. Called by the
 * dictionary loader once the dictionaries are read (as FreeRADIUS adds them at start-up, after
 * its dictionaries); idempotent.
 */
export function ensureAuthTypeValues(dict: Dictionary): void {
  const def = dict.attributeByCode(0, Attr.AuthType);
  if (!def) return;
  let next = 1024;
  for (const name of DYNAMIC_AUTH_TYPES) {
    if (def.valuesByName.has(name.toLowerCase())) continue;
    while (def.namesByValue.has(next)) next++;
    def.valuesByName.set(name.toLowerCase(), next);
    def.namesByValue.set(next, name);
  }
}

