import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { parseDocument, isSeq, YAMLSeq } from 'yaml';
import { loadConfig, type MessageAuthenticatorPolicy } from '../server/config.js';
import { ConfigError, formatProblem } from '../server/config-error.js';
import { parsePrefix, formatPrefix } from '../server/ip-prefix.js';
import type { Snapshot } from '../server/snapshot.js';
import type { FieldError } from './user-form.js';
import { FormError } from './user-form.js';

/**
 * Adds a RADIUS client (device) to the `clients:` list of the config file, with a generated
 * secret (32 characters from 24 random bytes), keeping the file's comments and layout (yaml
 * Document edit). The new text is validated as a whole before it replaces the file (write to a
 * temporary file, rename), so the file on disk is never invalid.
 */

export interface NewClient {
  name: string;
  address: string;
  requireMessageAuthenticator: MessageAuthenticatorPolicy;
}

/** A strong shared secret: 24 random bytes as 32 URL-safe characters. */
export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function parseNewClient(body: unknown, snapshot: Snapshot): NewClient {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const name = typeof b.name === 'string' ? b.name.trim() : '';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) errors.push({ field: 'name', message: 'name: 1..64 letters, digits, ".", "_" or "-"' });
  else if (snapshot.clients.clients().some((c) => c.name === name)) errors.push({ field: 'name', message: `a client named "${name}" exists already` });
  const address = typeof b.address === 'string' ? b.address.trim() : '';
  try {
    const prefix = parsePrefix(address);
    const cidr = formatPrefix(prefix);
    const same = snapshot.clients.clients().find((c) => c.cidr === cidr);
    if (same) errors.push({ field: 'address', message: `${cidr} is already client ${same.name} (${same.origin.file}:${same.origin.line})` });
  } catch (err) {
    errors.push({ field: 'address', message: `Failed parsing configuration item "ipaddr" - ${(err as Error).message}` });
  }
  const rma = b.require_message_authenticator ?? 'yes';
  if (rma !== 'yes' && rma !== 'no' && rma !== 'auto') errors.push({ field: 'require_message_authenticator', message: 'must be yes, no or auto' });
  if (errors.length > 0) throw new FormError(errors);
  return { name, address, requireMessageAuthenticator: rma as MessageAuthenticatorPolicy };
}

/** Appends the client to the config file; returns the previous text (to restore if the reload fails). */
export function appendClientToConfig(configFile: string, client: NewClient, secret: string): string {
  const before = readFileSync(configFile, 'utf8');
  const doc = parseDocument(before);
  const entry = doc.createNode({
    name: client.name, address: client.address, secret, require_message_authenticator: client.requireMessageAuthenticator,
  });
  const list = doc.get('clients', true);
  if (isSeq(list)) (list as YAMLSeq).add(entry);
  else doc.set('clients', doc.createNode([entry.toJSON()]));
  const after = doc.toString();
  try {
    loadConfig(configFile, { readText: (p) => (p === configFile ? after : readFileSync(p, 'utf8')) });
  } catch (err) {
    const msg = err instanceof ConfigError ? err.problems.map(formatProblem).join('\n') : (err as Error).message;
    throw new FormError([{ field: 'address', message: msg }]);
  }
  try {
    writeAtomically(configFile, after);
  } catch (err) {
    throw new FormError([{ field: 'name', message: `cannot write ${configFile}: ${(err as Error).message} (add the client there by hand)` }]);
  }
  return before;
}

export function writeAtomically(path: string, text: string): void {
  const mode = statSync(path).mode & 0o777;
  const tmp = `${path}.admin-${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}
