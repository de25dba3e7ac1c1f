import { JsonLinesFile } from '../server/json-lines-file.js';
import type { AdminStore, AuditRecord } from './admin-store.js';

/**
 * Every change made through the web administration, written to the admin store (table
 * `admin_audit`) and appended to a JSON-lines file: who, from where, when, what, before, after.
 * Never a password, secret or password hash: profiles carry only the password attribute name.
 */
export class AuditTrail {
  private readonly file: JsonLinesFile;

  constructor(private readonly store: AdminStore, path: string, onError: (err: Error) => void) {
    this.file = new JsonLinesFile(path, onError);
  }

  record(r: Omit<AuditRecord, 'time'>): void {
    const full: AuditRecord = { time: new Date().toISOString(), ...r };
    this.store.appendAudit(full);
    this.file.write(full);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
