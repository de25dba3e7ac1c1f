/**
 * Makes the npm `radius` package know the Vutlan attributes.
 *
 * npm `radius` keeps one dictionary per process and understands vendor attributes only inside
 * BEGIN-VENDOR / END-VENDOR blocks: the manual's form `ATTRIBUTE SRead 10 string Vutlan` (vendor
 * in the 5th column), which our `dictionaries/dictionary.vutlan` uses, would silently define a
 * *standard* attribute 10. So the file is rewritten into block form in a private temp directory
 * and added once, before the library loads its dictionaries. The rewritten file lives in the
 * system temp directory under a name derived from its content.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import radius from 'radius';

/** Path of the project's Vutlan dictionary (`dictionaries/dictionary.vutlan`). */
export function vutlanDictionaryPath(): string {
  // Same depth from src/device and dist/device.
  return fileURLToPath(new URL('../../dictionaries/dictionary.vutlan', import.meta.url));
}

/**
 * Rewrites a FreeRADIUS dictionary text so that vendor attributes written with the vendor in
 * the 5th column sit inside BEGIN-VENDOR blocks, the only form npm `radius` reads.
 */
export function toBlockForm(text: string): string {
  const vendors = new Set<string>();
  const head: string[] = [];
  const byVendor = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const f = line.split(/\s+/);
    if (f[0] === 'VENDOR' && f.length >= 3) {
      vendors.add(f[1]!);
      head.push(`VENDOR ${f[1]} ${f[2]}`);
    } else if (f[0] === 'ATTRIBUTE' && f.length >= 5 && vendors.has(f[4]!)) {
      const list = byVendor.get(f[4]!) ?? [];
      list.push(`ATTRIBUTE ${f[1]} ${f[2]} ${f[3]}`);
      byVendor.set(f[4]!, list);
    } else {
      head.push(line);
    }
  }
  const blocks = [...byVendor].flatMap(([v, lines]) => [`BEGIN-VENDOR ${v}`, ...lines, `END-VENDOR ${v}`]);
  return [...head, ...blocks, ''].join('\n');
}

let installed = false;

/**
 * Adds the Vutlan dictionary to npm `radius` (once per process). Safe to call before every use.
 * If the library already loaded its dictionaries, they are unloaded so the next call reloads
 * them with ours included.
 */
export function installVutlanDictionary(file: string = vutlanDictionaryPath()): void {
  if (installed) return;
  // One file per content, reused across processes (written to a unique name, then renamed).
  const text = toBlockForm(readFileSync(file, 'utf8'));
  const digest = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), `vutlan-device-dict-${digest}`);
  const out = path.join(dir, 'dictionary.vutlan');
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  }
  radius.add_dictionary(out);
  radius.unload_dictionaries();
  installed = true;
}
