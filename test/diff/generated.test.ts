import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Dictionary } from '../../src/protocol/dictionary.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';
import { generateRequests, generateUsersFile } from './generators.js';
import { DiffRig, expectSameAnswers } from './rig.js';

/**
 * Seeded random users files and requests, answered by FreeRADIUS 3.2.1, by our server on the
 * same file and by our server on the file's entries imported into SQLite. Fixed seeds plus one
 * fresh seed per run; a failure prints the seed, the users file and the request.
 * Reproduce with DIFF_SEED=<seed> npx vitest run test/diff/generated.test.ts
 * (150 fresh seeds x 200 requests found no difference when this was written.)
 */

const ROOT = join(import.meta.dirname, '..', '..');
const DICT = join(ROOT, 'dictionaries/dictionary');
const SECRET = 'testing123';
const available = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');
const REQUESTS_PER_SEED = 150;
const fresh = (Date.now() % 1_000_000) + 100;
/** Fresh seeds per run besides the fixed ones; DIFF_FRESH_SEEDS=150 for a longer hunt (~1 min per 100). */
const FRESH = Math.min(Number(process.env.DIFF_FRESH_SEEDS ?? 2), 1000);
const SEEDS = process.env.DIFF_SEED
  ? [Number(process.env.DIFF_SEED)]
  : [1, 2, 3, 4, 5, 6, ...Array.from({ length: FRESH }, (_, i) => fresh + i)];

describe.skipIf(!available)('differential: generated users files, our server (file and SQLite) vs FreeRADIUS 3.2.1', () => {
  let dict: Dictionary;
  const dir = mkdtempSync(join(tmpdir(), 'diff-gen-'));
  const codes = new Map<string, number>();

  beforeAll(() => {
    dict = loadDictionary(DICT);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const seed of SEEDS) {
    it(`seed ${seed}: ${REQUESTS_PER_SEED} requests answered identically`, async () => {
      const text = generateUsersFile(seed);
      const file = join(dir, `authorize-${seed}`);
      writeFileSync(file, text);
      let rig: DiffRig;
      try {
        rig = await DiffRig.start({ usersFile: file, dictionary: DICT, dict, secret: SECRET });
      } catch (err) {
        throw new Error(`seed ${seed} (DIFF_SEED=${seed} to reproduce): ${(err as Error).message}\nusers file:\n${text}`);
      }
      try {
        for (const req of generateRequests(seed, REQUESTS_PER_SEED)) {
          const answers = await rig.ask(req);
          expectSameAnswers(answers, `seed ${seed} (DIFF_SEED=${seed} to reproduce)\nusers file:\n${text}\n`);
          codes.set(answers.freeradius.code, (codes.get(answers.freeradius.code) ?? 0) + 1);
        }
      } finally {
        await rig.stop();
      }
    }, 60_000);
  }

  it('every request was compared; the seeds exercise accepts as well as rejects', () => {
    const seen = JSON.stringify([...codes]);
    expect([...codes.values()].reduce((a, b) => a + b, 0), seen).toBe(SEEDS.length * REQUESTS_PER_SEED);
    if (SEEDS.length > 1) {
      expect(codes.get('Access-Accept') ?? 0, seen).toBeGreaterThanOrEqual(SEEDS.length * 10);
      expect(codes.get('Access-Reject') ?? 0, seen).toBeGreaterThanOrEqual(SEEDS.length * 10);
    }
  });
});
