import type { Dictionary } from '../protocol/dictionary.js';
import { Attr, type Packet } from '../protocol/packet.js';
import { authorizeAndAuthenticate, type Decision, type EntrySource } from '../policy/evaluator.js';
import type { UserSource } from '../store/source.js';
import type { AuthorizeModule } from '../policy/module.js';

/**
 * The authorize + authenticate stage: the user sources (in configured order) as one entry list,
 * evaluated by the policy evaluator exactly as FreeRADIUS's default site does (filter_username,
 * preprocess, chap, files, pap; Auth-Type; reject filter). This file only adapts a decoded
 * packet and the configured user sources to the evaluator.
 */

/** FreeRADIUS 3.2's words (auth.c) for a rejected request whose password is not printable. */
export const SECRET_HINT = 'Unprintable characters in the password.  Double-check the shared secret on the server and the NAS!';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** As FreeRADIUS's check: up to the first NUL, every character printable UTF-8 (no C0 or DEL). */
export function printablePassword(p: Buffer): boolean {
  const z = p.indexOf(0);
  const text = z < 0 ? p : p.subarray(0, z);
  let decoded: string;
  try {
    decoded = strictUtf8.decode(text);
  } catch {
    return false;
  }
  return !/[\u0000-\u001f\u007f]/.test(decoded);
}

const lookupsOf = new WeakMap<readonly UserSource[], EntrySource[]>();

function entrySources(sources: readonly UserSource[]): EntrySource[] {
  let l = lookupsOf.get(sources);
  if (!l) {
    l = sources.map((s) => (userName: string) => s.lookup(userName));
    lookupsOf.set(sources, l);
  }
  return l;
}

/**
 * Decides an Access-Request whose User-Password is already revealed (decoded with the secret).
 * `srcAddress` is the packet's source (preprocess adds it as NAS-IP-Address when missing).
 * `trace` receives readable lines (-X).
 */
export function decideAccess(
  packet: Packet,
  srcAddress: string,
  sources: readonly UserSource[],
  dict: Dictionary,
  trace?: (line: string) => void,
  modules?: readonly AuthorizeModule[],
): Decision {
  let userPassword: Buffer | undefined;
  for (const a of packet.attributes) {
    if (a.def.vendorId === 0 && a.def.type === Attr.UserPassword) {
      userPassword = a.value;
      break;
    }
  }
  return authorizeAndAuthenticate(
    { attributes: packet.attributes, srcAddress, requestAuthenticator: packet.authenticator, userPassword },
    entrySources(sources),
    dict,
    trace,
    modules,
  );
}
