import { AppendFile } from '../server/append-file.js';
import type { AdminStore, AuditRecord } from './admin-store.js';

/**
 * Every change made through the web administration, written to the admin store (table
 * `admin_audit`, synchronously, before the answer) and appended to a JSON-lines file: who, from
 * where, when, what, before, after. Never a password, secret or password hash: profiles carry
 * only the password attribute name. A file that cannot be written is logged and retried by the
 * next record; the store row is kept either way.
 */
export class AuditTrail {
  private constructor(private readonly store: AdminStore, private readonly file: AppendFile, private readonly onError: (err: Error) => void) {}

  static async open(store: AdminStore, path: string, onError: (err: Error) => void): Promise<AuditTrail> {
    return new AuditTrail(store, await AppendFile.open(path, { maxQueuedBytes: 1024 * 1024 }), onError);
  }

  /** Resolves once the line is in the file (errors are reported to onError, never thrown). */
  async record(r: Omit<AuditRecord, 'time'>): Promise<void> {
    const full: AuditRecord = { time: new Date().toISOString(), ...r };
    this.store.appendAudit(full);
    try {
      await this.file.append(`${JSON.stringify(full)}\n`);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
