import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { keyHint, keyLine, nodeLine } from '../config/yaml-problems.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { parseAllowList, parseListen } from './metrics-http.js';
import { urlProblem } from '../store/pgsql/pg-source.js';

/**
 * The server configuration file (`radiusd.yaml`): schema, defaults and validation. Everything
 * is checked before anything is used (never half-applied); unknown keys are errors so a typo is
 * not silently ignored; relative paths are resolved against the config file's directory.
 */

/**
 * A listener: which packets it takes (auth: Access-Request, acct: Accounting-Request over UDP;
 * radsec: both over TLS, RFC 6614 / RFC 9765; tcp: both over plain TCP, RFC 6613).
 */
export type ListenerType = 'auth' | 'acct' | 'radsec' | 'tcp';

/** RADIUS/1.1 (RFC 9765) per client: never, when the client offers it (default), or only. */
export type Radius11Policy = 'forbid' | 'allow' | 'require';

/** TLS material of a radsec listener (absolute paths). */
export interface TlsFilesConfig {
  cert: string;
  key: string;
  /** The application CA list: only these issue client certificates (empty: none; never the system store). */
  ca: string[];
  minVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** Connection handling of a stream (radsec / tcp) listener. */
export interface StreamListenConfig {
  tls?: TlsFilesConfig;
  /** Seconds without a packet after which a connection is closed; 0 = never. */
  idleTimeout: number;
  /** Open connections on this listener, all clients together. */
  maxConnections: number;
  /** Open connections of one client. */
  maxConnectionsPerClient: number;
}

/** How a radsec client proves who it is (any one listed way suffices). */
export interface RadsecClientConfig {
  /** Certificate SAN dNSName or iPAddress values (never the CN). */
  san: string[];
  /** SHA-256 fingerprints of the certificate (upper-case hex with colons). */
  fingerprints: string[];
  /** TLS-PSK identity and key. */
  psk?: { identity: string; key: Buffer };
  radius11: Radius11Policy;
}

export type MessageAuthenticatorPolicy = 'yes' | 'no' | 'auto';

export interface ListenConfig {
  type: ListenerType;
  /** IPv4 or IPv6 literal. */
  address: string;
  /** 0 asks the OS for an ephemeral port (tests). */
  port: number;
  /** radsec and tcp listeners only. */
  stream?: StreamListenConfig;
}

/** A RADIUS client (NAS) as written in the config file or clients.conf. */
export interface ClientConfig {
  name: string;
  /** IP or CIDR, IPv4 or IPv6, exactly as written. */
  address: string;
  secret: string;
  requireMessageAuthenticator: MessageAuthenticatorPolicy;
  /** Only for information (FreeRADIUS uses it for checkrad). */
  nasType?: string;
  /** A RADIUS/TLS client: matched on radsec listeners only, never over UDP. */
  radsec?: RadsecClientConfig;
  origin: { file: string; line: number };
}

/** `users.sql`: FreeRADIUS's PostgreSQL schema (rlm_sql), see src/store/pgsql/pg-source.ts. */
export interface SqlUsersConfig {
  url: string;
  readGroups: boolean;
  readProfiles: boolean;
  defaultProfile?: string;
  pollIntervalMs: number;
  maxStaleMs: number;
  changes: 'auto' | 'log' | 'fingerprint';
  installTriggers: boolean;
  timeoutMs: number;
  /** Also take RADIUS clients from the nas table. */
  readClients: boolean;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ServerConfig {
  /** Absolute path of the config file. */
  file: string;
  listen: ListenConfig[];
  /** Absolute path of the FreeRADIUS-format entry dictionary loaded after the bundled one. */
  dictionary: string;
  clients: ClientConfig[];
  /** Absolute path of a FreeRADIUS clients.conf, if any. */
  clientsFile?: string;
  /** `sqliteCache`: most user names whose decoded SQLite entries are kept per process. */
  users: { files: string[]; sqlite?: string; sqliteCache?: number; sql?: SqlUsersConfig };
  log: {
    level: LogLevel;
    /** JSON-lines file with one line per rejected or dropped request. */
    authFail?: string;
    /** JSON-lines file with one line per Accounting-Request. */
    accounting?: string;
    /** fsync the accounting log before each Accounting-Response (default: written to the OS). */
    accountingFsync: boolean;
    /** Human-readable console logs (default: when stdout is a TTY). */
    pretty?: boolean;
  };
  security: {
    /** Seconds an Access-Reject is held back (never blocks other requests). */
    rejectDelay: number;
    maxAttributes: number;
    /** RFC 5080 duplicate cache lifetime after the reply, in seconds. */
    duplicateCacheSeconds: number;
    /** Upper bound of the duplicate cache (entries). */
    duplicateCacheEntries: number;
    statusServer: boolean;
    /** Packets per second from all clients together; 0 = unlimited. */
    maxPps: number;
    /** Packets per second from one client; 0 = unlimited. */
    maxPpsPerClient: number;
    /** Most Access-Rejects held by reject_delay at once (beyond: dropped, the NAS retransmits). */
    maxDelayedRejects: number;
  };
  /** Worker processes; 1 = this process only. */
  workers: number | 'auto';
  /** Accounting into FreeRADIUS's radacct (PostgreSQL), with a local spool for outages. */
  sqlAccounting?: { url: string; spool: string; timeoutMs: number };
  /** Post-auth rows into FreeRADIUS's radpostauth (PostgreSQL), never with the password. */
  sqlPostauth?: { url: string; timeoutMs: number; queue: number };
  /** HTTP endpoint for /metrics and /healthz, when configured. */
  metrics?: { listen: string; allow?: string[] };
  /** The web administration (HTTPS + REST API), when configured; paths absolute. */
  admin?: AdminConfig;
  /**
   * Absolute directory of the learnt state (state-files.ts); default: $STATE_DIRECTORY (systemd
   * StateDirectory=), else the config file's directory.
   */
  stateDir: string;
  /** Line of some keys in the config file, for errors found after loading (0 when absent). */
  lines: {
    authFail: number; accounting: number; metricsListen: number;
    dictionary: number; clientsFile: number; usersFiles: number[];
  };
}

/** The `admin` block: where the web administration listens and keeps its state. */
export interface AdminConfig {
  /** `IP:PORT` or `[IPv6]:PORT`. */
  listen: string;
  /** Addresses allowed to connect (default loopback only). */
  allow?: string[];
  /** PEM certificate and key; made self-signed on first start when missing. */
  cert: string;
  key: string;
  /** SQLite file with admin accounts and the audit table. */
  db: string;
  /** JSON-lines copy of the audit trail. */
  auditLog: string;
}

/** The package's own entry dictionary (`dictionaries/dictionary`, which includes Vutlan's). */
export function defaultDictionaryPath(): string {
  return fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
}

const ipLiteral = z.string().refine((s) => isIP(s) !== 0, {
  message: 'must be an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1 or ::)',
});

const yesNoAuto = z.preprocess(
  (v) => (v === true ? 'yes' : v === false ? 'no' : v),
  z.enum(['yes', 'no', 'auto'], { message: 'must be yes, no or auto' }),
);

const nonEmpty = (what: string) => z.string({ message: `${what} must be a string` }).min(1, `${what} must not be empty`);

const listenSchema = z.strictObject({
  type: z.enum(['auth', 'acct', 'radsec', 'tcp'], { message: 'must be auth, acct (UDP), radsec (TLS) or tcp' }),
  address: ipLiteral,
  port: z.number().int().min(0).max(65535, 'must be 0..65535 (0 = any free port)'),
  tls: z.strictObject({
    cert: nonEmpty('tls.cert'),
    key: nonEmpty('tls.key'),
    ca: z.union([nonEmpty('tls.ca'), z.array(nonEmpty('tls.ca entry'))]).optional(),
    min_version: z.enum(['TLSv1.2', 'TLSv1.3'], { message: 'must be TLSv1.2 or TLSv1.3' }).default('TLSv1.2'),
  }).optional(),
  idle_timeout: z.number().min(0).max(86_400, 'must be 0..86400 seconds (0 = never)').optional(),
  max_connections: z.number().int().min(1).max(1_000_000).optional(),
  max_connections_per_client: z.number().int().min(1).max(1_000_000).optional(),
});

const radsecClientSchema = z.strictObject({
  san: z.union([nonEmpty('radsec.san'), z.array(nonEmpty('radsec.san entry'))]).optional(),
  fingerprint: z.union([nonEmpty('radsec.fingerprint'), z.array(nonEmpty('radsec.fingerprint entry'))]).optional(),
  psk_identity: nonEmpty('radsec.psk_identity').optional(),
  psk: z.string().regex(/^(0x)?([0-9a-fA-F]{2}){16,}$/, 'must be at least 16 octets as hex (openssl rand -hex 32)').optional(),
  radius11: z.enum(['forbid', 'allow', 'require'], { message: 'must be forbid, allow or require' }).default('allow'),
});

const clientSchema = z.strictObject({
  name: nonEmpty('name'),
  address: nonEmpty('address'),
  // optional here: a RadSec client (with `radsec:`) defaults to "radsec"; resolveConfig requires it otherwise
  secret: z.string({ message: 'secret must be a string (quote it if it looks like a number)' })
    .min(1, 'secret must be at least 1 character long').optional(),
  require_message_authenticator: yesNoAuto.optional(),
  nas_type: z.string().optional(),
  radsec: radsecClientSchema.optional(),
});

const schema = z.strictObject({
  listen: z.array(listenSchema).min(1, 'at least one listener is needed').default([
    { type: 'auth', address: '0.0.0.0', port: 1812 },
    { type: 'acct', address: '0.0.0.0', port: 1813 },
  ]),
  dictionary: nonEmpty('dictionary').optional(),
  clients: z.array(clientSchema).default([]),
  clients_file: nonEmpty('clients_file').optional(),
  users: z.strictObject({
    files: z.array(nonEmpty('users file')).default([]),
    sqlite: nonEmpty('sqlite').optional(),
    sqlite_cache: z.number({ message: 'must be a whole number of users (about 1 KB of memory each, per worker)' })
      .int().min(1).max(100_000_000).optional(),
    sql: z.strictObject({
      url: nonEmpty('users.sql.url'),
      read_groups: z.boolean().default(true),
      read_profiles: z.boolean().default(true),
      default_profile: nonEmpty('users.sql.default_profile').optional(),
      poll_interval: z.number().min(0.05).max(60, 'must be 0.05..60 seconds').default(0.25),
      max_stale: z.number().min(0).max(86_400, 'must be 0..86400 seconds').default(60),
      changes: z.enum(['auto', 'log', 'fingerprint'], { message: 'must be auto, log or fingerprint' }).default('auto'),
      install_triggers: z.boolean().default(false),
      read_clients: z.boolean().default(false),
      timeout: z.number().min(0.1).max(60).default(3),
    }).optional(),
  }).default({ files: [] }),
  log: z.strictObject({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      message: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }).default('info'),
    auth_fail: nonEmpty('auth_fail').optional(),
    accounting: nonEmpty('accounting').optional(),
    accounting_fsync: z.boolean({ message: 'must be true or false' }).default(false),
    pretty: z.boolean().optional(),
  }).default({ level: 'info', accounting_fsync: false }),
  security: z.strictObject({
    reject_delay: z.number().min(0).max(5, 'must be 0..5 seconds (FreeRADIUS allows the same range)').default(1),
    max_attributes: z.number().int().min(1).max(4096).default(200),
    duplicate_cache_seconds: z.number().min(0).max(30, 'must be 0..30 seconds (RFC 5080 suggests 5..30)').default(5),
    duplicate_cache_entries: z.number().int().min(0).max(10_000_000).default(65536),
    status_server: z.boolean().default(true),
    max_pps: z.number().int().min(0).default(0),
    max_pps_per_client: z.number().int().min(0).default(0),
    max_delayed_rejects: z.number().int().min(0).default(65_536),
  }).default({
    reject_delay: 1, max_attributes: 200, duplicate_cache_seconds: 5, duplicate_cache_entries: 65536, status_server: true,
    max_pps: 0, max_pps_per_client: 0, max_delayed_rejects: 65_536,
  }),
  sql_accounting: z.strictObject({
    url: nonEmpty('sql_accounting.url').optional(),
    spool: nonEmpty('sql_accounting.spool').default('./acct-spool'),
    timeout: z.number().min(0.1).max(60).default(3),
  }).optional(),
  sql_postauth: z.strictObject({
    url: nonEmpty('sql_postauth.url').optional(),
    timeout: z.number().min(0.1).max(60).default(3),
    queue: z.number({ message: 'must be a whole number of rows (about 200 bytes of memory each)' }).int().min(1).max(1_000_000).default(10_000),
  }).optional(),
  metrics: z.strictObject({
    listen: nonEmpty('metrics.listen'),
    allow: z.array(nonEmpty('metrics.allow entry')).optional(),
  }).optional(),
  admin: z.strictObject({
    listen: nonEmpty('admin.listen'),
    allow: z.array(nonEmpty('admin.allow entry')).optional(),
    cert: nonEmpty('admin.cert').optional(),
    key: nonEmpty('admin.key').optional(),
    db: nonEmpty('admin.db').optional(),
    audit_log: nonEmpty('admin.audit_log').optional(),
  }).optional(),
  workers: z.union([z.number().int().min(1).max(1024), z.literal('auto')], {
    message: 'must be a number of processes (1 = single process) or auto',
  }).default('auto'),
  state_dir: nonEmpty('state_dir').optional(),
});

type RawConfig = z.infer<typeof schema>;

/** Options for tests and `check`: where file text comes from. */
export interface LoadConfigOptions {
  readText?: (path: string) => string;
}

/**
 * Reads, validates and resolves a config file. Throws `ConfigError` with every problem as
 * `file:line: message` (YAML syntax, wrong types, unknown keys, bad values) and how to fix it.
 */
export function loadConfig(configPath: string, opts: LoadConfigOptions = {}): ServerConfig {
  const file = resolve(configPath);
  const readText = opts.readText ?? ((p: string) => readFileSync(p, 'utf8'));
  let text: string;
  try {
    text = readText(file);
  } catch (err) {
    throw new ConfigError([{ file, line: 0, message: `cannot read the config file: ${(err as Error).message}` }]);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({
      file,
      line: lineCounter.linePos(e.pos[0]).line,
      message: `YAML syntax: ${e.message.split('\n')[0]}`,
    })));
  }
  const value = doc.toJS() ?? {};
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const problems: ConfigProblem[] = [];
    for (const issue of parsed.error.issues) {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          problems.push({
            file,
            line: keyLine(doc, lineCounter, path, key),
            message: `unknown key "${[...path, key].join('.')}"${suggestion(key)}`,
          });
        }
        continue;
      }
      const where = path.length > 0 ? path.join('.') : '(top level)';
      problems.push({ file, line: nodeLine(doc, lineCounter, path), message: `${where}: ${issue.message}` });
    }
    throw new ConfigError(problems);
  }
  return resolveConfig(file, parsed.data, doc, lineCounter);
}

const KNOWN_KEYS = [
  'listen', 'dictionary', 'clients', 'clients_file', 'users', 'files', 'sqlite', 'sqlite_cache', 'log', 'level', 'auth_fail',
  'accounting', 'accounting_fsync', 'pretty', 'security', 'reject_delay', 'max_attributes', 'duplicate_cache_seconds',
  'duplicate_cache_entries', 'status_server', 'max_pps', 'max_pps_per_client', 'max_delayed_rejects', 'workers', 'type', 'address', 'port', 'name', 'secret',
  'require_message_authenticator', 'nas_type', 'metrics', 'allow', 'state_dir', 'admin', 'cert', 'key', 'db', 'audit_log',
  'sql_accounting', 'sql_postauth', 'queue', 'spool', 'sql', 'url', 'read_groups', 'read_profiles', 'default_profile', 'poll_interval', 'max_stale', 'changes', 'install_triggers', 'timeout', 'read_clients',
  'tls', 'ca', 'min_version', 'idle_timeout', 'max_connections', 'max_connections_per_client', 'radsec', 'san', 'fingerprint', 'psk_identity', 'psk',
  'radius11',
];

function suggestion(key: string): string {
  return keyHint(key, KNOWN_KEYS);
}

function sqlConfig(raw: NonNullable<RawConfig['users']['sql']>): SqlUsersConfig {
  return {
    url: raw.url,
    readGroups: raw.read_groups,
    readProfiles: raw.read_profiles,
    ...(raw.default_profile !== undefined ? { defaultProfile: raw.default_profile } : {}),
    pollIntervalMs: Math.round(raw.poll_interval * 1000),
    maxStaleMs: Math.round(raw.max_stale * 1000),
    changes: raw.changes,
    installTriggers: raw.install_triggers,
    timeoutMs: Math.round(raw.timeout * 1000),
    readClients: raw.read_clients,
  };
}

function resolveConfig(file: string, raw: RawConfig, doc: Document, lc: LineCounter): ServerConfig {
  const dir = dirname(file);
  const at = (p: string) => resolve(dir, p);
  const problems: ConfigProblem[] = [];

  const seen = new Map<string, number>();
  raw.listen.forEach((l, i) => {
    // UDP and TCP ports are separate: auth on UDP 1812 and tcp on TCP 1812 can coexist
    const key = `${l.type === 'auth' || l.type === 'acct' ? 'udp' : 'tcp'}|${l.address}|${l.port}`;
    if (l.port !== 0 && seen.has(key)) {
      problems.push({
        file,
        line: nodeLine(doc, lc, ['listen', i]),
        message: `listen: ${l.address} port ${l.port} is listed twice; each address/port can have one type`,
      });
    }
    seen.set(key, i);
  });
  const listen = raw.listen.map((l, i) => resolveListen(l, at, (message, key) => {
    problems.push({ file, line: nodeLine(doc, lc, key ? ['listen', i, key] : ['listen', i]), message });
  }));

  const clients: ClientConfig[] = [];
  raw.clients.forEach((c, i) => {
    const line = nodeLine(doc, lc, ['clients', i]);
    const radsec = c.radsec ? resolveRadsecClient(c.name, c.radsec, (message) => problems.push({ file, line, message })) : undefined;
    if (c.secret === undefined && !radsec) {
      // (a RadSec client, with a "radsec:" block, needs none: it uses "radsec")
      problems.push({ file, line, message: `clients.${i}.secret: missing: add "secret: <the shared secret set on this NAS>" to this client` });
      return;
    }
    clients.push({
      name: c.name,
      address: c.address,
      secret: c.secret ?? RADSEC_SECRET,
      // TLS authenticates every packet, so a RadSec client is not asked for Message-Authenticator
      requireMessageAuthenticator: c.require_message_authenticator ?? (radsec ? 'no' : 'auto'),
      ...(c.nas_type !== undefined ? { nasType: c.nas_type } : {}),
      ...(radsec ? { radsec } : {}),
      origin: { file, line },
    });
  });

  if (raw.metrics) {
    try {
      parseListen(raw.metrics.listen);
    } catch (err) {
      problems.push({ file, line: nodeLine(doc, lc, ['metrics', 'listen']), message: (err as Error).message });
    }
    try {
      parseAllowList(raw.metrics.allow ?? []);
    } catch (err) {
      problems.push({ file, line: nodeLine(doc, lc, ['metrics', 'allow']), message: (err as Error).message });
    }
  }

  if (raw.users.sql) {
    const problem = urlProblem(raw.users.sql.url);
    if (problem) problems.push({ file, line: nodeLine(doc, lc, ['users', 'sql', 'url']), message: `users.sql.url: ${problem}` });
  }
  const acctUrl = raw.sql_accounting ? raw.sql_accounting.url ?? raw.users.sql?.url : undefined;
  if (raw.sql_accounting) {
    if (acctUrl === undefined) {
      problems.push({ file, line: nodeLine(doc, lc, ['sql_accounting']), message: 'sql_accounting: no url, and no users.sql.url to share; add sql_accounting.url: postgresql://user:password@host:port/database' });
    } else {
      const problem = urlProblem(acctUrl);
      if (problem) problems.push({ file, line: nodeLine(doc, lc, ['sql_accounting', 'url']), message: `sql_accounting.url: ${problem}` });
    }
  }

  const postauthUrl = raw.sql_postauth ? raw.sql_postauth.url ?? raw.users.sql?.url : undefined;
  if (raw.sql_postauth) {
    if (postauthUrl === undefined) {
      problems.push({ file, line: nodeLine(doc, lc, ['sql_postauth']), message: 'sql_postauth: no url, and no users.sql.url to share; add sql_postauth.url: postgresql://user:password@host:port/database' });
    } else {
      const problem = urlProblem(postauthUrl);
      if (problem) problems.push({ file, line: nodeLine(doc, lc, ['sql_postauth', 'url']), message: `sql_postauth.url: ${problem}` });
    }
  }

  if (raw.admin) {
    try {
      parseListen(raw.admin.listen, 'admin.listen');
    } catch (err) {
      problems.push({ file, line: nodeLine(doc, lc, ['admin', 'listen']), message: (err as Error).message });
    }
    try {
      parseAllowList(raw.admin.allow ?? [], 'admin.allow');
    } catch (err) {
      problems.push({ file, line: nodeLine(doc, lc, ['admin', 'allow']), message: (err as Error).message });
    }
    if ((raw.admin.cert === undefined) !== (raw.admin.key === undefined)) {
      problems.push({ file, line: nodeLine(doc, lc, ['admin']), message: 'admin: give both cert and key, or neither (a self-signed pair is then made on first start)' });
    }
  }

  if (raw.clients.length === 0 && raw.clients_file === undefined && !raw.users.sql?.read_clients) {
    problems.push({
      file,
      line: 0,
      message: 'no RADIUS clients: add a "clients:" list (name, address, secret) or "clients_file: ./clients.conf"',
    });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    file,
    listen,
    dictionary: raw.dictionary !== undefined ? at(raw.dictionary) : defaultDictionaryPath(),
    clients,
    ...(raw.clients_file !== undefined ? { clientsFile: at(raw.clients_file) } : {}),
    users: {
      files: raw.users.files.map(at),
      ...(raw.users.sqlite !== undefined ? { sqlite: at(raw.users.sqlite) } : {}),
      ...(raw.users.sqlite_cache !== undefined ? { sqliteCache: raw.users.sqlite_cache } : {}),
      ...(raw.users.sql ? { sql: sqlConfig(raw.users.sql) } : {}),
    },
    log: {
      level: raw.log.level,
      ...(raw.log.auth_fail !== undefined ? { authFail: at(raw.log.auth_fail) } : {}),
      ...(raw.log.accounting !== undefined ? { accounting: at(raw.log.accounting) } : {}),
      accountingFsync: raw.log.accounting_fsync,
      ...(raw.log.pretty !== undefined ? { pretty: raw.log.pretty } : {}),
    },
    security: {
      rejectDelay: raw.security.reject_delay,
      maxAttributes: raw.security.max_attributes,
      duplicateCacheSeconds: raw.security.duplicate_cache_seconds,
      duplicateCacheEntries: raw.security.duplicate_cache_entries,
      statusServer: raw.security.status_server,
      maxPps: raw.security.max_pps,
      maxPpsPerClient: raw.security.max_pps_per_client,
      maxDelayedRejects: raw.security.max_delayed_rejects,
    },
    workers: raw.workers,
    // systemd's StateDirectory= sets STATE_DIRECTORY (the config directory is read-only there)
    stateDir: raw.state_dir !== undefined ? at(raw.state_dir) : process.env.STATE_DIRECTORY?.split(':')[0] || dir,
    ...(raw.sql_accounting && acctUrl ? { sqlAccounting: { url: acctUrl, spool: at(raw.sql_accounting.spool), timeoutMs: Math.round(raw.sql_accounting.timeout * 1000) } } : {}),
    ...(raw.sql_postauth && postauthUrl ? { sqlPostauth: { url: postauthUrl, timeoutMs: Math.round(raw.sql_postauth.timeout * 1000), queue: raw.sql_postauth.queue } } : {}),
    ...(raw.metrics ? { metrics: { listen: raw.metrics.listen, ...(raw.metrics.allow ? { allow: raw.metrics.allow } : {}) } } : {}),
    ...(raw.admin ? {
      admin: {
        listen: raw.admin.listen,
        ...(raw.admin.allow ? { allow: raw.admin.allow } : {}),
        cert: at(raw.admin.cert ?? 'admin-cert.pem'),
        key: at(raw.admin.key ?? 'admin-key.pem'),
        db: at(raw.admin.db ?? 'admin.sqlite'),
        auditLog: at(raw.admin.audit_log ?? 'admin-audit.log'),
      },
    } : {}),
    lines: {
      authFail: raw.log.auth_fail !== undefined ? nodeLine(doc, lc, ['log', 'auth_fail']) : 0,
      accounting: raw.log.accounting !== undefined ? nodeLine(doc, lc, ['log', 'accounting']) : 0,
      metricsListen: raw.metrics ? nodeLine(doc, lc, ['metrics', 'listen']) : 0,
      dictionary: raw.dictionary !== undefined ? nodeLine(doc, lc, ['dictionary']) : 0,
      clientsFile: raw.clients_file !== undefined ? nodeLine(doc, lc, ['clients_file']) : 0,
      usersFiles: raw.users.files.map((_, i) => nodeLine(doc, lc, ['users', 'files', i])),
    },
  };
}

/** The shared secret of RADIUS/TLS (RFC 6614 section 2.3). */
export const RADSEC_SECRET = 'radsec';

const STREAM_DEFAULTS = { idleTimeout: 300, maxConnections: 1024, maxConnectionsPerClient: 32 };

function resolveListen(l: RawConfig['listen'][number], at: (p: string) => string, problem: (message: string, key?: string) => void): ListenConfig {
  const base = { type: l.type, address: l.address, port: l.port };
  const streamKeys = ['idle_timeout', 'max_connections', 'max_connections_per_client'] as const;
  if (l.type === 'auth' || l.type === 'acct') {
    if (l.tls) problem(`listen: "tls" is for type radsec; an ${l.type} listener is UDP`, 'tls');
    for (const k of streamKeys) if (l[k] !== undefined) problem(`listen: "${k}" is for type radsec or tcp; an ${l.type} listener is UDP`, k);
    return base;
  }
  if (l.type === 'radsec' && !l.tls) problem('listen: a radsec listener needs "tls: { cert, key, ca }" (server certificate, its key, the CA of the client certificates)');
  if (l.type === 'tcp' && l.tls) problem('listen: "tls" on a tcp listener: use type radsec for RADIUS over TLS (never mix secure and insecure traffic on one port)', 'tls');
  const ca = l.tls?.ca === undefined ? [] : Array.isArray(l.tls.ca) ? l.tls.ca : [l.tls.ca];
  return {
    ...base,
    stream: {
      ...(l.type === 'radsec' && l.tls ? { tls: { cert: at(l.tls.cert), key: at(l.tls.key), ca: ca.map(at), minVersion: l.tls.min_version } } : {}),
      idleTimeout: l.idle_timeout ?? STREAM_DEFAULTS.idleTimeout,
      maxConnections: l.max_connections ?? STREAM_DEFAULTS.maxConnections,
      maxConnectionsPerClient: l.max_connections_per_client ?? STREAM_DEFAULTS.maxConnectionsPerClient,
    },
  };
}

function resolveRadsecClient(name: string, r: NonNullable<RawConfig['clients'][number]['radsec']>, problem: (message: string) => void): RadsecClientConfig {
  const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const fingerprints: string[] = [];
  for (const f of list(r.fingerprint)) {
    const hex = f.replace(/^sha256:/i, '').replace(/:/g, '');
    if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
      problem(`client ${name}: radsec.fingerprint "${f}" is not a SHA-256 fingerprint (64 hex digits; openssl x509 -noout -fingerprint -sha256 -in client.pem)`);
      continue;
    }
    fingerprints.push(hex.toUpperCase().match(/../g)!.join(':'));
  }
  if ((r.psk === undefined) !== (r.psk_identity === undefined)) problem(`client ${name}: radsec.psk and radsec.psk_identity go together`);
  const out: RadsecClientConfig = { san: list(r.san), fingerprints, radius11: r.radius11 };
  if (r.psk !== undefined && r.psk_identity !== undefined) out.psk = { identity: r.psk_identity, key: Buffer.from(r.psk.replace(/^0x/, ''), 'hex') };
  if (out.san.length === 0 && list(r.fingerprint).length === 0 && r.psk === undefined && r.psk_identity === undefined) {
    problem(`client ${name}: radsec needs at least one of san (certificate subjectAltName), fingerprint or psk_identity + psk; the certificate CN is never used`);
  }
  return out;
}
