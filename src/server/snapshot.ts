import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Dictionary } from '../protocol/dictionary.js';
import { finish, type Steps } from '../policy/steps.js';
import { hashCostProblems } from '../policy/passwords/hash-cost.js';
import { loadDictionary } from '../protocol/dictionary-loader.js';
import { readTextFile } from '../protocol/read-text.js';
import { UsersFileSource } from '../store/files-source.js';
import { formatWarning, usersWarnings } from '../policy/users-warnings.js';
import type { UsersProblem } from '../policy/users-parser.js';
import { DEFAULT_CACHE_SIZE, SqliteUserSource } from '../store/sqlite/sqlite-source.js';
import type { UserSource } from '../store/source.js';
import type { AuthorizeModule } from '../policy/module.js';
import type { PgUserSource } from '../store/pgsql/pg-source.js';
import type { SqlClientTable } from './sql-clients.js';
import { parseClientsConf } from './clients-conf.js';
import { ClientTable } from './clients.js';
import { loadConfig, type ClientConfig, type ServerConfig } from './config.js';
import { ConfigError, type ConfigProblem } from './config-error.js';
import type { ServingFiles } from './serving-files.js';
import { RadsecClientTable } from './radsec-clients.js';
import { runTimeSliced, type SliceOptions } from './time-slice.js';
import { loadTlsMaterial, type TlsMaterial } from './tls-material.js';
import { vutlanListWarnings } from './vutlan-list-check.js';

/**
 * Everything a request needs, loaded and validated together from one config file: the config,
 * the dictionary, the client table and the user sources. Immutable once built; a reload builds
 * a new snapshot beside the old one and swaps one reference, so a request sees one whole
 * configuration from start to end.
 */
export interface Snapshot {
  config: ServerConfig;
  dictionary: Dictionary;
  clients: ClientTable;
  /** RADIUS/TLS clients (entries with `radsec:`), apart from the UDP table. */
  radsecClients: RadsecClientTable;
  /** TLS material of each listener, by index into `config.listen` (undefined for non-TLS ones). */
  tls: readonly (TlsMaterial | undefined)[];
  /** User sources in the configured order (files first, then SQLite). */
  sources: readonly UserSource[];
  /** Every file read while loading (config, clients.conf, users files and includes, dictionaries). */
  files: readonly string[];
  warnings: readonly ConfigProblem[];
  /** The dictionary's files as they were when loaded (a reload reuses the dictionary if unchanged). */
  dictionaryFiles: readonly FileStamp[];
  /** Each users file's source with the files it read, as they were when read (reused if unchanged). */
  usersFiles: readonly LoadedUsersFile[];
  /** Authorize modules after the user sources (the PostgreSQL source); set by attachSql (sql-attach.ts). */
  modules: readonly AuthorizeModule[];
  /** The PostgreSQL source, once attached (kept by a reload with the same users.sql). */
  sqlSource?: PgUserSource;
  /** Clients of the nas table (users.sql.read_clients), asked after `clients`. */
  sqlClients?: SqlClientTable;
  /** The SQLite store's source, when there is one (kept by a reload that finds the same store). */
  sqliteSource?: SqliteUserSource;
  /** Figures for `check` and the startup log. */
  counts: { clients: number; fileEntries: number; userFiles: number; sqlite: boolean; userFilesKept: number };
}

/** What tells whether a file changed: size, modification and change times, inode. */
export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
  /** Changes on any write, also one that restores the old mtime; `ino` changes on replace-by-rename. */
  ctimeMs: number;
  ino: number;
}

/** A loaded users file: its source and the stamps of the file and its `$INCLUDE`s. */
export interface LoadedUsersFile {
  source: UsersFileSource;
  stamps: readonly FileStamp[];
}

/** Options: where file text comes from (tests); the snapshot being replaced (reload). */
export interface LoadSnapshotOptions {
  readText?: (path: string) => string;
  /**
   * The running snapshot: its dictionary is reused when the entry file and every file it
   * included are unchanged, which keeps a reload short (parsing the bundled dictionaries is
   * most of the load time and blocks the event loop).
   */
  previous?: Snapshot;
  /**
   * Read the files from this copy (texts and stamps the cluster primary read from disk,
   * serving-files.ts) instead of the disk. Unlike `readText`, reuse of unchanged files stays on:
   * the stamps are those of the texts.
   */
  files?: ServingFiles;
  /**
   * Validate only (`check`): the SQLite store is opened read-only, never created or migrated; a
   * missing one is a warning (serve creates it empty).
   */
  inspectOnly?: boolean;
}

/** A missing file (an optional `$INCLUDE-`) stamps as size -1, so creating it counts as a change. */
export function stamp(path: string): FileStamp {
  try {
    const st = statSync(path);
    return { path: resolve(path), size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
  } catch {
    return { path: resolve(path), size: -1, mtimeMs: -1, ctimeMs: -1, ino: -1 };
  }
}

function unchanged(files: readonly FileStamp[]): boolean {
  return files.length > 0 && files.every((f) => {
    const now = stamp(f.path);
    return now.size === f.size && now.mtimeMs === f.mtimeMs && now.ctimeMs === f.ctimeMs && now.ino === f.ino;
  });
}

/**
 * Loads a config file and everything it names. Throws `ConfigError` listing every problem
 * (`file:line: message`); collects as many as it can in one pass so `check` shows them all.
 */
export function loadSnapshot(configPath: string, opts: LoadSnapshotOptions = {}): Snapshot {
  return finish(loadSnapshotSteps(configPath, opts));
}

/**
 * `loadSnapshot` in steps (see policy/steps.ts), for a reload that must not hold requests up:
 * users files are parsed and indexed a few hundred lines at a time.
 */
export function loadSnapshotSliced(configPath: string, opts: LoadSnapshotOptions & SliceOptions = {}): Promise<Snapshot> {
  const { cancelled, now } = opts;
  return runTimeSliced(loadSnapshotSteps(configPath, opts), { ...(cancelled ? { cancelled } : {}), ...(now ? { now } : {}) });
}

function* loadSnapshotSteps(configPath: string, opts: LoadSnapshotOptions): Steps<Snapshot> {
  const baseRead = opts.files ? (p: string) => opts.files!.text(p) : opts.readText ?? readTextFile;
  const stampOf = opts.files ? (p: string) => opts.files!.stamp(p) : stamp;
  const files = new Set<string>();
  const readText = (p: string): string => {
    files.add(resolve(p));
    return baseRead(p);
  };
  const config = loadConfig(configPath, { readText });
  const problems: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];

  let dictionary: Dictionary | undefined;
  let dictionaryFiles: FileStamp[] = [];
  const prev = opts.previous;
  if (prev && !opts.readText && prev.config.dictionary === config.dictionary && unchanged(prev.dictionaryFiles)) {
    dictionary = prev.dictionary;
    dictionaryFiles = [...prev.dictionaryFiles];
    for (const f of dictionaryFiles) files.add(f.path);
  } else if (!reportMissing(opts, config, 'dictionary', config.dictionary, config.lines.dictionary, problems)) {
    const read: string[] = [];
    try {
      dictionary = loadDictionary(config.dictionary, { readText: (p) => { read.push(resolve(p)); return readText(p); } });
      dictionaryFiles = read.map(stampOf);
    } catch (err) {
      problems.push(...problemsOf(err, config.dictionary));
    }
  }

  yield; // between phases: each is a few milliseconds
  const clientDefs: ClientConfig[] = [...config.clients];
  if (config.clientsFile && !reportMissing(opts, config, 'clients_file', config.clientsFile, config.lines.clientsFile, problems)) {
    const r = parseClientsConf(config.clientsFile, {
      readText,
      listDir: (p) => {
        files.add(resolve(p));
        return readdirSync(p);
      },
    });
    problems.push(...r.errors);
    warnings.push(...r.warnings);
    clientDefs.push(...r.clients);
  }
  const built = ClientTable.build(clientDefs.filter((c) => !c.radsec));
  problems.push(...built.errors);
  warnings.push(...built.warnings);
  const radsec = RadsecClientTable.build(clientDefs);
  problems.push(...radsec.errors);
  const tls = config.listen.map((l) => {
    if (!l.stream?.tls) return undefined;
    const r = loadTlsMaterial(l.stream.tls, readText);
    problems.push(...r.problems);
    warnings.push(...r.warnings);
    return r.material;
  });
  if (config.listen.some((l) => l.type === 'radsec') && radsec.table.size === 0) {
    warnings.push({ file: config.file, line: 0, message: 'a radsec listener but no client with a "radsec:" block: every TLS connection will be refused' });
  }
  if (built.table.size === 0 && radsec.table.size === 0 && built.errors.length === 0 && problems.length === 0 && !config.users.sql?.readClients) {
    problems.push({ file: config.clientsFile ?? config.file, line: 0, message: 'no RADIUS clients are defined: nothing could talk to the server' });
  }

  yield;
  const sources: UserSource[] = [];
  const usersFiles: LoadedUsersFile[] = [];
  let fileEntries = 0;
  let userFilesKept = 0;
  // Sources opened here are closed unless the snapshot is returned: on a problem, and when a
  // sliced reload is cancelled at a step (the generator is closed and this finally runs).
  let handedOver = false;
  const kept = new Set<UserSource>();
  let sqliteSource: SqliteUserSource | undefined;
  try {
    if (dictionary) {
      for (const [i, file] of config.users.files.entries()) {
        if (reportMissing(opts, config, 'users.files', file, config.lines.usersFiles[i] ?? 0, problems)) continue;
        // Unchanged since the running snapshot read it (and the same dictionary): kept as is, so a
        // SIGHUP for a clients.conf change does not parse a 100,000-entry users file again.
        const same = prev && !opts.readText && dictionary === prev.dictionary
          ? prev.usersFiles.find((u) => u.source.name === file && unchanged(u.stamps))
          : undefined;
        if (same) {
          for (const f of same.stamps) files.add(f.path);
          usersFiles.push(same);
          sources.push(same.source);
          kept.add(same.source);
          fileEntries += same.source.entries.length;
          userFilesKept++;
          continue;
        }
        const stamps: FileStamp[] = [];
        try {
          // stamped before reading: a change made during the read shows at the next reload
          const source = yield* UsersFileSource.loadSteps(file, dictionary, { readText: (p) => { stamps.push(stampOf(p)); return readText(p); } });
          usersFiles.push({ source, stamps });
          // slow hashes above the bounds are refused here, with the entry's file:line
          problems.push(...hashCostProblems(source.entries));
          warnings.push(...usersWarnings(source.entries).map(formatWarning));
          warnings.push(...vutlanListWarnings(source.entries));
          fileEntries += source.entries.length;
          sources.push(source);
        } catch (err) {
          problems.push(...problemsOf(err, file));
        }
      }
      // not watched: the SQLite source sees commits by itself (PRAGMA data_version)
      if (config.users.sqlite) {
        const path = config.users.sqlite;
        const cacheSize = config.users.sqliteCache ?? DEFAULT_CACHE_SIZE;
        const running = prev?.sqliteSource;
        if (running && !opts.readText && dictionary === prev.dictionary && running.path === path && running.cacheSize === cacheSize && running.stillAtPath()) {
          // The same store: kept open with its cache. It sees every commit by itself, so there is
          // nothing to read again; its rows are not validated again either (`check` does that).
          sqliteSource = running.retain();
          sources.push(sqliteSource);
        } else if (opts.inspectOnly && !existsSync(path)) {
          warnings.push({ file: path, line: 0, message: 'the SQLite store does not exist yet: serve creates it empty' });
        } else {
          try {
            sqliteSource = new SqliteUserSource(path, dictionary, { cacheSize, ...(opts.inspectOnly ? { readonly: true } : {}) });
            sources.push(sqliteSource);
            const rowWarnings: UsersProblem[] = [];
            problems.push(...(yield* sqliteSource.validateSteps(rowWarnings)).map((message) => ({ file: path, line: 0, message })));
            warnings.push(...rowWarnings.map(formatWarning));
          } catch (err) {
            problems.push(...problemsOf(err, config.users.sqlite));
          }
        }
      }
    }
    if (problems.length > 0) throw new ConfigError(problems);
    if (config.users.files.length === 0 && !config.users.sqlite && !config.users.sql) {
      warnings.push({ file: config.file, line: 0, message: 'no user source (users.files / users.sqlite): every Access-Request will be rejected' });
    }
    handedOver = true;
    return {
      config,
      dictionary: dictionary!,
      clients: built.table,
      radsecClients: radsec.table,
      tls,
      sources,
      modules: [],
      files: [...files],
      warnings,
      dictionaryFiles,
      usersFiles,
      ...(sqliteSource ? { sqliteSource } : {}),
      counts: {
        clients: built.table.size,
        fileEntries,
        userFiles: config.users.files.length,
        sqlite: config.users.sqlite !== undefined,
        userFilesKept,
      },
    };
  } finally {
    // (a kept users file still belongs to the running snapshot; a kept SQLite source was retained)
    if (!handedOver) for (const source of sources) if (!kept.has(source)) source.close();
  }
}

/**
 * A file the config names that does not exist is reported once, at the config line that names
 * it (instead of the loader's message, which names the path two or three times and not where it
 * was set). True when reported; other read errors are left to the loader.
 */
function reportMissing(opts: LoadSnapshotOptions, config: ServerConfig, key: string, path: string, line: number, problems: ConfigProblem[]): boolean {
  if (opts.readText) return false; // files given by the caller, not on disk
  try {
    statSync(path);
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  problems.push({
    file: config.file,
    line,
    message: `${key}: ${path} does not exist; fix the path (relative paths are relative to ${dirname(config.file)})`,
  });
  return true;
}

/** Releases what a snapshot holds open (SQLite handles). */
export function closeSnapshot(s: Snapshot): void {
  // (the PostgreSQL source counts its holders: a reload that kept it spares it here)
  s.sqlSource?.close().catch(() => undefined);
  for (const source of s.sources) {
    try {
      source.close();
    } catch {
      // closing twice or a handle already gone: nothing left to release
    }
  }
}

/** Turns a loader error (DictionaryError, UsersFileError, ConfigError, other) into problems. */
function problemsOf(err: unknown, fallbackFile: string): ConfigProblem[] {
  if (err instanceof ConfigError) return [...err.problems];
  const e = err as { problems?: unknown; file?: unknown; line?: unknown; message?: unknown };
  if (Array.isArray(e.problems) && e.problems.length > 0) {
    return (e.problems as { file?: string; line?: number; message?: string; hint?: string }[]).map((p) => ({
      file: p.file ?? fallbackFile,
      line: p.line ?? 0,
      message: `${stripPosition(p.message ?? String(p))}${p.hint ? ` (hint: ${p.hint})` : ''}`,
    }));
  }
  if (typeof e.file === 'string' && typeof e.line === 'number') {
    return [{ file: e.file, line: e.line, message: stripPosition(String(e.message)) }];
  }
  const message = err instanceof Error ? err.message : String(err);
  return [{ file: fallbackFile, line: 0, message }];
}

/** Loader messages already start with `file:line: `; keep only what follows. */
function stripPosition(message: string): string {
  const m = /^\S+?:\d+: ([\s\S]*)$/.exec(message);
  return m ? m[1]! : message;
}
