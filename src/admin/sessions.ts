import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './admin-store.js';

/**
 * Signed-in admin sessions, in memory: an unguessable id (32 random bytes) in a cookie and a
 * CSRF token per session that every state-changing request must echo in `X-CSRF-Token`. A
 * session ends after 30 minutes idle or 12 hours in all; a restart signs everybody out.
 */

export interface Session {
  id: string;
  csrf: string;
  name: string;
  role: Role;
  created: number;
  lastUsed: number;
}

export const SESSION_COOKIE = '__Host-vutlan_admin';
const IDLE_MS = 30 * 60_000;
const MAX_AGE_MS = 12 * 3600_000;
const MAX_SESSIONS = 10_000;

export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh session (a new id every login: a session id known before login is worth nothing after). */
  create(name: string, role: Role): Session {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastUsed - b.lastUsed)[0];
      if (oldest) this.sessions.delete(oldest.id);
    }
    const t = this.now();
    const s: Session = { id: randomBytes(32).toString('base64url'), csrf: randomBytes(32).toString('base64url'), name, role, created: t, lastUsed: t };
    this.sessions.set(s.id, s);
    return s;
  }

  /** The live session for a cookie value (touching it), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastUsed > IDLE_MS || t - s.created > MAX_AGE_MS) {
      this.sessions.delete(id);
      return undefined;
    }
    s.lastUsed = t;
    return s;
  }

  delete(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  /** Ends every session of an account (deleted, role or password changed). */
  deleteFor(name: string): void {
    for (const [id, s] of this.sessions) if (s.name === name) this.sessions.delete(id);
  }

  /** Updates the role of live sessions after a role change (takes effect at once). */
  setRole(name: string, role: Role): void {
    for (const s of this.sessions.values()) if (s.name === name) s.role = role;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, s] of this.sessions) if (t - s.lastUsed > IDLE_MS || t - s.created > MAX_AGE_MS) this.sessions.delete(id);
  }
}

/** Constant-time comparison of a presented CSRF token with the session's. */
export function csrfMatches(session: Session, presented: string | undefined): boolean {
  if (!presented) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
