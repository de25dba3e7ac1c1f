// Builds the admin web UI (ui/) into dist/admin-ui with esbuild, from npm packages only (no CDN,
// no network): one minified ES module bundle and one stylesheet, plus index.html.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/admin-ui`;
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/assets`, { recursive: true });
await build({
  entryPoints: { app: `${root}ui/src/main.tsx` },
  outdir: `${out}/assets`,
  bundle: true,
  format: 'esm',
  minify: true,
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(`${root}ui/index.html`, `${out}/index.html`);
