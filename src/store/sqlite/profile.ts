import { isIPv4, isIPv6 } from 'node:net';
import type { Quote } from '../../policy/entry.js';
import { writeWrittenItem } from '../../policy/users-writer.js';
import type { PasswordItem } from './password-hash.js';
import { PASSWORD_ATTRIBUTES } from './schema.js';
import type { StoredEntry, StoredItem } from './stored-entry.js';

/**
 * Vutlan user profiles on top of stored entries: the permission lists (SRead..RFU2), the
 * password item and per-NAS overrides, with the validation the device needs.
 *
 * A profile is every entry with the user's name. An entry whose check items hold
 * `NAS-IP-Address == IP` (or `NAS-IPv6-Address == IP`) is that NAS's override; the entry without
 * one is the general entry. Overrides sit before the general entry, so first-match picks them.
 */

/** Permission list keys as CLI flags and JSON fields, in reply order. */
export const LIST_KEYS = ['sread', 'swrite', 'cread', 'cwrite', 'gread', 'gwrite', 'rfu1', 'rfu2'] as const;
export type ListKey = (typeof LIST_KEYS)[number];

/** Dictionary name of each list's Vutlan attribute (vendor 39052, 10..17). */
export const LIST_ATTRIBUTES: Readonly<Record<ListKey, string>> = {
  sread: 'SRead', swrite: 'SWrite', cread: 'CRead', cwrite: 'CWrite',
  gread: 'GRead', gwrite: 'GWrite', rfu1: 'RFU1', rfu2: 'RFU2',
};

/** Resource ids a device accepts in SRead / SWrite (spelling `languges` is the device's). */
export const RESOURCE_IDS: ReadonlySet<string> = new Set([
  'accesskeys', 'cameras', 'canbus', 'devvirt', 'elements', 'groups', 'gsm', 'languges', 'log',
  'logics', 'modules', 'notify', 'relays', 'sdcard', 'system', 'users', 'view', 'all',
]);

/** Longest value that fits one Vutlan VSA (253 - 4 vendor id - 2 type/length octets). */
export const MAX_VALUE_OCTETS = 247;

/** Bad input to a profile operation; `code` is stable for scripts and tests. */
export class ProfileError extends Error {
  constructor(
    readonly code: 'invalid_argument' | 'not_found' | 'already_exists',
    message: string,
  ) {
    super(message);
    this.name = 'ProfileError';
  }
}

function tokens(key: ListKey, value: string): string[] {
  const parts = value.split(',').map((t) => t.trim());
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // "all," is the seed's form
  if (parts.length === 0 || parts.some((t) => t === '')) {
    throw new ProfileError('invalid_argument', `--${key}: empty list element in "${value}"`);
  }
  return parts;
}

/**
 * Validates one list value and returns it in the device's form (`a,b,` with a trailing comma for
 * the id lists; RFU and client lists as given). Empty values are refused: the device mishandles
 * `RFU2 = ""`.
 */
export function normalizeList(key: ListKey, value: string): string {
  if (value.trim() === '') {
    throw new ProfileError('invalid_argument', `--${key}: empty value (an empty attribute is never stored; use --unset ${key})`);
  }
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new ProfileError('invalid_argument', `--${key}: control characters are not allowed`);
  }
  let out = value;
  if (key === 'sread' || key === 'swrite') {
    const ids = tokens(key, value);
    const bad = ids.filter((t) => !RESOURCE_IDS.has(t));
    if (bad.length > 0) {
      throw new ProfileError(
        'invalid_argument',
        `--${key}: unknown resource id ${bad.map((b) => `"${b}"`).join(', ')} (known: ${[...RESOURCE_IDS].join(', ')})`,
      );
    }
    out = ids.join(',') + ',';
  } else if (key === 'gread' || key === 'gwrite') {
    const ids = tokens(key, value);
    for (const t of ids) {
      if (t !== 'all' && t !== 'none' && !/^[1-9][0-9]{0,9}$/.test(t)) {
        throw new ProfileError('invalid_argument', `--${key}: "${t}" is not all, none or a positive group number`);
      }
    }
    if (ids.length > 1 && (ids.includes('all') || ids.includes('none'))) {
      throw new ProfileError('invalid_argument', `--${key}: all / none cannot be combined with other groups`);
    }
    out = ids.join(',') + ',';
  }
  if (Buffer.byteLength(out, 'utf8') > MAX_VALUE_OCTETS) {
    throw new ProfileError('invalid_argument', `--${key}: value longer than ${MAX_VALUE_OCTETS} octets does not fit a RADIUS attribute`);
  }
  return out;
}

/** The check item restricting an entry to one NAS; throws on a bad address. */
export function nasItem(ip: string): StoredItem {
  if (isIPv4(ip)) return { attribute: 'NAS-IP-Address', op: '==', text: ip, quote: '' };
  if (isIPv6(ip)) return { attribute: 'NAS-IPv6-Address', op: '==', text: ip, quote: '' };
  throw new ProfileError('invalid_argument', `--nas: "${ip}" is not an IPv4 or IPv6 address`);
}

/** The NAS an entry is restricted to (`NAS-IP-Address ==` check item), if any. */
export function nasOf(entry: StoredEntry): string | undefined {
  const it = entry.check.find(
    (c) => c.op === '==' && (c.attribute === 'NAS-IP-Address' || c.attribute === 'NAS-IPv6-Address'),
  );
  return it ? unquoteText(it) : undefined;
}

/**
 * A raw value as written text for a users file: double-quoted with `\\`, `\"`, `\n`... escapes,
 * or single-quoted when it holds `%` so that it is never taken for a `%{...}` expansion.
 */
export function quoteRaw(raw: string): { text: string; quote: Quote } {
  const quote: Quote = raw.includes('%') ? "'" : '"';
  const text = raw
    .replace(/\\/g, '\\\\')
    .replace(quote === '"' ? /"/g : /'/g, `\\${quote}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
  return { text, quote };
}

/** The raw value of simple written text (inverse of `quoteRaw` for the escapes it makes). */
export function unquoteText(item: Pick<StoredItem, 'text' | 'quote'>): string {
  if (item.quote === '') return item.text;
  return item.text.replace(/\\(.)/g, (_m, c: string) =>
    c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
  );
}

function listItem(key: ListKey, value: string): StoredItem {
  return { attribute: LIST_ATTRIBUTES[key], op: '=', ...quoteRaw(value) };
}

/** What to put in one entry of a profile. */
export interface EntrySpec {
  password?: PasswordItem;
  /** Validated list values (see normalizeList). */
  lists: Partial<Record<ListKey, string>>;
  /** Lists to remove. */
  unset?: readonly ListKey[];
}

/** A new profile entry: password and NAS check items, list reply items in SRead..RFU2 order. */
export function newProfileEntry(name: string, spec: EntrySpec, nas?: string): StoredEntry {
  const check: StoredItem[] = [];
  if (spec.password) check.push(passwordStoredItem(spec.password));
  if (nas !== undefined) check.push(nasItem(nas));
  const reply: StoredItem[] = [];
  for (const key of LIST_KEYS) {
    const v = spec.lists[key];
    if (v !== undefined) reply.push(listItem(key, v));
  }
  return { id: 0, position: 0, name, fallThrough: false, valid: true, check, reply };
}

function passwordStoredItem(p: PasswordItem): StoredItem {
  return { attribute: p.attribute, op: ':=', ...quoteRaw(p.value) };
}

/** Applies a spec to an existing entry (password replaced in place, lists replaced/added/removed). */
export function applySpec(entry: StoredEntry, spec: EntrySpec): StoredEntry {
  const check = entry.check.slice();
  if (spec.password) {
    const i = check.findIndex((c) => PASSWORD_ATTRIBUTES.includes(c.attribute));
    if (i >= 0) check[i] = passwordStoredItem(spec.password);
    else check.unshift(passwordStoredItem(spec.password));
  }
  let reply = entry.reply.slice();
  for (const key of spec.unset ?? []) reply = reply.filter((r) => r.attribute !== LIST_ATTRIBUTES[key]);
  for (const key of LIST_KEYS) {
    const v = spec.lists[key];
    if (v === undefined) continue;
    const i = reply.findIndex((r) => r.attribute === LIST_ATTRIBUTES[key]);
    if (i >= 0) reply[i] = { ...listItem(key, v), op: reply[i]!.op };
    else reply.push(listItem(key, v));
  }
  return { ...entry, check, reply };
}

/** One entry of a profile as `list`, `show` and `--json` print it. */
export interface ProfileEntryView {
  id: number;
  valid: boolean;
  nas?: string;
  password?: { attribute: string; value: string };
  lists: Partial<Record<ListKey, string>>;
  fallThrough: boolean;
  /** Other items, in users-file form, so nothing the profile does not model is hidden. */
  otherCheck: string[];
  otherReply: string[];
  /** A group shared with other users (SQL store: radusergroup), whose rows this profile does not own. */
  group?: string;
}

/** A profile view of one entry. */
export function viewEntry(entry: StoredEntry): ProfileEntryView {
  const view: ProfileEntryView = {
    id: entry.id, valid: entry.valid, lists: {}, fallThrough: entry.fallThrough, otherCheck: [], otherReply: [],
  };
  const nas = nasOf(entry);
  if (nas !== undefined) view.nas = nas;
  for (const c of entry.check) {
    if (!view.password && PASSWORD_ATTRIBUTES.includes(c.attribute)) {
      view.password = { attribute: c.attribute, value: unquoteText(c) };
    } else if (!(c.op === '==' && (c.attribute === 'NAS-IP-Address' || c.attribute === 'NAS-IPv6-Address') && unquoteText(c) === nas)) {
      view.otherCheck.push(writeWrittenItem(c));
    }
  }
  for (const r of entry.reply) {
    const key = LIST_KEYS.find((k) => LIST_ATTRIBUTES[k] === r.attribute);
    if (key && view.lists[key] === undefined) view.lists[key] = unquoteText(r);
    else view.otherReply.push(writeWrittenItem(r));
  }
  return view;
}
