import type { Avp } from '../protocol/attribute.js';
import type { Dictionary } from '../protocol/dictionary.js';
import { Attr, type Packet } from '../protocol/packet.js';
import { authorizeAndAuthenticate, authorizeAndAuthenticateDeferred, type Decision } from '../policy/evaluator.js';
import type { PasswordCheck } from '../policy/passwords/index.js';
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
  return authorizeAndAuthenticate(
    { attributes: packet.attributes, srcAddress, requestAuthenticator: packet.authenticator, userPassword: userPasswordOf(packet) },
    sources,
    dict,
    trace,
    modules,
  );
}

/** A slow password check left to the caller (see {@link decideAccessDeferred}). */
export interface PendingAccess {
  /** The known-good password attribute and the request's password to check against it. */
  known: Avp;
  password: Buffer;
  /** The decision once the check is done. */
  resume(check: PasswordCheck): Decision;
}

/**
 * {@link decideAccess}, except that a PAP check `isSlow` calls slow (PBKDF2, SHA-crypt) is handed
 * back as `pending` so the caller can run it off the event loop.
 */
export function decideAccessDeferred(
  packet: Packet,
  srcAddress: string,
  sources: readonly UserSource[],
  dict: Dictionary,
  trace: ((line: string) => void) | undefined,
  isSlow: (known: Avp) => boolean,
  modules?: readonly AuthorizeModule[],
): Decision | { code: 'pending'; pending: PendingAccess } {
  const d = authorizeAndAuthenticateDeferred(
    { attributes: packet.attributes, srcAddress, requestAuthenticator: packet.authenticator, userPassword: userPasswordOf(packet) },
    sources,
    dict,
    trace,
    isSlow,
    modules,
  );
  if (d.code !== 'pending') return d;
  const p = d.pending;
  return { code: 'pending', pending: { known: p.known, password: p.password, resume: (check) => p.resume(check) } };
}

function userPasswordOf(packet: Packet): Buffer | undefined {
  for (const a of packet.attributes) {
    if (a.def.vendorId === 0 && a.def.type === Attr.UserPassword) return a.value;
  }
  return undefined;
}
