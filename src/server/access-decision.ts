import type { Avp } from '../protocol/attribute.js';
import { Attr, type Packet } from '../protocol/packet.js';
import type { Entry } from '../policy/entry.js';
import { verifyChap, verifyPap, chapChallenge } from '../policy/passwords/index.js';
import type { UserSource } from '../store/source.js';
import type { AuthFailReason } from './auth-fail-log.js';

/**
 * The authorize + authenticate stage: user sources (in order) -> users-file evaluation ->
 * PAP/CHAP -> Access-Accept with the reply items, or Access-Reject with only the attributes
 * FreeRADIUS's `attr_filter.access_reject` lets through.
 *
 * TEMPORARY evaluation: first-match over check items with := / == / != until the policy
 * helper's evaluator lands; then this calls it.
 */

/** What the stage decided. */
export interface AccessDecision {
  accept: boolean;
  /** Attributes to send (already filtered for a reject). */
  reply: readonly Avp[];
  /** Why it was rejected (auth-fail log reason code). */
  reason?: AuthFailReason;
  detail?: string;
  /** Password scheme used (Cleartext-Password, SSHA2-512-Password, ...). */
  scheme?: string;
  /** The password that did not match (only to fingerprint it; never logged). */
  wrongPassword?: Buffer;
}

/** Attributes an Access-Reject may carry (raddb/mods-config/attr_filter/access_reject). */
function allowedInReject(a: Avp): boolean {
  if (a.def.vendorId === 311) return a.def.type === 2; // MS-CHAP-Error
  if (a.def.vendorId !== 0) return false;
  return a.def.type === 18 || a.def.type === 24 || a.def.type === 79 || a.def.type === 101;
}

function find(packet: Packet, type: number): Avp | undefined {
  return packet.attributes.find((a) => a.def.vendorId === 0 && a.def.type === type);
}

function matches(entry: Entry, packet: Packet): { ok: boolean; why: string } {
  for (const item of entry.check) {
    if (item.op === ':=' || item.op === '=' || item.op === '+=') continue;
    const got = packet.attributes.find((a) => a.def === item.attr);
    if (item.op === '==') {
      if (!got || !got.value.equals(item.value)) return { ok: false, why: `${item.attr.name} == "${item.text}" failed` };
    } else if (item.op === '!=') {
      if (!got || got.value.equals(item.value)) return { ok: false, why: `${item.attr.name} != "${item.text}" failed` };
    }
  }
  return { ok: true, why: 'matched' };
}

/** Decides an Access-Request. `trace` receives readable lines (-X). */
export function decideAccess(packet: Packet, sources: readonly UserSource[], trace?: (line: string) => void): AccessDecision {
  const userName = find(packet, Attr.UserName)?.value.toString('utf8') || 'NONE';
  const control: Avp[] = [];
  const reply: Avp[] = [];
  let matched = false;
  outer: for (const source of sources) {
    for (const entry of source.lookup(userName)) {
      const m = matches(entry, packet);
      trace?.(`${source.name}:${entry.origin.line}: ${entry.name}: ${m.why}`);
      if (!m.ok) continue;
      matched = true;
      for (const item of entry.check) {
        if (item.op === ':=' || item.op === '=' || item.op === '+=') control.push({ def: item.attr, value: item.value, ...(item.tag !== undefined ? { tag: item.tag } : {}) });
      }
      for (const item of entry.reply) reply.push({ def: item.attr, value: item.value, ...(item.tag !== undefined ? { tag: item.tag } : {}) });
      if (!entry.fallThrough) break outer;
    }
  }
  const reject = (reason: AuthFailReason, detail?: string, extra: Partial<AccessDecision> = {}): AccessDecision => ({
    accept: false,
    reply: reply.filter(allowedInReject),
    reason,
    ...(detail ? { detail } : {}),
    ...extra,
  });
  if (!matched) return reject('no_matching_entry');
  const authType = control.find((a) => a.def.vendorId === 0 && a.def.name.toLowerCase() === 'auth-type');
  if (authType) {
    const v = authType.value.readUInt32BE(0);
    if (v === 4) return reject('auth_type_reject');
    if (v === 3) return { accept: true, reply, scheme: 'Auth-Type Accept' };
  }
  const chap = find(packet, Attr.ChapPassword);
  const password = find(packet, Attr.UserPassword);
  const check = chap
    ? verifyChap(control, chap.value, chapChallenge(find(packet, Attr.ChapChallenge)?.value, packet.authenticator))
    : password
      ? verifyPap(control, password.value)
      : undefined;
  if (!check) return reject('no_password', 'request has neither User-Password nor CHAP-Password');
  if (!check.ok) {
    const reason: AuthFailReason = check.reason === 'no_password' ? 'no_password' : 'wrong_password';
    return reject(reason, check.detail, { scheme: check.scheme, ...(password && reason === 'wrong_password' ? { wrongPassword: password.value } : {}) });
  }
  return { accept: true, reply, scheme: check.scheme };
}
