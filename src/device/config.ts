/**
 * The emulator's YAML configuration, validated with zod. Relative paths are relative to the
 * config file. The `radius` block holds the factory RADIUS settings: once `setradius` has been
 * applied, the settings persisted in the database win (they survive a restart).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { nodeLine, parseYamlWithLines, schemaProblems, zodKeysAt, type LocatedProblem, type YamlWithLines } from '../config/yaml-problems.js';

/** Schema of the emulator config file. */
export const DeviceConfigSchema = z.strictObject({
  http: z.strictObject({
    address: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8080),
  }),
  database: z.string({ error: 'required: the SQLite file of the local users, e.g. database: ./device.sqlite' }).min(1),
  nas_ip: z.string({ error: 'required: the NAS-IP-Address the device sends, e.g. nas_ip: 192.168.1.88' })
    .refine((s) => net.isIPv4(s), 'must be an IPv4 address'),
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

/** Thrown when the config file is unreadable or invalid; the message is one `file:line: ...` line per problem. */
export class DeviceConfigError extends Error {
  constructor(readonly file: string, readonly problems: readonly LocatedProblem[]) {
    super(problems.map((p) => (p.line > 0 ? `${p.file}:${p.line}: ${p.message}` : `${p.file}: ${p.message}`)).join('\n'));
    this.name = 'DeviceConfigError';
  }
}

/** A loaded config file with the line each setting was written on (for start-time errors). */
export interface LoadedDeviceConfig {
  config: DeviceConfig;
  file: string;
  /** Line of the setting at `path` (e.g. ['http', 'port']), or of its nearest parent; 0 when unknown. */
  lineOf(path: readonly (string | number)[]): number;
}

/** Validates a parsed config object; `baseDir` resolves relative paths. */
export function parseDeviceConfig(raw: unknown, baseDir: string, file = '<config>', y?: YamlWithLines): DeviceConfig {
  const r = DeviceConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    throw new DeviceConfigError(file, y
      ? schemaProblems(file, y, r.error.issues, (p) => zodKeysAt(DeviceConfigSchema, p)).sort((a, b) => a.line - b.line)
      : r.error.issues.map((i) => ({ file, line: 0, message: `${i.path.join('.') || '(top level)'}: ${i.message}` })));
  }
  const c = r.data;
  if (c.database !== ':memory:') c.database = path.resolve(baseDir, c.database);
  return c;
}

/** Reads and validates the YAML config at `file`, keeping each setting's line. */
export function loadDeviceConfigFile(file: string): LoadedDeviceConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file (give the config with -c FILE; config/device.yaml is an example)' : e.message;
    throw new DeviceConfigError(file, [{ file, line: 0, message: `cannot read the config file: ${why}` }]);
  }
  const y = parseYamlWithLines(file, text);
  if ('problems' in y) throw new DeviceConfigError(file, y.problems);
  const config = parseDeviceConfig(y.doc.toJS(), path.dirname(path.resolve(file)), file, y);
  return { config, file, lineOf: (p) => nodeLine(y.doc, y.lc, p) };
}

/** Reads and validates the YAML config at `file`. */
export function loadDeviceConfig(file: string): DeviceConfig {
  return loadDeviceConfigFile(file).config;
}
