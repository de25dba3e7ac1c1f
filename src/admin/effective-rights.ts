import { isIPv4, isIPv6 } from 'node:net';
import type { Avp } from '../protocol/attribute.js';
import { parseValue } from '../protocol/values.js';
import { authorize } from '../policy/evaluator.js';
import type { Entry, Item } from '../policy/entry.js';
import type { ModuleContext } from '../policy/module.js';
import { filterRejectReply } from '../policy/reject-filter.js';
import { printAttribute } from '../server/attribute-text.js';
import type { Snapshot } from '../server/snapshot.js';
import type { UserSource } from '../store/source.js';
import { LIST_ATTRIBUTES, LIST_KEYS, type ListKey } from '../store/sqlite/profile.js';

/**
 * Effective rights: what a user would receive from each device, computed by the evaluator the
 * server runs (`authorize`, the users-file step), over the user sources of the configuration in
 * service, in their configured order, then the authorize modules after them (the PostgreSQL
 * store, `users.sql`) as the request path runs them. The password is not checked: this answers
 * "if this user signs in correctly on that NAS, which lists does the device get".
 */

export interface DeviceRights {
  /** The NAS-IP-Address the request carried. */
  nas: string;
  /** Where this NAS comes from: a client, the user's own override, or "any other NAS". */
  label: string;
  /** False when no entry matched: the device would get an Access-Reject. */
  matched: boolean;
  /** The Vutlan lists the reply carries. */
  lists: Partial<Record<ListKey, string>>;
  /** Every reply attribute, as radclient prints it. */
  reply: string[];
  /** The entries that matched (file:line or sqlite row), in order. */
  entries: string[];
}

/** An address no real NAS has, standing for "every other device" (it satisfies `!=` checks). */
export const OTHER_NAS = '0.0.0.0';

function sourcesOf(s: Snapshot): UserSource[] {
  // the raw sources, not the counted ones: a look from the admin is not a RADIUS lookup
  const out: UserSource[] = s.usersFiles.map((u) => u.source);
  if (s.sqliteSource) out.push(s.sqliteSource);
  return out;
}

function avp(s: Snapshot, name: string, text: string): Avp {
  const def = s.dictionary.attributeByName(name);
  if (!def) throw new Error(`the dictionary has no ${name}`);
  return { def, value: parseValue(def, text, '"') };
}

/** The rights `user` gets on the NAS `nas` (an IPv4 or IPv6 address). */
export function rightsOn(s: Snapshot, user: string, nas: string, label: string): DeviceRights {
  const request: Avp[] = [avp(s, 'User-Name', user)];
  if (isIPv4(nas)) request.push(avp(s, 'NAS-IP-Address', nas));
  else if (isIPv6(nas)) request.push(avp(s, 'NAS-IPv6-Address', nas));
  else throw new Error(`"${nas}" is not an IPv4 or IPv6 address`);
  const sources = sourcesOf(s);
  const entries = function* (): Generator<Entry> {
    for (const src of sources) yield* src.lookup(user);
  };
  const r = authorize(request, entries(), s.dictionary);
  const userEntries = r.matched;
  let reply = r.reply;
  const from = userEntries.map((e) => (e.origin.line > 0 ? `${e.origin.file}:${e.origin.line}` : e.origin.file));
  let found = userEntries.length > 0;
  if (s.modules.length > 0) {
    const ctx: ModuleContext = {
      dict: s.dictionary,
      request,
      reply: [...r.reply],
      control: [...r.control],
      // paircompare by the evaluator itself: a one-entry list whose check items are these
      compare: (items: readonly Item[]) => (authorize(request, [{
        name: user, isDefault: false, check: [...items], reply: [], fallThrough: false, origin: { file: 'module', line: 0 },
      }], s.dictionary).matched.length === 1 ? undefined : 'does not hold'),
    };
    for (const m of s.modules) {
      const res = m.authorize(ctx, user);
      if (res.code === 'fail') throw new Error(`${m.name}: ${res.detail ?? 'failed'}`);
      if (res.code === 'ok' || res.code === 'noop') {
        found = true;
        from.push(m.name);
      }
    }
    reply = ctx.reply;
  }
  if (!found) reply = filterRejectReply(reply);
  const lists: Partial<Record<ListKey, string>> = {};
  for (const a of reply) {
    const key = LIST_KEYS.find((k) => a.def.vendorId !== 0 && a.def.name === LIST_ATTRIBUTES[k]);
    if (key && lists[key] === undefined) lists[key] = a.value.toString('utf8');
  }
  return {
    nas,
    label,
    matched: found,
    lists,
    reply: reply.filter((a) => !(a.def.vendorId === 0 && a.def.type > 255)).map(printAttribute),
    entries: from,
  };
}

/**
 * The rights on every known device: each single-host client, each NAS the user has an override
 * for, and one "any other NAS" row.
 */
export function effectiveRights(s: Snapshot, user: string, userNas: readonly string[]): DeviceRights[] {
  const rows: DeviceRights[] = [];
  const seen = new Set<string>();
  for (const c of s.clients.clients()) {
    if (!c.isHost) continue;
    const ip = c.cidr.replace(/\/\d+$/, '');
    if (seen.has(ip)) continue;
    seen.add(ip);
    rows.push(rightsOn(s, user, ip, `client ${c.name}`));
  }
  for (const ip of userNas) {
    if (seen.has(ip)) continue;
    seen.add(ip);
    rows.push(rightsOn(s, user, ip, 'NAS override of this user'));
  }
  rows.push(rightsOn(s, user, OTHER_NAS, 'any other NAS'));
  return rows;
}
