import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { benchReplyAttributes, userScheme, type BenchUsersOptions } from './bench-users.js';
import { DEBIAN_RADDB } from './freeradius-bench-server.js';

/** FreeRADIUS's own SQLite schema (radcheck, radreply, radusergroup, ...), as packaged. */
export function freeradiusSqliteSchema(raddb = DEBIAN_RADDB): string {
  return readFileSync(join(raddb, 'mods-config', 'sql', 'main', 'sqlite', 'schema.sql'), 'utf8');
}

/**
 * Creates an rlm_sql SQLite database holding the bench users (same data as the authorize
 * file): one radcheck row `Cleartext-Password := <password>` and one radreply row per Vutlan
 * attribute per user. Replaces `path`. Returns the number of users written.
 */
export function writeFreeRadiusSqlite(path: string, opts: BenchUsersOptions & { raddb?: string }): number {
  rmSync(path, { force: true });
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.exec(freeradiusSqliteSchema(opts.raddb));
    const scheme = userScheme(opts.scheme, opts.prefix);
    const reply = benchReplyAttributes(opts.replyAttributes);
    const check = db.prepare("INSERT INTO radcheck (username, attribute, op, value) VALUES (?, 'Cleartext-Password', ':=', ?)");
    const rep = db.prepare("INSERT INTO radreply (username, attribute, op, value) VALUES (?, ?, '=', ?)");
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const name = scheme.name(i);
        check.run(name, scheme.password(i));
        for (const [attr, value] of reply) rep.run(name, attr, value);
      }
    });
    const end = scheme.first + opts.users;
    for (let i = scheme.first; i < end; i += 50_000) batch(i, Math.min(end, i + 50_000));
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
  return opts.users;
}
