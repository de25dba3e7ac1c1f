import type { AccountingRecord, AccountingSink, SinkHealth } from './accounting-sink.js';
import { AppendFile } from './append-file.js';

/**
 * `log.accounting`: one JSON line per Accounting-Request (time, client, source, Identifier,
 * attributes by name). `record()` resolves once the line was written to the OS, or fsync'ed to
 * the disk when `fsync` is set; a write error (full disk, I/O error, read-only file system)
 * rejects it, and the next record tries again.
 */
export class FileAccountingSink implements AccountingSink {
  readonly name = 'file';

  private constructor(readonly file: AppendFile, readonly fsync: boolean) {}

  /** Opens (creates) the file; rejects with a message naming the path and the reason. */
  static async open(path: string, opts: { fsync?: boolean; timeoutMs?: number } = {}): Promise<FileAccountingSink> {
    const file = await AppendFile.open(path, {
      fsync: opts.fsync === true,
      // about 20,000 records waiting: past that the disk is not keeping up, so refuse (unanswered)
      maxQueuedBytes: 8 * 1024 * 1024,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
    return new FileAccountingSink(file, opts.fsync === true);
  }

  get path(): string {
    return this.file.path;
  }

  record(r: AccountingRecord): Promise<void> {
    return this.file.append(`${JSON.stringify({
      time: r.time.toISOString(),
      client: r.client,
      src: r.src,
      src_port: r.srcPort,
      id: r.identifier,
      attributes: r.attributes,
    })}\n`);
  }

  health(): SinkHealth {
    const err = this.file.lastError;
    return err ? { ok: false, reason: `cannot write ${this.file.path}: ${err.message}` } : { ok: true };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
