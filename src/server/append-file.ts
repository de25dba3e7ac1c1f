import { close, constants, fstat, fsync, ftruncate, mkdir, open, read, write } from 'node:fs';
import { dirname, parse, sep } from 'node:path';

/**
 * An append-only file that tells its caller when each line reached the OS (or the disk, with
 * `fsync`), with a bounded queue, so neither a full disk nor a stalled reader can grow memory or
 * block the event loop:
 *
 * - `append(line)` resolves once write(2) returned for the whole line (and fsync(2), when
 *   asked), rejects when it could not be written. Lines queued while a write is in flight are
 *   written together in the next one (one syscall and one fsync for a batch).
 * - A write error (ENOSPC, EIO, ...) rejects the lines of that batch; a partly written batch is
 *   cut off again (ftruncate) so the file never keeps half a line. The next append simply tries
 *   again, so the file recovers by itself when the disk has room again.
 * - The file is opened non-blocking: a FIFO whose reader stopped returns EAGAIN instead of
 *   parking a libuv thread; the queue waits and retries, and past `maxQueuedBytes` new lines are
 *   refused (`append` rejects with {@link QueueFullError}) instead of piling up.
 * - `open` creates missing directories one level at a time (a `/proc` path cannot spin) and
 *   gives up after `timeoutMs` (a hung mount cannot wedge a reload).
 */
export class AppendFile {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private writing = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private drained: (() => void)[] = [];
  /** The last write error, until a write succeeds again. */
  lastError: NodeJS.ErrnoException | undefined;
  /** Lines refused because the queue was full, or failed to write (since open). */
  lost = 0;

  private constructor(readonly path: string, private fd: number, private readonly opts: AppendFileOptions) {}

  /** Opens `path` for appending (creating it and its directories). Rejects with a clear message. */
  static async open(path: string, opts: AppendFileOptions = {}): Promise<AppendFile> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const opening = (async () => {
      await makeDirectories(dirname(path));
      return await new Promise<number>((resolve, reject) => {
        open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o640, (err, fd) => {
          if (err) reject(err);
          else if (timedOut) close(fd, () => undefined); // opened too late: nobody holds it
          else resolve(fd);
        });
      });
    })();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`opening took longer than ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      const fd = await Promise.race([opening, timeout]);
      return new AppendFile(path, fd, opts);
    } catch (err) {
      opening.catch(() => undefined);
      throw new Error(`cannot open ${path} for appending: ${describeError(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Bytes waiting to be written. */
  get pendingBytes(): number {
    return this.queuedBytes;
  }

  /** Queues `line` (a complete line, newline included). See the class comment for when it settles. */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`${this.path} is closed`));
    const data = Buffer.from(line);
    const max = this.opts.maxQueuedBytes ?? 8 * 1024 * 1024;
    if (this.queuedBytes + data.length > max) {
      this.lost++;
      const err = new QueueFullError(this.path, max);
      this.lastError = err; // until a write succeeds again
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ data, resolve, reject });
      this.queuedBytes += data.length;
      if (!this.writing && this.retryTimer === undefined) this.flush();
    });
  }

  /**
   * Stops taking lines, waits (at most `timeoutMs`) for the queue to be written, then closes.
   * Lines still queued after that are rejected.
   */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.length > 0 || this.writing) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        timer.unref();
        this.drained.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const left = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const p of left) p.reject(new Error(`${this.path} closed before the line was written`));
    // a write still in flight keeps its fd until it returns (closing it under the write would be unsafe)
    const fd = this.fd;
    if (!this.writing) await new Promise<void>((resolve) => close(fd, () => resolve()));
    else this.closeAfterWrite = true;
  }

  private closeAfterWrite = false;
  /** A failed batch left a fragment that could not be cut off: the next write starts a new line. */
  private brokenTail = false;

  private flush(): void {
    if (this.queue.length === 0) {
      for (const d of this.drained.splice(0)) d();
      return;
    }
    const batch = this.queue;
    this.queue = [];
    const bytes = this.queuedBytes;
    this.queuedBytes = 0;
    const lines = batch.length === 1 ? batch[0]!.data : Buffer.concat(batch.map((p) => p.data), bytes);
    const prefix = this.brokenTail ? 1 : 0;
    const data = prefix ? Buffer.concat([NEWLINE, lines]) : lines;
    this.writing = true;
    this.writeAll(data, 0, (err, written) => {
      if (err === undefined && this.opts.fsync) {
        fsync(this.fd, (syncErr) => this.settle(batch, data, written, syncErr ?? undefined, prefix));
      } else {
        this.settle(batch, data, written, err, prefix);
      }
    });
  }

  private settle(batch: Pending[], data: Buffer, written: number, err: NodeJS.ErrnoException | undefined, prefix: number): void {
    const done = (): void => {
      this.writing = false;
      if (this.closeAfterWrite) {
        this.closeAfterWrite = false;
        close(this.fd, () => undefined);
      }
      if (err === undefined) {
        this.lastError = undefined;
        this.brokenTail = false;
        for (const p of batch) p.resolve();
        this.flush();
        return;
      }
      if (err.code === 'EAGAIN') {
        // a pipe is full: what was written stays written; the rest goes back to the front and waits
        if (written >= prefix) this.brokenTail = false;
        const rest = splitUnwritten(batch, Math.max(0, written - prefix));
        this.queue = [...rest.pending, ...this.queue];
        this.queuedBytes += rest.bytes;
        for (const p of rest.done) p.resolve();
        if (!this.closed || this.queue.length > 0) {
          this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.flush(); }, 50);
          this.retryTimer.unref();
        }
        if (this.closed) for (const d of this.drained.splice(0)) d();
        return;
      }
      this.lastError = err;
      this.lost += batch.length;
      const error = new Error(`cannot write ${this.path}: ${describeError(err)}`);
      for (const p of batch) p.reject(error);
      this.flush();
    };
    if (err !== undefined && err.code !== 'EAGAIN' && written > 0) {
      this.cutOff(data.subarray(0, written), (cut) => {
        // not ours at the end (another process appended since): the fragment ends its own line
        if (!cut) this.brokenTail = true;
        done();
      });
      return;
    }
    done();
  }

  /**
   * Removes `fragment` (the part of a failed batch that reached the file) from the end of the
   * file, but only when the file really ends with it: another process appending to the same file
   * (worker processes) may have written after it, and its lines must not be cut.
   */
  private cutOff(fragment: Buffer, cb: (cut: boolean) => void): void {
    fstat(this.fd, (statErr, st) => {
      if (statErr || !st.isFile() || st.size < fragment.length) return cb(false);
      const at = st.size - fragment.length;
      open(this.path, 'r', (openErr, rfd) => {
        if (openErr) return cb(false);
        const tail = Buffer.alloc(fragment.length);
        read(rfd, tail, 0, tail.length, at, (readErr, n) => {
          fstat(rfd, (e2, rst) => {
            close(rfd, () => undefined);
            if (readErr || e2 || n !== tail.length || rst.ino !== st.ino || !tail.equals(fragment)) return cb(false);
            ftruncate(this.fd, at, (truncErr) => cb(!truncErr));
          });
        });
      });
    });
  }

  private writeAll(data: Buffer, offset: number, cb: (err: NodeJS.ErrnoException | undefined, written: number) => void): void {
    write(this.fd, data, offset, data.length - offset, null, (err, n) => {
      if (err) return cb(err, offset);
      if (offset + n < data.length) return this.writeAll(data, offset + n, cb);
      cb(undefined, data.length);
    });
  }
}

/** Options of {@link AppendFile.open}. */
export interface AppendFileOptions {
  /** fsync(2) after each batch before its lines settle (default false: written to the OS). */
  fsync?: boolean;
  /** Most bytes waiting to be written; beyond, `append` rejects (default 8 MiB). */
  maxQueuedBytes?: number;
  /** Longest time `open` may take (directories and the file), in ms (default 5000). */
  timeoutMs?: number;
}

/** `append` refused a line because too much is already waiting (the sink cannot keep up). */
export class QueueFullError extends Error {
  readonly code = 'QUEUE_FULL';
  constructor(path: string, max: number) {
    super(`cannot keep up: more than ${max} bytes are waiting to be written to ${path}`);
  }
}

const NEWLINE = Buffer.from('\n');

interface Pending {
  data: Buffer;
  resolve: () => void;
  reject: (err: Error) => void;
}

function splitUnwritten(batch: Pending[], written: number): { done: Pending[]; pending: Pending[]; bytes: number } {
  const done: Pending[] = [];
  const pending: Pending[] = [];
  let bytes = 0;
  let offset = 0;
  for (const p of batch) {
    const end = offset + p.data.length;
    if (end <= written) done.push(p);
    else if (offset >= written) { pending.push(p); bytes += p.data.length; }
    else {
      // this line went out in part: the rest of it is queued under the same promise
      const rest = p.data.subarray(written - offset);
      pending.push({ data: rest, resolve: p.resolve, reject: p.reject });
      bytes += rest.length;
    }
    offset = end;
  }
  return { done, pending, bytes };
}

/**
 * `mkdir -p`, one level at a time from the root down: each step either exists or is created, and
 * any other answer stops with that error (a path under `/proc` or under a regular file fails at
 * once instead of looping).
 */
async function makeDirectories(dir: string): Promise<void> {
  const { root } = parse(dir);
  const parts = dir.slice(root.length).split(sep).filter(Boolean);
  let current = root;
  for (const part of parts) {
    current = current === root ? root + part : current + sep + part;
    const here = current;
    await new Promise<void>((resolve, reject) => {
      mkdir(here, (err) => {
        if (!err || err.code === 'EEXIST') resolve();
        else reject(err);
      });
    });
  }
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOTDIR') return `${e.code}: a part of the path is a file, not a directory (${e.path ?? ''})`;
  if (e.code === 'EACCES' || e.code === 'EPERM') return `${e.code}: permission denied (${e.path ?? ''}); give the service user write access or choose another path`;
  if (e.code === 'EROFS') return `${e.code}: read-only file system (${e.path ?? ''}); with systemd add the directory to ReadWritePaths`;
  if (e.code === 'ENOSPC') return `${e.code}: no space left on the device`;
  if (e.code === 'ENXIO') return `${e.code}: a FIFO without a reader`;
  return e.message ?? String(err);
}
