/**
 * The device's permission lists and the rules the emulator enforces with them.
 *
 * A list is a comma-separated string of tokens; whitespace around tokens is trimmed and empty
 * tokens are ignored (`"all,"` and `"3001, 3002,"` are the device's own forms). `sread`/`swrite`
 * name server resources; `all` grants every resource; write implies read. `gread`/`gwrite` hold
 * group ids (positive integers) or the words `all` / `none`. `cread`/`cwrite` belong to the web
 * interface and are stored and returned untouched.
 */

/** Server resource ids of sread/swrite, spelled as on the device (including `languges`). */
export const ServerResources = [
  'accesskeys', 'cameras', 'canbus', 'devvirt', 'elements', 'groups', 'gsm', 'languges', 'log',
  'logics', 'modules', 'notify', 'relays', 'sdcard', 'system', 'users', 'view', 'all',
] as const;

/** One server resource id. */
export type ServerResource = (typeof ServerResources)[number];

/** The six permission lists of a user or session, as strings in the device's form. */
export interface PermissionLists {
  sread: string;
  swrite: string;
  cread: string;
  cwrite: string;
  gread: string;
  gwrite: string;
}

/** Names of the six lists, in the order the device prints them. */
export const ListNames = ['sread', 'swrite', 'cread', 'cwrite', 'gread', 'gwrite'] as const;

/** Lists that grant nothing. */
export const EMPTY_LISTS: PermissionLists = {
  sread: '', swrite: '', cread: '', cwrite: '', gread: '', gwrite: '',
};

/** Splits a list into its tokens: trimmed, empty tokens dropped. */
export function listTokens(list: string): string[] {
  return list.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
}

function grants(list: string, resource: ServerResource): boolean {
  const tokens = listTokens(list);
  return tokens.includes('all') || tokens.includes(resource);
}

/** True when the lists allow reading `resource` (sread, or swrite since write implies read). */
export function canRead(lists: PermissionLists, resource: ServerResource): boolean {
  return grants(lists.sread, resource) || grants(lists.swrite, resource);
}

/** True when the lists allow writing `resource` (swrite only). */
export function canWrite(lists: PermissionLists, resource: ServerResource): boolean {
  return grants(lists.swrite, resource);
}

/**
 * Checks lists a user is about to be given through `adduser`. Returns a problem description, or
 * undefined when the lists are valid: sread/swrite tokens must be server resource ids,
 * gread/gwrite tokens must be `all`, `none` or positive integers.
 */
export function findListProblem(lists: Partial<PermissionLists>): string | undefined {
  for (const name of ['sread', 'swrite'] as const) {
    const list = lists[name];
    if (list === undefined) continue;
    for (const token of listTokens(list)) {
      if (!(ServerResources as readonly string[]).includes(token)) return `${name}: unknown resource id "${token}"`;
    }
  }
  for (const name of ['gread', 'gwrite'] as const) {
    const list = lists[name];
    if (list === undefined) continue;
    for (const token of listTokens(list)) {
      if (token !== 'all' && token !== 'none' && !/^[1-9][0-9]{0,9}$/.test(token)) {
        return `${name}: "${token}" is not a group id, "all" or "none"`;
      }
    }
  }
  return undefined;
}

/**
 * Lists whose tokens also grant a token of `list` (write implies read). For every list, `all`
 * held grants any token; `none` (gread/gwrite) grants nothing, so anyone may hand it out.
 */
const GRANTED_BY: Record<keyof PermissionLists, readonly (keyof PermissionLists)[]> = {
  sread: ['sread', 'swrite'],
  swrite: ['swrite'],
  cread: ['cread', 'cwrite'],
  cwrite: ['cwrite'],
  gread: ['gread', 'gwrite'],
  gwrite: ['gwrite'],
};

/**
 * The first right in `lists` that `holder` does not hold itself, as `list: "token"`, or
 * undefined when `holder` holds all of them. The emulator's rule where the device manual is
 * silent: nobody grants a right he does not hold, and nobody changes a user who holds more.
 */
export function rightNotHeld(holder: PermissionLists, lists: Partial<PermissionLists>): string | undefined {
  for (const name of ListNames) {
    const list = lists[name];
    if (list === undefined) continue;
    const held = new Set(GRANTED_BY[name].flatMap((n) => listTokens(holder[n])));
    for (const token of listTokens(list)) {
      if (token === 'none' && (name === 'gread' || name === 'gwrite')) continue;
      if (!held.has('all') && !held.has(token)) return `${name}: "${token}"`;
    }
  }
  return undefined;
}
