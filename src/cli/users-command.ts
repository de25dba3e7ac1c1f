import { closeSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Command, type CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Dictionary } from '../protocol/dictionary.js';
import { loadDictionary } from '../protocol/dictionary-loader.js';
import { parseUsersFile } from '../policy/users-parser.js';
import type { ProfileStore } from '../store/profile-store.js';
import { SqlStoreError } from '../store/pgsql/sql-user-store.js';
import { credentialFromPassword, credentialFromSha1Hex, passwordItemFor, type PasswordItem } from '../store/sqlite/password-hash.js';
import {
  LIST_ATTRIBUTES,
  LIST_KEYS,
  nasItem,
  normalizeList,
  ProfileError,
  type EntrySpec,
  type ListKey,
  type ProfileEntryView,
} from '../store/sqlite/profile.js';
import { SqliteStoreError } from '../store/sqlite/schema.js';
import { type StoredEntry, storedEntryFromEntry } from '../store/sqlite/stored-entry.js';
import { exportUsersText } from '../store/sqlite/users-export.js';
import { UserStore, type NasSpec, type UserProfileView } from '../store/sqlite/user-store.js';
import { openProfileStore, type StoreOptions, storeTarget } from './users-store.js';

/**
 * `vutlan-radius users --db FILE | --sql URL | -c CONFIG <sub>`: manage the SQLite user store or
 * FreeRADIUS's SQL schema in PostgreSQL, with the same commands, output and messages.
 *
 * Exit codes: 0 done; 1 failure (database, file, import parse error); 2 invalid argument;
 * 3 no such user / NAS entry; 4 user already exists. Errors go to stderr as `error: ...`.
 */
export const UsersExit = { ok: 0, failure: 1, invalidArgument: 2, notFound: 3, alreadyExists: 4 } as const;

/** The bundled entry dictionary (`dictionaries/dictionary`), beside `src`/`dist`. */
function defaultDictionaryPath(): string {
  return fileURLToPath(new URL('../../dictionaries/dictionary', import.meta.url));
}

interface GlobalOpts extends StoreOptions {
  json?: boolean;
}

/** Options of add/set, gathered in command-line order so each `--nas IP` owns the lists after it. */
class ProfileArgs {
  readonly general: { lists: Partial<Record<ListKey, string>>; unset: ListKey[] } = { lists: {}, unset: [] };
  readonly overrides: Array<{ nas: string; lists: Partial<Record<ListKey, string>>; unset: ListKey[] }> = [];

  private get current() {
    return this.overrides[this.overrides.length - 1] ?? this.general;
  }

  setList(key: ListKey, value: string): void {
    this.current.lists[key] = normalizeList(key, value);
  }

  unset(value: string): void {
    for (const k of value.split(',').map((s) => s.trim().toLowerCase())) {
      if (!(LIST_KEYS as readonly string[]).includes(k)) {
        throw new ProfileError('invalid_argument', `--unset: "${k}" is not one of ${LIST_KEYS.join(', ')}`);
      }
      this.current.unset.push(k as ListKey);
    }
  }

  startNas(ip: string): void {
    nasItem(ip);
    this.overrides.push({ nas: ip, lists: {}, unset: [] });
  }
}

interface PasswordOpts {
  password?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  sha1Hex?: string;
  device?: boolean;
  cleartext?: boolean;
}

/** Longest User-Password RADIUS can carry (RFC 2865 5.2): a longer stored credential never matches. */
const MAX_PAP_PASSWORD = 128;

/** Reads the secret from exactly one source and turns it into the item to store (or none). */
function passwordFromOptions(o: PasswordOpts): PasswordItem | undefined {
  const sources = [o.password !== undefined, o.passwordFile !== undefined, !!o.passwordStdin, o.sha1Hex !== undefined];
  const count = sources.filter(Boolean).length;
  if (count === 0) {
    if (o.device || o.cleartext) throw new ProfileError('invalid_argument', '--device / --cleartext need a password option');
    return undefined;
  }
  if (count > 1) {
    throw new ProfileError('invalid_argument', 'give only one of --password, --password-file, --password-stdin, --sha1-hex');
  }
  let credential: string;
  if (o.sha1Hex !== undefined) {
    // "-": read it from standard input, off the process list like --password-stdin.
    if (o.sha1Hex === '-') o.sha1Hex = readFileSync(0, 'utf8').trim();
    credential = credentialFromSha1Hex(o.sha1Hex);
    if (o.device) throw new ProfileError('invalid_argument', '--sha1-hex is already the device form; drop --device');
  } else {
    let secret = o.password;
    if (secret === undefined) {
      // the first line, as documented: a file may end in a newline or carry a comment below
      secret = readFileSync(o.passwordStdin ? 0 : o.passwordFile!, 'utf8').split(/\r?\n/, 1)[0]!;
    }
    credential = credentialFromPassword(secret, !!o.device);
  }
  if (Buffer.byteLength(credential) > MAX_PAP_PASSWORD) {
    throw new ProfileError(
      'invalid_argument',
      `password is ${Buffer.byteLength(credential)} octets: a RADIUS User-Password carries at most ${MAX_PAP_PASSWORD} (RFC 2865 5.2), so it could never match` +
        (o.device ? '' : ' (a Vutlan login password of any length works with --device: the device sends its SHA-1 hex)'),
    );
  }
  if (o.cleartext) {
    process.stderr.write(
      'warning: storing Cleartext-Password: anyone who reads the database can use this credential (needed only for CHAP)\n',
    );
  }
  return passwordItemFor(credential, !!o.cleartext);
}

/** Wraps an option handler so a ProfileError becomes commander's usage error (exit 2). */
function parser(handle: (v: string) => void): (v: string) => string {
  return (v: string) => {
    try {
      handle(v);
    } catch (err) {
      if (err instanceof ProfileError) throw new InvalidArgumentError(err.message);
      throw err;
    }
    return v;
  };
}

function addProfileOptions(cmd: Command, args: ProfileArgs, withUnset: boolean): Command {
  cmd
    .option('--password <password>', 'password as plain text (visible in the process list: prefer --password-file / --password-stdin)')
    .option('--password-file <file>', 'read the password from the first line of FILE')
    .option('--password-stdin', 'read the password from standard input')
    .option('--sha1-hex <hex>', "the device's SHA-1 hex of the password (what a Vutlan device sends); - reads it from standard input")
    .option('--device', 'the password is a Vutlan login password: store a hash of its SHA-1 hex, as the device sends it')
    .option('--cleartext', 'store Cleartext-Password instead of a salted hash (needed for CHAP; warns)');
  for (const key of LIST_KEYS) {
    cmd.addOption(
      new Option(`--${key} <list>`, `${LIST_ATTRIBUTES[key]} value (after --nas: for that NAS)`).argParser(parser((v) => args.setList(key, v))),
    );
  }
  if (withUnset) {
    cmd.addOption(
      new Option('--unset <lists>', 'remove lists, e.g. rfu1,rfu2 (after --nas: for that NAS)').argParser(parser((v) => args.unset(v))),
    );
  }
  cmd.addOption(
    new Option('--nas <ip>', 'start a per-NAS override: the list options that follow apply when NAS-IP-Address == IP')
      .argParser(parser((v) => args.startNas(v))),
  );
  return cmd;
}

function toSpecs(args: ProfileArgs, password: PasswordItem | undefined, inherit: boolean): { general: EntrySpec; overrides: NasSpec[] } {
  const general: EntrySpec = { lists: { ...args.general.lists }, unset: args.general.unset };
  if (password) general.password = password;
  const overrides = args.overrides.map((o) => {
    const lists = inherit ? { ...args.general.lists, ...o.lists } : { ...o.lists };
    for (const k of o.unset) delete lists[k];
    const spec: NasSpec = { nas: o.nas, lists, unset: o.unset };
    if (password) spec.password = password;
    return spec;
  });
  return { general, overrides };
}

function printProfile(p: UserProfileView): void {
  const out: string[] = [`${p.name}  (${p.valid ? 'enabled' : 'disabled'})`];
  for (const e of p.entries) {
    out.push(`  entry #${e.id}${e.group !== undefined ? `  group ${e.group}` : ''}${e.nas !== undefined ? `  NAS ${e.nas}` : '  any NAS'}${e.valid ? '' : '  DISABLED'}${e.fallThrough ? '  Fall-Through' : ''}`);
    out.push(`    password  ${e.password ? e.password.attribute : '(none)'}`);
    for (const k of LIST_KEYS) if (e.lists[k] !== undefined) out.push(`    ${k.padEnd(8)}  ${e.lists[k]}`);
    for (const c of e.otherCheck) out.push(`    check     ${c}`);
    for (const r of e.otherReply) out.push(`    reply     ${r}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

/** The profile as printed: the password's attribute, never its value. */
function publicEntry(e: ProfileEntryView): object {
  const { password, ...rest } = e;
  return { ...rest, password: password ? password.attribute : null };
}

function publicProfile(p: UserProfileView): object {
  return { ...p, entries: p.entries.map(publicEntry) };
}

/** Runs one subcommand body and maps its errors to exit codes and `error:` lines. */
async function run(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (err) {
    let code: number = UsersExit.failure;
    if (err instanceof ProfileError) {
      code = err.code === 'not_found' ? UsersExit.notFound : err.code === 'already_exists' ? UsersExit.alreadyExists : UsersExit.invalidArgument;
    } else if (err instanceof SqliteStoreError && err.code === 'bad_row') {
      code = UsersExit.invalidArgument;
    }
    const message = err instanceof SqliteStoreError && err.code === 'missing'
      ? `${err.message} ("users add" or "users import" creates it)`
      : err instanceof SqlStoreError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`error: ${message}\n`);
    process.exitCode = code;
  }
}

/**
 * Registers `users` and its subcommands (list, show, add, set, disable, enable, del, import,
 * export) on the main program.
 */
export function registerUsersCommand(program: Command): void {
  const users = program
    .command('users')
    .description('manage the users of the SQLite store or of FreeRADIUS\'s SQL schema in PostgreSQL')
    .option('--db <file>', 'SQLite database file (created on first write)')
    .option('--sql <url>', 'PostgreSQL with FreeRADIUS\'s schema: postgresql://user@host:port/db (password: PGPASSWORD or -c)')
    .option('-c, --config <file>', 'the server\'s configuration: its users.sql.url or users.sqlite')
    .option('--store <kind>', 'with -c and both stores configured: sql or sqlite')
    .option('--dictionary <file>', 'dictionary entry file (default: the config\'s, else bundled FreeRADIUS dictionaries + dictionaries/dictionary)')
    .option('--json', 'machine-readable output');
  users.addHelpText('after', `
Examples:
  vutlan-radius users --db users.sqlite add op1 --password-stdin --device --sread all --gread all
  vutlan-radius users --db users.sqlite add op1 --sha1-hex - --sread view --nas 192.168.1.88 --sread all
  vutlan-radius users --db users.sqlite set op1 --swrite log,view --unset rfu2
  vutlan-radius users --db users.sqlite disable op1
  vutlan-radius users --db users.sqlite import /etc/freeradius/3.0/mods-config/files/authorize
  vutlan-radius users --db users.sqlite export -o authorize
  PGPASSWORD=... vutlan-radius users --sql postgresql://radius@127.0.0.1/radius list
  vutlan-radius users -c config/radiusd.yaml import --replace users.sqlite

Exit codes: 0 done, 1 failure (database, file, import parse error), 2 invalid argument,
3 no such user / NAS entry, 4 user already exists.`);
  users.exitOverride((err: CommanderError) => {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(0);
    process.exit(UsersExit.invalidArgument);
  });

  const g = (): GlobalOpts => users.opts<GlobalOpts>();
  let target: ReturnType<typeof storeTarget> | undefined;
  const store = () => (target ??= storeTarget(g()));
  let dictionary: Dictionary | undefined;
  const dict = (): Dictionary => (dictionary ??= loadDictionary(g().dictionary ?? store().dictionary ?? defaultDictionaryPath()));
  // Reading never writes (a read-only store, another user's store); changing an existing user
  // never creates a store; add and import do.
  const open = { read: { readonly: true }, existing: { create: false }, write: {} } as const;
  /** Opens the store as `mode` says, runs the subcommand's `body` on it, and closes it. */
  const withStore = async <T>(mode: keyof typeof open, body: (store: ProfileStore) => Promise<T>): Promise<T> => {
    const s = await openProfileStore(store(), open[mode], dict);
    try {
      return await body(s);
    } finally {
      await s.close();
    }
  };
  const out = (json: unknown, text: string): void => {
    process.stdout.write(g().json ? JSON.stringify(json) + '\n' : text ? text + '\n' : '');
  };

  users
    .command('list')
    .description('list user profiles')
    .action(() =>
      run(() =>
        withStore('read', async (s) => {
          const profiles = await s.list();
          if (g().json) return out(profiles.map(publicProfile), '');
          const lines = profiles.map((p) => {
            const nas = p.entries.filter((e) => e.nas !== undefined).map((e) => e.nas);
            const pw = [...new Set(p.entries.map((e) => e.password?.attribute ?? '-'))].join(',');
            return `${p.name}\t${p.valid ? 'enabled' : 'disabled'}\t${pw}\t${nas.length ? `nas=${nas.join(',')}` : ''}`.trimEnd();
          });
          out(null, lines.join('\n'));
        }),
      ),
    );

  users
    .command('show')
    .argument('<name>')
    .description("show one user's entries: password kind, lists, NAS overrides, Valid flag")
    .action((name: string) =>
      run(() =>
        withStore('read', async (s) => {
          const p = await s.show(name);
          if (g().json) out(publicProfile(p), '');
          else printProfile(p);
        }),
      ),
    );

  const addArgs = new ProfileArgs();
  addProfileOptions(
    users.command('add').argument('<name>').description('create a user profile (salted password hash by default)'),
    addArgs,
    false,
  ).action((name: string, o: PasswordOpts) =>
    run(async () => {
      const password = passwordFromOptions(o);
      if (!password) throw new ProfileError('invalid_argument', 'add needs a password (--password-file, --password-stdin, --password or --sha1-hex)');
      const { general, overrides } = toSpecs(addArgs, password, true);
      await withStore('write', async (s) => {
        const warnings = await s.add(name, general, overrides);
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        out({ ok: true, name, entries: overrides.length + 1 }, `added ${name} (${overrides.length + 1} entr${overrides.length ? 'ies' : 'y'})`);
      });
    }),
  );

  const setArgs = new ProfileArgs();
  addProfileOptions(
    users.command('set').argument('<name>').description("change a user's password, lists or NAS overrides"),
    setArgs,
    true,
  ).action((name: string, o: PasswordOpts) =>
    run(async () => {
      const password = passwordFromOptions(o);
      const { general, overrides } = toSpecs(setArgs, password, false);
      await withStore('existing', async (s) => {
        await s.set(name, general, overrides);
        out({ ok: true, name }, `updated ${name}`);
      });
    }),
  );

  for (const [sub, valid] of [['disable', false], ['enable', true]] as const) {
    users
      .command(sub)
      .argument('<name>')
      .option('--nas <ip>', 'only the override for this NAS')
      .description(valid ? 'set Valid = 1 again' : 'set Valid = 0: the entries stay but no longer match (SQL: Auth-Type := Reject)')
      .action((name: string, o: { nas?: string }) =>
        run(() =>
          withStore('existing', async (s) => {
            const n = await s.setValid(name, valid, o.nas);
            out({ ok: true, name, entries: n }, `${sub}d ${name} (${n} entr${n === 1 ? 'y' : 'ies'})`);
          }),
        ),
      );
  }

  users
    .command('del')
    .argument('<name>')
    .option('--nas <ip>', 'only the override for this NAS')
    .description("delete a user's entries")
    .action((name: string, o: { nas?: string }) =>
      run(() =>
        withStore('existing', async (s) => {
          const n = await s.delete(name, o.nas);
          out({ ok: true, name, entries: n }, `deleted ${name} (${n} entr${n === 1 ? 'y' : 'ies'})`);
        }),
      ),
    );

  users
    .command('import')
    .argument('<file>', 'FreeRADIUS users (authorize) file ($INCLUDE is followed), or an SQLite store of ours')
    .option('--replace', 'delete every existing entry first (same transaction)')
    .option('--append', 'append even when users of the file are in the store already (the first matching entry answers)')
    .option('--skip-default', 'leave DEFAULT entries out (the SQL schema has no place for them; keep them in an authorize file)')
    .description('append the entries of a users file or SQLite store, in order; refused when its users are in the store already')
    .action((file: string, o: { replace?: boolean; append?: boolean; skipDefault?: boolean }) =>
      run(async () => {
        if (o.replace && o.append) throw new ProfileError('invalid_argument', 'give --replace or --append, not both');
        let entries = readImportSource(file, dict());
        const defaults = entries.filter((e) => e.name === 'DEFAULT').length;
        if (o.skipDefault) entries = entries.filter((e) => e.name !== 'DEFAULT');
        await withStore('write', async (s) => {
          const n = await s.importEntries(entries, !!o.replace, { append: !!o.append });
          if (o.skipDefault && defaults > 0 && !g().json) process.stderr.write(`note: ${defaults} DEFAULT entr${defaults === 1 ? 'y' : 'ies'} left out\n`);
          out({ ok: true, entries: n }, `imported ${n} entr${n === 1 ? 'y' : 'ies'} from ${file}`);
        });
      }),
    );

  users
    .command('export')
    .option('-o, --output <file>', 'write to FILE instead of standard output')
    .description('write the entries as a FreeRADIUS users file that answers as the store does (with --json: every entry as JSON)')
    .action((o: { output?: string }) =>
      run(() =>
        withStore('read', async (s) => {
          const { entries, notes } = await s.exportEntries();
          const text = g().json ? JSON.stringify(entries) + '\n' : exportUsersText(entries);
          if (o.output) writeFileSync(o.output, text);
          else process.stdout.write(text);
          if (!g().json) for (const n of notes) process.stderr.write(`note: ${n}\n`);
        }),
      ),
    );
}

/** The entries of an import source: our SQLite store (by its file header), else a users file. */
function readImportSource(file: string, dict: Dictionary): StoredEntry[] {
  if (isSqliteFile(file)) {
    const source = new UserStore(file, { readonly: true });
    try {
      return source.entries().map((e) => ({ ...e, origin: e.origin ?? `sqlite:${file} entry #${e.id}` }));
    } finally {
      source.close();
    }
  }
  return parseUsersFile(file, dict).map((e) => storedEntryFromEntry(dict, e));
}

function isSqliteFile(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false; // the users-file parser reports it
  }
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.toString('latin1') === 'SQLite format 3\u0000';
  } finally {
    closeSync(fd);
  }
}
