/**
 * Login sessions of the emulated device. A session key (`k`) is 128 random bits in hex; it ends
 * on `authclose`, after `idleSeconds` without a request, or when the device "reboots"
 * (`setradius`). Several sessions of one user may be open at once (the manual allows
 * simultaneous access on one user record), unless `replaceOnLogin` models the older firmware
 * where a new login ends the user's earlier sessions.
 */
import { randomBytes } from 'node:crypto';
import type { PermissionLists } from './permissions.js';

/** How a session's user was authenticated. */
export type LoginSource = 'local' | 'radius';

/** One open session. */
export interface Session {
  key: string;
  /** Local user ID; 0 for a RADIUS-authenticated user (who has no local row). */
  userId: number;
  name: string;
  source: LoginSource;
  /** The permission lists fixed at login (later edits of the user apply at the next login). */
  lists: PermissionLists;
  remoteAddress: string;
  createdAt: number;
  lastUsedAt: number;
}

/** Options of a SessionTable. */
export interface SessionTableOptions {
  idleSeconds: number;
  replaceOnLogin?: boolean;
  now?: () => number;
}

/** The open sessions, keyed by session key. */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(private readonly opts: SessionTableOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Opens a session and returns it (with its fresh key). */
  open(s: Omit<Session, 'key' | 'createdAt' | 'lastUsedAt'>): Session {
    if (this.opts.replaceOnLogin) this.endWhere((o) => o.source === s.source && o.name === s.name);
    const t = this.now();
    const session: Session = { ...s, key: randomBytes(16).toString('hex'), createdAt: t, lastUsedAt: t };
    this.sessions.set(session.key, session);
    return session;
  }

  /** The live session with `key` (its idle timer restarted), or undefined if none or expired. */
  touch(key: string): Session | undefined {
    const s = this.sessions.get(key);
    if (!s) return undefined;
    const t = this.now();
    if (t - s.lastUsedAt > this.opts.idleSeconds * 1000) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastUsedAt = t;
    return s;
  }

  /** Ends the session `key`; false if it was not open. */
  close(key: string): boolean {
    return this.sessions.delete(key);
  }

  /** Ends every session matching `pred`; returns how many ended. */
  endWhere(pred: (s: Session) => boolean): number {
    let n = 0;
    for (const [k, s] of this.sessions) if (pred(s)) { this.sessions.delete(k); n++; }
    return n;
  }

  /** Ends every session ("reboot"). */
  clear(): void {
    this.sessions.clear();
  }

  /** Number of sessions held (expired ones included until touched or swept). */
  get size(): number {
    return this.sessions.size;
  }

  /** Drops sessions idle for longer than the limit. */
  sweep(): void {
    const limit = this.now() - this.opts.idleSeconds * 1000;
    this.endWhere((s) => s.lastUsedAt < limit);
  }
}
