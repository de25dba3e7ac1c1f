/**
 * The emulator's YAML configuration, validated with zod. Relative paths are relative to the
 * config file. The `radius` block holds the factory RADIUS settings: once `setradius` has been
 * applied, the settings persisted in the database win (they survive a restart).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const ipv4 = z.string().refine((s) => net.isIPv4(s), 'must be an IPv4 address');

/** Schema of the emulator config file. */
export const DeviceConfigSchema = z.strictObject({
  http: z.strictObject({
    address: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
  }),
  database: z.string().min(1),
  nas_ip: ipv4,
  radius: z.strictObject({
    enable: z.boolean().default(false),
    addr: z.string().default(''),
    port: z.number().int().min(1).max(65535).default(1812),
    secret: z.string().default(''),
    timeout_ms: z.number().int().min(1).max(60_000).default(3000),
    retries: z.number().int().min(0).max(10).default(2),
    message_authenticator: z.boolean().default(true),
    require_message_authenticator: z.boolean().default(true),
    bind_address: z.string().optional(),
  }).refine((r) => !r.enable || (r.addr !== '' && r.secret !== ''), 'radius.enable needs addr and secret')
    .default({ enable: false, addr: '', port: 1812, secret: '', timeout_ms: 3000, retries: 2, message_authenticator: true, require_message_authenticator: true }),
  session_idle_seconds: z.number().int().min(1).default(900),
  /** Model of older firmware: a new login ends the user's earlier sessions. */
  replace_sessions_on_login: z.boolean().default(false),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
    .default({ level: 'info' }),
});

/** A validated emulator configuration (database path already absolute). */
export type DeviceConfig = z.infer<typeof DeviceConfigSchema>;

/** Thrown when the config file is unreadable or invalid; the message lists every problem. */
export class DeviceConfigError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'DeviceConfigError';
  }
}

/** Validates a parsed config object; `baseDir` resolves relative paths. */
export function parseDeviceConfig(raw: unknown, baseDir: string, file = '<config>'): DeviceConfig {
  const r = DeviceConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    throw new DeviceConfigError(file, r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '));
  }
  const c = r.data;
  if (c.database !== ':memory:') c.database = path.resolve(baseDir, c.database);
  return c;
}

/** Reads and validates the YAML config at `file`. */
export function loadDeviceConfig(file: string): DeviceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new DeviceConfigError(file, (err as Error).message);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new DeviceConfigError(file, (err as Error).message);
  }
  return parseDeviceConfig(raw, path.dirname(path.resolve(file)), file);
}
