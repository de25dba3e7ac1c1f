/**
 * The device's local user database: table `SkyControlUsers` in SQLite, with the columns of the
 * device manual, plus one emulator table `RadiusSettings` that persists `setradius` (the device
 * keeps them in /mnt/jffs/etc/radius/radius.conf). Users are never deleted: `deluser` sets
 * Valid = 0 and the row (and its Name) stays.
 */
import Database from 'better-sqlite3';
import { createPrivateFile } from '../store/sqlite/private-file.js';
import type { PermissionLists } from './permissions.js';
import { sha1Hex } from './password-hash.js';

/** One row of SkyControlUsers. */
export interface UserRecord extends PermissionLists {
  id: number;
  valid: boolean;
  name: string;
  /** The stored password hash (lower-case hex SHA-1 of the password on real devices). */
  pass: string;
  regDate: string;
  rfu1: string;
  rfu2: string;
}

/** Fields of a new user. */
export interface NewUser extends PermissionLists {
  name: string;
  pass: string;
}

/** The RADIUS client settings the API can change (`setradius` / `getradius`). */
export interface RadiusSettings {
  enable: boolean;
  addr: string;
  port: number;
  secret: string;
}


const SCHEMA = `
CREATE TABLE IF NOT EXISTS SkyControlUsers (
  ID INTEGER PRIMARY KEY,
  Valid INTEGER NOT NULL DEFAULT 1,
  Name TEXT NOT NULL UNIQUE,
  Pass TEXT NOT NULL,
  RegDate TEXT NOT NULL,
  SRead TEXT NOT NULL DEFAULT '',
  SWrite TEXT NOT NULL DEFAULT '',
  CRead TEXT NOT NULL DEFAULT '',
  CWrite TEXT NOT NULL DEFAULT '',
  GRead TEXT NOT NULL DEFAULT '',
  GWrite TEXT NOT NULL DEFAULT '',
  RFU1 TEXT NOT NULL DEFAULT '',
  RFU2 TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS RadiusSettings (
  ID INTEGER PRIMARY KEY CHECK (ID = 1),
  Enable INTEGER NOT NULL,
  Addr TEXT NOT NULL,
  Port INTEGER NOT NULL,
  Secret TEXT NOT NULL
);
`;

interface UserRow {
  ID: number; Valid: number; Name: string; Pass: string; RegDate: string;
  SRead: string; SWrite: string; CRead: string; CWrite: string; GRead: string; GWrite: string;
  RFU1: string; RFU2: string;
}

function toRecord(r: UserRow): UserRecord {
  return {
    id: r.ID, valid: r.Valid === 1, name: r.Name, pass: r.Pass, regDate: r.RegDate,
    sread: r.SRead, swrite: r.SWrite, cread: r.CRead, cwrite: r.CWrite, gread: r.GRead, gwrite: r.GWrite,
    rfu1: r.RFU1, rfu2: r.RFU2,
  };
}

/** Thrown when a new or renamed user would take a Name that a row (valid or not) already has. */
export class NameTakenError extends Error {
  constructor(readonly userName: string) {
    super(`user name "${userName}" is already taken`);
    this.name = 'NameTakenError';
  }
}

/**
 * The SQLite user database of one emulated device. Opening a fresh file creates the tables and
 * the factory user `guest` (password hash = SHA-1 of "guest", every list "all,").
 */
export class UserStore {
  private readonly db: Database.Database;

  /** Opens (creating if needed) the database at `file` (`:memory:` allowed). */
  constructor(file: string, now: () => Date = () => new Date()) {
    createPrivateFile(file);
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(SCHEMA);
    const count = (this.db.prepare('SELECT COUNT(*) AS n FROM SkyControlUsers').get() as { n: number }).n;
    if (count === 0) {
      const all = 'all,';
      this.insert({ name: 'guest', pass: sha1Hex('guest'), sread: all, swrite: all, cread: all, cwrite: all, gread: all, gwrite: all }, now());
    }
  }

  /** The row named `name` whatever its Valid flag, or undefined. */
  findByName(name: string): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM SkyControlUsers WHERE Name = ?').get(name) as UserRow | undefined;
    return row && toRecord(row);
  }

  /** The valid (Valid = 1) user with `id`, or undefined. */
  getValid(id: number): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM SkyControlUsers WHERE ID = ? AND Valid = 1').get(id) as UserRow | undefined;
    return row && toRecord(row);
  }

  /** Every row with `id` regardless of Valid (for tests and inspection), or undefined. */
  getAny(id: number): UserRecord | undefined {
    const row = this.db.prepare('SELECT * FROM SkyControlUsers WHERE ID = ?').get(id) as UserRow | undefined;
    return row && toRecord(row);
  }

  /** All valid users, by ID. */
  listValid(): UserRecord[] {
    return (this.db.prepare('SELECT * FROM SkyControlUsers WHERE Valid = 1 ORDER BY ID').all() as UserRow[]).map(toRecord);
  }

  /** Creates a user (Valid = 1) and returns it. Throws NameTakenError if the Name exists. */
  insert(user: NewUser, regDate: Date = new Date()): UserRecord {
    return this.db.transaction(() => {
      if (this.findByName(user.name)) throw new NameTakenError(user.name);
      const r = this.db.prepare(
        `INSERT INTO SkyControlUsers (Valid, Name, Pass, RegDate, SRead, SWrite, CRead, CWrite, GRead, GWrite, RFU1, RFU2)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', '')`,
      ).run(user.name, user.pass, regDate.toISOString(), user.sread, user.swrite, user.cread, user.cwrite, user.gread, user.gwrite);
      return this.getAny(Number(r.lastInsertRowid))!;
    })();
  }

  /**
   * Changes the given fields of the valid user `id` and returns the new row, or undefined when
   * there is no such valid user. Throws NameTakenError when renaming onto an existing Name.
   */
  update(id: number, changes: Partial<NewUser>): UserRecord | undefined {
    return this.db.transaction(() => {
      const current = this.getValid(id);
      if (!current) return undefined;
      if (changes.name !== undefined && changes.name !== current.name && this.findByName(changes.name)) {
        throw new NameTakenError(changes.name);
      }
      const next = { ...current, ...changes };
      this.db.prepare(
        `UPDATE SkyControlUsers SET Name = ?, Pass = ?, SRead = ?, SWrite = ?, CRead = ?, CWrite = ?, GRead = ?, GWrite = ?
         WHERE ID = ?`,
      ).run(next.name, next.pass, next.sread, next.swrite, next.cread, next.cwrite, next.gread, next.gwrite, id);
      return this.getAny(id);
    })();
  }

  /** Sets Valid = 0 on the valid user `id`; false when there was no such valid user. */
  invalidate(id: number): boolean {
    return this.db.prepare('UPDATE SkyControlUsers SET Valid = 0 WHERE ID = ? AND Valid = 1').run(id).changes === 1;
  }

  /** The persisted RADIUS settings, or undefined when `setradius` was never applied. */
  radiusSettings(): RadiusSettings | undefined {
    const row = this.db.prepare('SELECT * FROM RadiusSettings WHERE ID = 1').get() as
      { Enable: number; Addr: string; Port: number; Secret: string } | undefined;
    return row && { enable: row.Enable === 1, addr: row.Addr, port: row.Port, secret: row.Secret };
  }

  /** Persists the RADIUS settings (replacing earlier ones). */
  saveRadiusSettings(s: RadiusSettings): void {
    this.db.prepare(
      `INSERT INTO RadiusSettings (ID, Enable, Addr, Port, Secret) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT(ID) DO UPDATE SET Enable = excluded.Enable, Addr = excluded.Addr, Port = excluded.Port, Secret = excluded.Secret`,
    ).run(s.enable ? 1 : 0, s.addr, s.port, s.secret);
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
