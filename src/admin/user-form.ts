import { LIST_KEYS, nasItem, normalizeList, ProfileError, type ListKey } from '../store/sqlite/profile.js';
import { credentialFromPassword, credentialFromSha1Hex, passwordItemFor, type PasswordItem } from '../store/sqlite/password-hash.js';
import { validateName } from '../store/sqlite/user-store.js';
import type { ProfileChange } from './user-directory.js';

/**
 * The user form of the web administration (JSON body of POST/PUT /api/users): validated with the
 * `users` CLI's own functions (normalizeList, nasItem, validateName, the credential rules), so
 * the browser shows exactly the CLI's messages, each tied to the field it is about. Nothing is
 * written unless every field is valid.
 */

/** How the password was given: the device login password (stored as a hash of its SHA-1 hex), that hex, or a plain PAP password. */
export type PasswordKind = 'device' | 'sha1-hex' | 'plain';

export interface UserFormBody {
  name?: unknown;
  enabled?: unknown;
  password?: unknown;
  lists?: unknown;
  overrides?: unknown;
}

export interface FieldError {
  /** `name`, `password`, `lists.sread`, `overrides.0.nas`, `overrides.1.gwrite` ... */
  field: string;
  message: string;
}

/** The form had invalid fields; nothing was written. */
export class FormError extends Error {
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
    this.name = 'FormError';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function attempt(errors: FieldError[], field: string, body: () => void): void {
  try {
    body();
  } catch (err) {
    if (err instanceof ProfileError) errors.push({ field, message: err.message });
    else throw err;
  }
}

function readLists(value: unknown, prefix: string, errors: FieldError[]): Partial<Record<ListKey, string>> {
  const out: Partial<Record<ListKey, string>> = {};
  if (value === undefined || value === null) return out;
  if (!isRecord(value)) {
    errors.push({ field: prefix, message: 'expected an object of lists (sread, swrite, ...)' });
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!(LIST_KEYS as readonly string[]).includes(k)) {
      errors.push({ field: `${prefix}.${k}`, message: `"${k}" is not one of ${LIST_KEYS.join(', ')}` });
      continue;
    }
    if (v === undefined || v === null) continue; // not set: the list is absent
    if (typeof v !== 'string') {
      errors.push({ field: `${prefix}.${k}`, message: 'expected a string' });
      continue;
    }
    attempt(errors, `${prefix}.${k}`, () => {
      out[k as ListKey] = normalizeList(k as ListKey, v);
    });
  }
  return out;
}

function readPassword(value: unknown, errors: FieldError[]): PasswordItem | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || typeof value.value !== 'string' || !['device', 'sha1-hex', 'plain'].includes(String(value.kind))) {
    errors.push({ field: 'password', message: 'expected { kind: device | sha1-hex | plain, value }' });
    return undefined;
  }
  let item: PasswordItem | undefined;
  attempt(errors, 'password', () => {
    const kind = value.kind as PasswordKind;
    const credential = kind === 'sha1-hex' ? credentialFromSha1Hex(value.value as string) : credentialFromPassword(value.value as string, kind === 'device');
    item = passwordItemFor(credential, false);
  });
  return item;
}

/**
 * Validates a form. `creating`: the name is checked and a password is required. Throws FormError
 * listing every bad field.
 */
export function parseUserForm(body: unknown, creating: boolean): { name: string; change: ProfileChange } {
  const errors: FieldError[] = [];
  const b: UserFormBody = isRecord(body) ? body : {};
  let name = '';
  if (creating) {
    if (typeof b.name !== 'string') errors.push({ field: 'name', message: 'expected the user name' });
    else {
      name = b.name;
      attempt(errors, 'name', () => validateName(name));
    }
  }
  const enabled = b.enabled === undefined ? true : b.enabled === true;
  if (b.enabled !== undefined && typeof b.enabled !== 'boolean') errors.push({ field: 'enabled', message: 'expected true or false' });
  const password = readPassword(b.password, errors);
  if (creating && !password && !errors.some((e) => e.field === 'password')) {
    errors.push({ field: 'password', message: 'add needs a password (--password-file, --password-stdin, --password or --sha1-hex)' });
  }
  const lists = readLists(b.lists, 'lists', errors);
  const overrides: ProfileChange['overrides'] = [];
  if (b.overrides !== undefined && !Array.isArray(b.overrides)) errors.push({ field: 'overrides', message: 'expected a list of { nas, lists }' });
  const seen = new Set<string>();
  (Array.isArray(b.overrides) ? b.overrides : []).forEach((o: unknown, i: number) => {
    const rec = isRecord(o) ? o : {};
    const nas = typeof rec.nas === 'string' ? rec.nas.trim() : '';
    attempt(errors, `overrides.${i}.nas`, () => {
      const canonical = nasItem(nas).text;
      if (seen.has(canonical)) throw new ProfileError('invalid_argument', `--nas: ${nas} is given twice`);
      seen.add(canonical);
    });
    overrides.push({ nas, lists: readLists(rec.lists, `overrides.${i}.lists`, errors) });
  });
  if (errors.length > 0) throw new FormError(errors);
  return { name, change: { enabled, ...(password ? { password } : {}), lists, overrides } };
}
