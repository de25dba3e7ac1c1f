import { watch, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Changes closer together than this become one reload (editors write in several steps). */
const DEBOUNCE_MS = 200;

/**
 * Watches the files a configuration was loaded from and calls `onChange` (debounced) when any
 * of them changes. It watches their directories, not the files, so an editor that replaces a
 * file (write to a temporary name, rename over) is seen as well as an in-place write.
 */
export class ConfigWatcher {
  private watchers = new Map<string, FSWatcher>();
  private files = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(files: readonly string[], private readonly onChange: () => void) {
    this.setFiles(files);
  }

  /** Replaces the watched set (after a reload that read other files). */
  setFiles(files: readonly string[]): void {
    if (this.closed) return;
    this.files = new Set(files.map((f) => resolve(f)));
    const dirs = new Set([...this.files].map((f) => dirname(f)));
    for (const [dir, w] of this.watchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || this.files.has(resolve(dir, name.toString())) || this.files.has(dir)) this.schedule();
        });
        w.on('error', () => {
          w.close();
          this.watchers.delete(dir);
        });
        this.watchers.set(dir, w);
      } catch {
        // a directory that cannot be watched (gone, no inotify slots): SIGHUP still reloads
      }
    }
  }

  private schedule(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onChange();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}

