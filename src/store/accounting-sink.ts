import type { Avp } from '../protocol/attribute.js';

/**
 * Where Accounting-Requests are kept, beyond the JSON log. The contract the pipeline relies on:
 * `write` resolves only once the record is durable (committed to the database, or fsync'ed to a
 * local spool that will be replayed); only then is the Accounting-Response sent (RFC 2866: the
 * NAS retransmits until it is answered). A rejected write sends nothing, so nothing is
 * acknowledged that was not kept.
 */

/** One Accounting-Request as received. */
export interface AccountingRecord {
  attributes: readonly Avp[];
  /** Source address of the packet. */
  srcAddress: string;
  /** Client (NAS) name from the client table. */
  client: string;
  /** When it was received, ms since the epoch. */
  receivedAt: number;
}

export interface AccountingSink {
  readonly name: string;
  /** Resolves once the record is durable; rejects when it could not be kept. */
  write(record: AccountingRecord): Promise<void>;
  close(): Promise<void>;
}
