import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The built UI (dist/admin-ui), read into memory at start: a request is answered only when its
 * path is exactly one of these files, so no request path ever reaches the file system
 * (`..`, encoded slashes or NULs simply find nothing).
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
};

export interface StaticFile {
  body: Buffer;
  type: string;
}

/** Where `npm run build` puts the UI (the same path from src/admin and dist/admin). */
export function defaultUiDir(): string {
  return fileURLToPath(new URL('../../dist/admin-ui/', import.meta.url));
}

export function loadStaticFiles(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (d: string): void => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (TYPES[extname(n)]) files.set(`/${relative(dir, p).split(sep).join('/')}`, { body: readFileSync(p), type: TYPES[extname(n)]! });
    }
  };
  walk(dir);
  const index = files.get('/index.html');
  if (index) files.set('/', index);
  return files;
}
