import type { Dictionary } from '../protocol/dictionary.js';
import { Attr, type Packet } from '../protocol/packet.js';
import { authorizeAndAuthenticate, type Decision, type EntrySource } from '../policy/evaluator.js';
import type { UserSource } from '../store/source.js';

/**
 * The authorize + authenticate stage: the user sources (in configured order) as one entry list,
 * evaluated by the policy evaluator exactly as FreeRADIUS's default site does (filter_username,
 * preprocess, chap, files, pap; Auth-Type; reject filter). This file only adapts a decoded
 * packet and the configured user sources to the evaluator.
 */

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
  );
}
