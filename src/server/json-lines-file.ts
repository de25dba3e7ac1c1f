import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * An append-only file of JSON lines (auth-fail log, accounting log). Writes are buffered by a
 * stream so the request path never waits on the disk; `close()` resolves once everything
 * written so far is on disk. Reopening (log rotation on SIGHUP) is closing and creating anew.
 */
export class JsonLinesFile {
  private readonly stream: WriteStream;
  private failed: Error | undefined;

  /** Opens (creating directories and the file if needed) `path` for appending. */
  constructor(readonly path: string, onError?: (err: Error) => void) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', (err) => {
      this.failed = err;
      onError?.(err);
    });
  }

  /** Appends one record as a line. Silently ignored after a write error (reported once). */
  write(record: object): void {
    if (this.failed || this.stream.destroyed) return;
    this.stream.write(`${JSON.stringify(record)}\n`);
  }

  /** Flushes and closes. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.destroyed || this.stream.closed) return resolve();
      this.stream.end(() => resolve());
      this.stream.once('error', () => resolve());
    });
  }
}
