import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the server learns at run time and keeps across restarts and worker processes, in
 * `state_dir` (default: the config file's directory), each file mode 0600:
 * - `vutlan-radius-learnt.json`: the `auto` clients that sent a valid Message-Authenticator
 *   (from then on they must), by address. One writer: the single process, or the primary of
 *   worker processes; replaced atomically (temporary file, fsync, rename).
 * - `vutlan-radius-fingerprint.key`: the key of the auth-fail log's password fingerprints,
 *   created once (exclusively, so workers racing at start agree on one key).
 * Neither holds a secret of a client or a password.
 */

export const LEARNT_FILE = 'vutlan-radius-learnt.json';
export const FINGERPRINT_KEY_FILE = 'vutlan-radius-fingerprint.key';

/** A state file that exists but cannot be used; the message says which file and how to fix it. */
export class StateFileError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'StateFileError';
  }
}

/** The learnt `require_message_authenticator` state of one state directory. */
export class LearntStateFile {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, LEARNT_FILE);
  }

  /** Client addresses (CIDR) that must sign; empty when the file does not exist yet. */
  load(): string[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StateFileError(this.path, `cannot read the learnt Message-Authenticator state: ${(err as Error).message}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new StateFileError(this.path, `not valid JSON (${(err as Error).message}); restore it, or delete it to forget which clients were seen signing (they are then learnt again)`);
    }
    const list = (data as { require_message_authenticator?: unknown } | null)?.require_message_authenticator;
    if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
      throw new StateFileError(this.path, 'expected {"require_message_authenticator": ["<client address>", ...]}; restore it, or delete it to learn again');
    }
    return list as string[];
  }

  /** Replaces the file with `clients` (atomically; throws on I/O errors). */
  save(clients: readonly string[]): void {
    const text = `${JSON.stringify({
      comment: 'written by vutlan-radius: auto clients that sent a valid Message-Authenticator and must from now on',
      require_message_authenticator: [...clients].sort(),
    }, null, 2)}\n`;
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      writeDurably(tmp, text);
      renameSync(tmp, this.path);
    } catch (err) {
      try { unlinkSync(tmp); } catch { /* not created */ }
      throw err;
    }
  }
}

/**
 * The fingerprint key of `stateDir`, created (32 random octets, hex, 0600) when missing. Two
 * processes creating it at once end up with the same key: the file is linked into place only
 * if none exists, and the loser reads the winner's.
 */
export function loadOrCreateFingerprintKey(stateDir: string): Buffer {
  const path = join(stateDir, FINGERPRINT_KEY_FILE);
  const existing = readKey(path);
  if (existing) return existing;
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeDurably(tmp, `${randomBytes(32).toString('hex')}\n`);
    try {
      linkSync(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  } finally {
    try { unlinkSync(tmp); } catch { /* already gone */ }
  }
  const key = readKey(path);
  if (!key) throw new StateFileError(path, 'the fingerprint key was just written but cannot be read back');
  return key;
}

function readKey(path: string): Buffer | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(path, `cannot read the password fingerprint key: ${(err as Error).message}`);
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new StateFileError(path, 'expected 64 hex digits; delete it to make a new key (fingerprints logged before then will not match new ones)');
  }
  return Buffer.from(hex, 'hex');
}

function writeDurably(path: string, text: string): void {
  // a leftover of a crashed write is removed, so the new file is created with mode 0600
  try { unlinkSync(path); } catch { /* none */ }
  const fd = openSync(path, 'wx', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Saves the learnt clients; a failure is logged (the state stays in memory) rather than thrown. */
export function saveLearnt(file: LearntStateFile, clients: readonly string[], logger: { error(o: object, msg: string): void }): void {
  try {
    file.save(clients);
  } catch (err) {
    logger.error({ err: (err as Error).message, file: file.path },
      `cannot save the learnt Message-Authenticator state to ${file.path}: ${(err as Error).message}; it is kept in memory only and lost on restart (make state_dir writable)`);
  }
}

/** Reads the state files of `stateDir` that exist, as a start would; throws StateFileError. */
export function checkStateFiles(stateDir: string): void {
  new LearntStateFile(stateDir).load();
  readKey(join(stateDir, FINGERPRINT_KEY_FILE));
}
