import type { Avp } from '../protocol/attribute.js';
import type { Dictionary } from '../protocol/dictionary.js';
import { Attr, type Packet } from '../protocol/packet.js';
import {
  authorizeAndAuthenticate, authorizeAndAuthenticateDeferred, type Decision, type EntrySource,
} from '../policy/evaluator.js';
import type { PasswordCheck } from '../policy/passwords/index.js';
import type { UserSource } from '../store/source.js';
import type { AuthorizeModule } from '../policy/module.js';
import type { AuthFailReason } from './auth-fail-log.js';

/**
 * The authorize + authenticate stage: the user sources (in configured order) as one entry list,
 * evaluated by the policy evaluator exactly as FreeRADIUS's default site does (filter_username,
 * preprocess, chap, files, pap; Auth-Type; reject filter). This file only adapts a decoded
 * packet to the evaluator and its decision to what the pipeline and the auth-fail log need.
 */

/** What the stage decided. */
export interface AccessDecision {
  /** accept / reject, or no reply at all (Response-Packet-Type := Do-Not-Respond). */
  code: 'accept' | 'reject' | 'no-response';
  /** Attributes to send (already filtered for a reject). */
  reply: readonly Avp[];
  /** Why it was rejected (auth-fail log reason code). */
  reason?: AuthFailReason;
  detail?: string;
  /** Password scheme used (Cleartext-Password, SSHA2-512-Password, CHAP, ...). */
  scheme?: string;
  /** The password that did not match (only to fingerprint it; never logged). */
  wrongPassword?: Buffer;
  /**
   * The revealed User-Password of a rejected request is not printable UTF-8: with a wrong
   * shared secret it decodes to noise (FreeRADIUS warns the same way).
   */
  unprintablePassword?: boolean;
}

/** FreeRADIUS 3.2's words (auth.c) for a rejected request whose password is not printable. */
export const SECRET_HINT = 'Unprintable characters in the password.  Double-check the shared secret on the server and the NAS!';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** As FreeRADIUS's check: up to the first NUL, every character printable UTF-8 (no C0 or DEL). */
function printablePassword(p: Buffer): boolean {
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
): AccessDecision {
  const userPassword = userPasswordOf(packet);
  const d = authorizeAndAuthenticate(
    { attributes: packet.attributes, srcAddress, requestAuthenticator: packet.authenticator, userPassword },
    entrySources(sources),
    dict,
    trace,
    modules,
  );
  return toAccessDecision(d, userPassword);
}

/** A slow password check left to the caller (see {@link decideAccessDeferred}). */
export interface PendingAccess {
  /** The known-good password attribute and the request's password to check against it. */
  known: Avp;
  password: Buffer;
  /** The decision once the check is done. */
  resume(check: PasswordCheck): AccessDecision;
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
): AccessDecision | { code: 'pending'; pending: PendingAccess } {
  const userPassword = userPasswordOf(packet);
  const d = authorizeAndAuthenticateDeferred(
    { attributes: packet.attributes, srcAddress, requestAuthenticator: packet.authenticator, userPassword },
    entrySources(sources),
    dict,
    trace,
    isSlow,
    modules,
  );
  if (d.code !== 'pending') return toAccessDecision(d, userPassword);
  const p = d.pending;
  return { code: 'pending', pending: { known: p.known, password: p.password, resume: (check) => toAccessDecision(p.resume(check), userPassword) } };
}

function userPasswordOf(packet: Packet): Buffer | undefined {
  for (const a of packet.attributes) {
    if (a.def.vendorId === 0 && a.def.type === Attr.UserPassword) return a.value;
  }
  return undefined;
}

function toAccessDecision(d: Decision, userPassword: Buffer | undefined): AccessDecision {
  const out: AccessDecision = { code: d.code, reply: d.reply };
  if (d.scheme) out.scheme = d.scheme;
  if (d.detail) out.detail = d.detail;
  if (d.code === 'reject') {
    out.reason = d.reason === 'accepted' || d.reason === 'auth_type_accept' || d.reason === 'do_not_respond' ? 'rejected' : d.reason;
    if (d.reason === 'wrong_password' && userPassword) out.wrongPassword = userPassword;
    if (userPassword && !printablePassword(userPassword)) out.unprintablePassword = true;
  }
  return out;
}
