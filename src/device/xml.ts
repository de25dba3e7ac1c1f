/**
 * The XML replies of `/engine.htm`, built with fast-xml-parser's XMLBuilder so every attribute
 * value is escaped. Characters XML 1.0 cannot carry (C0 controls other than tab, LF, CR) are
 * dropped rather than producing a document a client cannot parse.
 */
import { XMLBuilder } from 'fast-xml-parser';
import type { DeviceErrorType } from './errors.js';
import type { NO_ERROR } from './errors.js';
import { ListNames, type PermissionLists } from './permissions.js';
import type { RadiusSettings } from './user-store.js';

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

function attrs(pairs: [string, string | number][]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) out[`@_${k}`] = String(v).replace(NOT_XML, '');
  return out;
}

/** What a user element shows: id, optional session key, name and the six lists. */
export interface UserView extends PermissionLists {
  id: number;
  name: string;
}

function userAttrs(u: UserView, key?: string): Record<string, string> {
  const pairs: [string, string | number][] = [['id', u.id]];
  if (key !== undefined) pairs.push(['k', key]);
  pairs.push(['name', u.name]);
  for (const n of ListNames) pairs.push([n, u[n]]);
  return attrs(pairs);
}

/** `<user id k name sread swrite cread cwrite gread gwrite/>`: the reply to `auth`. */
export function userXml(u: UserView, key?: string): string {
  return builder.build({ user: userAttrs(u, key) }) as string;
}

/** `<users><user .../>...</users>` (no session keys, no passwords): the reply to `getuser`. */
export function usersXml(users: readonly UserView[]): string {
  return builder.build({ users: users.length ? { user: users.map((u) => userAttrs(u)) } : '' }) as string;
}

/** `<radius enable="1" addr port/>` or `<radius enable="0"/>` (never the secret). */
export function radiusXml(s: RadiusSettings): string {
  return builder.build({ radius: s.enable ? attrs([['enable', 1], ['addr', s.addr], ['port', s.port]]) : attrs([['enable', 0]]) }) as string;
}

/** `<error type="..."/>`; `type` "no error" acknowledges a command. */
export function errorXml(type: DeviceErrorType | typeof NO_ERROR): string {
  return builder.build({ error: attrs([['type', type]]) }) as string;
}
