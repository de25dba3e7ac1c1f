import { resolve } from 'node:path';
import { readTextFile } from '../protocol/read-text.js';
import { stamp, type FileStamp } from './snapshot.js';

/**
 * The text of every file a configuration was loaded from, with each file's stamp taken before it
 * was read. The cluster primary validates a configuration by loading it through a
 * {@link FileCapture}, keeps the copy of the one in service, and workers load from that copy
 * (at a rolling reload and when one is restarted), never from whatever is on disk by then: a
 * worker restarted after a refused reload starts with the configuration that serves.
 */
export interface ServingFiles {
  /** The text of `path` (absolute or relative to the working directory). Throws when it was not read. */
  text(path: string): string;
  /** The stamp of `path` as it was read. */
  stamp(path: string): FileStamp;
}

/** What goes over IPC: [path, text, stamp] per file. */
export type ServingFilesMessage = [path: string, text: string, stamp: FileStamp][];

/** Reads from disk like the loader does and records every text with its stamp. */
export class FileCapture {
  private readonly files = new Map<string, { text: string; stamp: FileStamp }>();

  /** For `loadSnapshot`'s `readText`... through `files` (keeps reuse of unchanged files). */
  readonly serving: ServingFiles = {
    text: (path) => {
      const abs = resolve(path);
      const known = this.files.get(abs);
      if (known) return known.text;
      const st = stamp(abs);
      const text = readTextFile(abs);
      this.files.set(abs, { text, stamp: st });
      return text;
    },
    stamp: (path) => this.files.get(resolve(path))?.stamp ?? stamp(path),
  };

  /** The captured files, for IPC. */
  toMessage(): ServingFilesMessage {
    return [...this.files].map(([path, f]) => [path, f.text, f.stamp]);
  }
}

/** The copy a worker got from the primary. A file the copy lacks is read from disk. */
export function servingFilesOf(message: ServingFilesMessage): ServingFiles {
  const files = new Map(message.map(([path, text, st]) => [path, { text, stamp: st }]));
  return {
    text: (path) => files.get(resolve(path))?.text ?? readTextFile(path),
    stamp: (path) => files.get(resolve(path))?.stamp ?? stamp(path),
  };
}
