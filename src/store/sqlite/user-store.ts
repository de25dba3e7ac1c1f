import { controlCharacterOffset, filterUserName, USER_NAME_PROBLEM_TEXT } from '../../policy/username-filter.js';
import { EntryWriter } from './entry-writer.js';
import {
  applySpec,
  nasItem,
  nasOf,
  newProfileEntry,
  ProfileError,
  viewEntry,
  type EntrySpec,
  type ProfileEntryView,
} from './profile.js';
import { openStoreDatabase, type OpenOptions, type SqliteDatabase } from './schema.js';
import { readAllEntries, readEntriesNamed, type StoredEntry, type StoredItem } from './stored-entry.js';

/** A user profile: every entry with that name, in store order. */
export interface UserProfileView {
  name: string;
  /** True when at least one entry is enabled. */
  valid: boolean;
  entries: ProfileEntryView[];
}

/** A NAS override in an add/set command. */
export interface NasSpec extends EntrySpec {
  nas: string;
}

/**
 * The store's management operations, one write transaction each (a reader sees none or all of a
 * command). Used by the `users` CLI; the request path uses SqliteUserSource instead.
 */
export class UserStore {
  readonly db: SqliteDatabase;
  private readonly writer: EntryWriter;

  constructor(readonly path: string, opts: OpenOptions = {}) {
    this.db = openStoreDatabase(path, opts);
    this.writer = new EntryWriter(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Every profile (DEFAULT entries excluded), by first appearance. */
  list(): UserProfileView[] {
    const byName = new Map<string, StoredEntry[]>();
    for (const e of readAllEntries(this.db)) {
      if (e.name === 'DEFAULT') continue;
      let list = byName.get(e.name);
      if (!list) byName.set(e.name, (list = []));
      list.push(e);
    }
    return [...byName].map(([name, entries]) => profileView(name, entries));
  }

  /** One profile; throws ProfileError('not_found'). */
  show(name: string): UserProfileView {
    return profileView(name, this.entriesOf(name));
  }

  /** The entries named `name` (valid and disabled), in order; [] when there are none. */
  entriesNamed(name: string): StoredEntry[] {
    return readEntriesNamed(this.db, name);
  }

  /** Every entry (for export), in order. */
  entries(): StoredEntry[] {
    return readAllEntries(this.db);
  }

  /**
   * Creates a profile: one entry per NAS override (in the order given), then the general entry,
   * appended after every existing entry. Returns warnings (e.g. an earlier catch-all DEFAULT that
   * shadows the new user).
   */
  add(name: string, general: EntrySpec, overrides: readonly NasSpec[]): string[] {
    validateName(name);
    for (const o of overrides) nasItem(o.nas);
    return this.db.transaction(() => {
      if (readEntriesNamed(this.db, name).length > 0) {
        throw new ProfileError('already_exists', `user "${name}" already exists (use "set" to change it)`);
      }
      for (const o of overrides) this.writer.append(newProfileEntry(name, o, o.nas));
      this.writer.append(newProfileEntry(name, general));
      return this.shadowWarnings(name);
    }).immediate();
  }

  /**
   * Changes a profile: the password (in every entry of the user), the general entry's lists, and
   * each NAS override's lists (an override that does not exist yet is created just before the
   * general entry, with the general entry's password and lists as its starting point).
   */
  set(name: string, general: EntrySpec, overrides: readonly NasSpec[]): void {
    for (const o of overrides) nasItem(o.nas);
    this.db.transaction(() => {
      const entries = this.entriesOf(name);
      const generalEntry = entryToSet(name, entries, general, overrides);
      for (const e of entries) {
        const spec = setSpecFor(e, generalEntry, general);
        if (spec.password || Object.keys(spec.lists).length > 0 || (spec.unset?.length ?? 0) > 0) {
          this.writer.replace(applySpec(e, spec));
        }
      }
      for (const o of overrides) {
        const existing = readEntriesNamed(this.db, name).find((e) => nasOf(e) === canonicalIp(o.nas));
        if (existing) {
          this.writer.replace(applySpec(existing, o));
          continue;
        }
        const base = readEntriesNamed(this.db, name).find((e) => nasOf(e) === undefined);
        const fresh = applySpec(
          base ? { ...base, check: [...base.check, nasItem(o.nas)], id: 0 } : newProfileEntry(name, { lists: {} }, o.nas),
          o,
        );
        if (base) this.writer.insertBefore(fresh, base.id);
        else this.writer.append(fresh);
      }
    }).immediate();
  }

  /** Sets Valid = 0 (or 1) on the user's entries, or only on one NAS override. Rows stay. */
  setValid(name: string, valid: boolean, nas?: string): number {
    return this.db.transaction(() => {
      const ids = this.select(name, nas).map((e) => e.id);
      this.writer.setValid(ids, valid);
      return ids.length;
    }).immediate();
  }

  /** Deletes the user's entries, or only one NAS override. */
  delete(name: string, nas?: string): number {
    return this.db.transaction(() => {
      const ids = this.select(name, nas).map((e) => e.id);
      this.writer.delete(ids);
      return ids.length;
    }).immediate();
  }

  /**
   * Appends parsed entries in order; returns the count. `replace` deletes every entry first.
   * Otherwise, unless `append`, refuses (ProfileError 'already_exists', nothing written) when the
   * store already holds one of the entries' users or an identical DEFAULT entry: the same file
   * imported twice would duplicate every entry, and the first copy would shadow later edits.
   */
  importEntries(entries: readonly StoredEntry[], replace: boolean, opts: { append?: boolean } = {}): number {
    return this.db.transaction(() => {
      if (replace) this.writer.deleteAll();
      else if (!opts.append) this.refuseDuplicates(entries);
      for (const e of entries) this.writer.append(e);
      return entries.length;
    }).immediate();
  }

  /** Throws when some of `entries` are in the store already (one indexed read per name). */
  private refuseDuplicates(entries: readonly StoredEntry[]): void {
    const exists = this.db.prepare('SELECT 1 FROM entries WHERE name = ? LIMIT 1').pluck();
    const names = new Set<string>();
    let sameDefaults = 0;
    let storedDefaults: string[] | undefined;
    for (const e of entries) {
      if (e.name === 'DEFAULT') {
        storedDefaults ??= readEntriesNamed(this.db, 'DEFAULT').map(entryContent);
        if (storedDefaults.includes(entryContent(e))) sameDefaults++;
      } else if (!names.has(e.name) && exists.get(e.name) !== undefined) {
        names.add(e.name);
      }
    }
    if (names.size === 0 && sameDefaults === 0) return;
    const shown = [...names].slice(0, 5).map((n) => `"${n}"`);
    if (names.size > shown.length) shown.push(`and ${names.size - shown.length} more`);
    const what = [
      ...(names.size > 0 ? [`user${names.size === 1 ? '' : 's'} ${shown.join(', ')} already in the store`] : []),
      ...(sameDefaults > 0 ? [`${sameDefaults} DEFAULT entr${sameDefaults === 1 ? 'y' : 'ies'} identical to stored ones`] : []),
    ].join(' and ');
    throw new ProfileError(
      'already_exists',
      `nothing imported: ${what} (imported before?). Use --replace to replace the store's entries with the file's, or --append to add them anyway`,
    );
  }

  private select(name: string, nas?: string): StoredEntry[] {
    const entries = this.entriesOf(name);
    if (nas === undefined) return entries;
    const ip = canonicalIp(nas);
    const picked = entries.filter((e) => nasOf(e) === ip);
    if (picked.length === 0) throw new ProfileError('not_found', `user "${name}" has no entry for NAS ${nas}`);
    return picked;
  }

  private entriesOf(name: string): StoredEntry[] {
    const entries = readEntriesNamed(this.db, name);
    if (entries.length === 0) throw new ProfileError('not_found', `no such user "${name}"`);
    return entries;
  }

  /** Warn when a DEFAULT entry that always matches and stops processing comes before the user. */
  private shadowWarnings(name: string): string[] {
    const first = readEntriesNamed(this.db, name)[0]!;
    const shadow = readEntriesNamed(this.db, 'DEFAULT').find(
      (e) => e.valid && e.name === 'DEFAULT' && !e.fallThrough && e.position < first.position &&
        e.check.every((c) => c.op === ':=' || c.op === '+='),
    );
    return shadow
      ? [`entry #${shadow.id} (DEFAULT without check items or Fall-Through) comes first and will answer for "${name}"`]
      : [];
  }
}

/**
 * The general entry a `set` changes (undefined: the user has only per-NAS entries), after
 * refusing a `set` that changes nothing or gives lists for a general entry there is not.
 */
export function entryToSet(name: string, entries: readonly StoredEntry[], general: EntrySpec, overrides: readonly NasSpec[]): StoredEntry | undefined {
  const generalEntry = entries.find((e) => nasOf(e) === undefined);
  const generalLists = Object.keys(general.lists).length > 0 || (general.unset?.length ?? 0) > 0;
  if (!general.password && !generalLists && overrides.length === 0) {
    throw new ProfileError('invalid_argument', 'nothing to change: give a password option, list options or --nas');
  }
  if (generalLists && !generalEntry) {
    throw new ProfileError('invalid_argument', `user "${name}" has only per-NAS entries: put the list options after --nas IP`);
  }
  return generalEntry;
}

/** What a `set` applies to one entry: the general lists to the general entry, a new password to every entry. */
export function setSpecFor(entry: StoredEntry, generalEntry: StoredEntry | undefined, general: EntrySpec): EntrySpec {
  const spec: EntrySpec = entry === generalEntry ? general : { lists: {} };
  if (general.password) spec.password = general.password;
  return spec;
}

function canonicalIp(ip: string): string {
  return nasItem(ip).text;
}

/**
 * Refuses a name no request could ever log in with: the server's own filter_username rule
 * and its control-character check (policy/username-filter.ts, both applied before any lookup),
 * over 253 octets.
 */
export function validateName(name: string): void {
  if (name === '' || name === 'DEFAULT') {
    throw new ProfileError('invalid_argument', `"${name}" cannot be a user name (DEFAULT entries are managed with import/export)`);
  }
  if (controlCharacterOffset(Buffer.from(name)) >= 0 || Buffer.byteLength(name) > 253) {
    throw new ProfileError('invalid_argument', `user name must be 1..253 octets without control characters`);
  }
  const problem = filterUserName(name);
  if (problem) {
    throw new ProfileError(
      'invalid_argument',
      `"${name}": the server refuses this User-Name before looking it up (${USER_NAME_PROBLEM_TEXT[problem]}), so this user could never log in`,
    );
  }
}

/** What makes two entries the same for the duplicate check of an import. */
function entryContent(e: StoredEntry): string {
  const items = (list: readonly StoredItem[]) => list.map((i) => [i.attribute, i.op, i.text, i.quote, i.tag ?? null]);
  return JSON.stringify([e.fallThrough, items(e.check), items(e.reply)]);
}

function profileView(name: string, entries: StoredEntry[]): UserProfileView {
  return { name, valid: entries.some((e) => e.valid), entries: entries.map(viewEntry) };
}
