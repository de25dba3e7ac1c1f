/**
 * A new admin's first contact: every command's --help prints and exits 0, and every default it
 * shows is a value one could type (never an object printed as JSON).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../server/test-server.js';

const bins = {
  'vutlan-radius': [[], ['serve'], ['check'], ['test'], ['users'], ['users', 'add'], ['users', 'set'], ['users', 'import'], ['users', 'export'],
    ['admin'], ['admin', 'add'], ['bench'], ['bench', 'generate']],
  'vutlan-device': [[], ['serve'], ['login'], ['call']],
} as const;

describe('--help of every command', () => {
  for (const [bin, commands] of Object.entries(bins)) {
    for (const args of commands) {
      it(`${bin} ${args.join(' ')} --help`, () => {
        const r = spawnSync(process.execPath, [join(repoRoot, 'dist/cli', `${bin}.js`), ...args, '--help'], { encoding: 'utf8', timeout: 20_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^Usage: /);
        expect(r.stdout.replace(/\s+/g, ' ')).not.toMatch(/\(default: [{[]/);
      });
    }
  }
});
