// Load time and memory of authorize files: node --expose-gc bench/load-time.mjs [users...]
// For each size, in a fresh process: loads (parses + validates) a generated authorize file the
// way the server does at start and on reload (loadSnapshot: config, dictionary, users, index),
// and reports the time and the heap + external memory the loaded snapshot keeps after a full GC
// (dictionary included, a few MB). Then loads it twice more for the median time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAuthorizeFile } from '../dist/bench/bench-users.js';
import { closeSnapshot, loadSnapshot } from '../dist/server/snapshot.js';

const sizes = process.argv.slice(2).map(Number);
if (process.env.LOAD_TIME_CHILD) {
  const n = sizes[0];
  const dir = mkdtempSync(join(tmpdir(), 'vutlan-load-time-'));
  try {
    const file = join(dir, 'authorize');
    writeAuthorizeFile(file, { users: n });
    const cfg = join(dir, 'radiusd.yaml');
    writeFileSync(cfg, 'clients: [{ name: l, address: 127.0.0.1, secret: load-time-secret-123 }]\nusers: { files: [ ./authorize ] }\n');
    const mem = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
    const before = mem();
    const times = [];
    let t0 = performance.now();
    let s = loadSnapshot(cfg);
    times.push(performance.now() - t0);
    const kept = mem() - before;
    if (s.counts.fileEntries !== n) throw new Error(`loaded ${s.counts.fileEntries} entries, expected ${n}`);
    closeSnapshot(s);
    s = undefined;
    for (let i = 0; i < 2; i++) {
      t0 = performance.now();
      closeSnapshot(loadSnapshot(cfg));
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`users ${n}: file ${(statSync(file).size / 1e6).toFixed(1)} MB, load+validate median ${times[1].toFixed(0)} ms ` +
      `(min ${times[0].toFixed(0)}, max ${times[2].toFixed(0)}), kept in memory ${(kept / 1e6).toFixed(1)} MB ` +
      `(${(kept / n).toFixed(0)} B/entry incl. dictionary)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  for (const n of sizes.length ? sizes : [1000, 100000]) {
    execFileSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), String(n)], {
      stdio: 'inherit', env: { ...process.env, LOAD_TIME_CHILD: '1' },
    });
  }
}
