import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * The synthetic user populations the benchmarks use, so our server, FreeRADIUS and the load
 * generators all agree on them. Two naming schemes:
 * - `hex` (default): user i is `${prefix}${i}` (i from 0) with password i as 40 lower-case hex
 *   digits: the shape of the SHA-1 hex a Vutlan device sends (same length and alphabet, so
 *   hiding and comparing cost the same), and reproducible by radload as
 *   `-U 'user%d' -p '%040x'`.
 * - `device`: the SQLite store's bulk generator (`src/store/sqlite/bulk.ts`): user i is
 *   `${prefix}${i padded to 7}` (i from 1) with password = SHA-1 hex of `pass<i>`, exactly what
 *   a device sends. radload cannot compute SHA-1, so only our generator loads this scheme.
 */

/** How user i is named and what password it has. */
export interface UserScheme {
  readonly id: 'hex' | 'device';
  readonly prefix: string;
  /** Index of the first user. */
  readonly first: number;
  name(i: number): string;
  password(i: number): string;
}

/** The scheme named `id` with User-Name prefix `prefix`. */
export function userScheme(id: 'hex' | 'device' = 'hex', prefix = 'user'): UserScheme {
  if (id === 'device') {
    return {
      id, prefix, first: 1,
      name: (i) => prefix + String(i).padStart(7, '0'),
      password: (i) => createHash('sha1').update(`pass${i}`).digest('hex'),
    };
  }
  return { id, prefix, first: 0, name: (i) => prefix + i, password: benchPassword };
}

/**
 * Vutlan reply attributes in the order entries list them (name, value), in the SQLite store's
 * list order (SRead, SWrite, CRead, CWrite, GRead, GWrite, RFU1, RFU2). At most 8.
 */
export const VUTLAN_REPLY_ATTRIBUTES: readonly (readonly [string, string])[] = [
  ['SRead', 'system,users,log,view,'],
  ['SWrite', 'log,view,'],
  ['CRead', 'all,'],
  ['CWrite', 'all,'],
  ['GRead', 'all,'],
  ['GWrite', 'all,'],
  ['RFU1', 'bench'],
  ['RFU2', 'bench'],
];

/** Default number of Vutlan attributes per Access-Accept (as in the performance issue). */
export const DEFAULT_REPLY_ATTRIBUTES = 4;

/** Options shared by every generator. */
export interface BenchUsersOptions {
  /** Number of users (user 0 .. users-1). */
  users: number;
  /** User-Name prefix; default `user`. */
  prefix?: string;
  /** Naming scheme; default `hex`. */
  scheme?: 'hex' | 'device';
  /** Vutlan attributes per Accept, 0..8; default 4. */
  replyAttributes?: number;
}

/** The name of user `i`. */
export function benchUserName(i: number, prefix = 'user'): string {
  return prefix + i;
}

/** The password of user `i`: i as 40 lower-case hex digits (radload: `-p '%040x'`). */
export function benchPassword(i: number): string {
  return i.toString(16).padStart(40, '0');
}

/** The reply attributes (name, value) of every generated Accept. */
export function benchReplyAttributes(count = DEFAULT_REPLY_ATTRIBUTES): readonly (readonly [string, string])[] {
  if (!Number.isInteger(count) || count < 0 || count > VUTLAN_REPLY_ATTRIBUTES.length) {
    throw new RangeError(`reply attributes must be 0..${VUTLAN_REPLY_ATTRIBUTES.length}, got ${count}`);
  }
  return VUTLAN_REPLY_ATTRIBUTES.slice(0, count);
}

/** One users-file entry (FreeRADIUS format), ending with a blank line. */
export function authorizeEntry(i: number, scheme: UserScheme, reply: readonly (readonly [string, string])[]): string {
  let text = `${scheme.name(i)}\tCleartext-Password := "${scheme.password(i)}"\n`;
  for (let k = 0; k < reply.length; k++) {
    const [name, value] = reply[k]!;
    text += `\t${name} = "${value}"${k < reply.length - 1 ? ',' : ''}\n`;
  }
  return text + '\n';
}

/**
 * Writes a FreeRADIUS-format authorize file with `users` entries, streaming in chunks so a
 * million-entry file never sits in memory as one string. Returns the bytes written.
 */
export function writeAuthorizeFile(path: string, opts: BenchUsersOptions): number {
  const scheme = userScheme(opts.scheme, opts.prefix);
  const reply = benchReplyAttributes(opts.replyAttributes);
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    const header = `# vutlan-radius bench: ${opts.users} generated users, ${reply.length} Vutlan attributes per Accept\n\n`;
    bytes += writeSync(fd, header);
    let chunk = '';
    for (let i = scheme.first; i < scheme.first + opts.users; i++) {
      chunk += authorizeEntry(i, scheme, reply);
      if (chunk.length > 1 << 20) {
        bytes += writeSync(fd, chunk);
        chunk = '';
      }
    }
    if (chunk) bytes += writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
  return bytes;
}
