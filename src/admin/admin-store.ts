import Database from 'better-sqlite3';
import { createPrivateFile } from '../store/sqlite/private-file.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * The web administration's own SQLite database (`admin.db`): admin accounts with their role and
 * scrypt hash, and the audit trail (who, when, what, before, after). Kept apart from the user
 * store so the RADIUS request path never sees these tables and any user store (SQLite,
 * PostgreSQL) can sit behind the admin.
 */

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do, in increasing order: a role can do everything of the roles before it. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

export interface AdminAccount {
  name: string;
  role: Role;
  passwordHash: string;
  createdAt: string;
  lastLoginAt: string | null;
}

/** One audited change. `before` / `after` are JSON values (null when created / deleted). */
export interface AuditRecord {
  time: string;
  actor: string;
  address: string;
  action: string;
  target: string;
  before: unknown;
  after: unknown;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS admin_accounts (
  name          TEXT PRIMARY KEY,
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
  password_hash TEXT NOT NULL,
  created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  last_login_at TEXT
);
CREATE TABLE IF NOT EXISTS admin_audit (
  id      INTEGER PRIMARY KEY,
  time    TEXT NOT NULL,
  actor   TEXT NOT NULL,
  address TEXT NOT NULL,
  action  TEXT NOT NULL,
  target  TEXT NOT NULL,
  before  TEXT,
  after   TEXT
);
CREATE INDEX IF NOT EXISTS admin_audit_by_time ON admin_audit (time);
`;

/** Bad input to an account operation (shown to the caller as is). */
export class AdminAccountError extends Error {
  constructor(readonly code: 'invalid_argument' | 'not_found' | 'already_exists', message: string) {
    super(message);
    this.name = 'AdminAccountError';
  }
}

/** Validates an admin account name: 1..64 of letters, digits, `.`, `_`, `-`, `@`. */
export function validateAdminName(name: string): void {
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) {
    throw new AdminAccountError('invalid_argument', 'admin name: 1..64 letters, digits, ".", "_", "-" or "@"');
  }
}

export function parseRole(text: string): Role {
  if (!(ROLES as readonly string[]).includes(text)) {
    throw new AdminAccountError('invalid_argument', `role: "${text}" is not one of ${ROLES.join(', ')}`);
  }
  return text as Role;
}

interface AccountRow {
  name: string;
  role: Role;
  password_hash: string;
  created_at: string;
  last_login_at: string | null;
}

function toAccount(r: AccountRow): AdminAccount {
  return { name: r.name, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at, lastLoginAt: r.last_login_at };
}

/** The admin database. Every write is one transaction. */
export class AdminStore {
  readonly db: Database.Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    createPrivateFile(path);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  accounts(): AdminAccount[] {
    return (this.db.prepare('SELECT * FROM admin_accounts ORDER BY name').all() as AccountRow[]).map(toAccount);
  }

  account(name: string): AdminAccount | undefined {
    const r = this.db.prepare('SELECT * FROM admin_accounts WHERE name = ?').get(name) as AccountRow | undefined;
    return r ? toAccount(r) : undefined;
  }

  addAccount(name: string, role: Role, passwordHash: string): void {
    validateAdminName(name);
    const r = this.db.prepare('INSERT OR IGNORE INTO admin_accounts (name, role, password_hash) VALUES (?, ?, ?)').run(name, role, passwordHash);
    if (r.changes === 0) throw new AdminAccountError('already_exists', `admin "${name}" already exists`);
  }

  setRole(name: string, role: Role): void {
    const r = this.db.prepare('UPDATE admin_accounts SET role = ? WHERE name = ?').run(role, name);
    if (r.changes === 0) throw new AdminAccountError('not_found', `no such admin "${name}"`);
  }

  setPasswordHash(name: string, passwordHash: string): void {
    const r = this.db.prepare('UPDATE admin_accounts SET password_hash = ? WHERE name = ?').run(passwordHash, name);
    if (r.changes === 0) throw new AdminAccountError('not_found', `no such admin "${name}"`);
  }

  deleteAccount(name: string): void {
    const r = this.db.prepare('DELETE FROM admin_accounts WHERE name = ?').run(name);
    if (r.changes === 0) throw new AdminAccountError('not_found', `no such admin "${name}"`);
  }

  /** Number of accounts with role admin (the last one cannot be removed or demoted). */
  adminCount(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM admin_accounts WHERE role = 'admin'").get() as { n: number }).n;
  }

  markLogin(name: string, time: string): void {
    this.db.prepare('UPDATE admin_accounts SET last_login_at = ? WHERE name = ?').run(time, name);
  }

  appendAudit(r: AuditRecord): void {
    this.db.prepare('INSERT INTO admin_audit (time, actor, address, action, target, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(r.time, r.actor, r.address, r.action, r.target, r.before === null ? null : JSON.stringify(r.before), r.after === null ? null : JSON.stringify(r.after));
  }

  /** The newest audit records first. */
  audit(limit: number, offset = 0): { total: number; records: AuditRecord[] } {
    const total = (this.db.prepare('SELECT count(*) AS n FROM admin_audit').get() as { n: number }).n;
    const rows = this.db.prepare('SELECT * FROM admin_audit ORDER BY id DESC LIMIT ? OFFSET ?').all(limit, offset) as Array<{
      time: string; actor: string; address: string; action: string; target: string; before: string | null; after: string | null;
    }>;
    return {
      total,
      records: rows.map((r) => ({
        time: r.time, actor: r.actor, address: r.address, action: r.action, target: r.target,
        before: r.before === null ? null : JSON.parse(r.before), after: r.after === null ? null : JSON.parse(r.after),
      })),
    };
  }
}
