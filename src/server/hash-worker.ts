import { parentPort } from 'node:worker_threads';
import type { Avp } from '../protocol/attribute.js';
import type { AttributeDef } from '../protocol/dictionary.js';
import { checkKnownGood } from '../policy/passwords/index.js';

/**
 * A thread of the slow-hash pool (hash-pool.ts): checks one password against one known-good
 * PBKDF2 / SHA-crypt value per message. Only what rlm_pap's per-scheme check reads of the
 * attribute crosses the thread boundary (its number and name); passwords are never logged.
 */
export interface HashJob {
  id: number;
  type: number;
  name: string;
  stored: Uint8Array;
  password: Uint8Array;
}

parentPort?.on('message', (job: HashJob) => {
  const def = { type: job.type, name: job.name, vendorId: 0 } as AttributeDef;
  const avp: Avp = { def, value: Buffer.from(job.stored.buffer, job.stored.byteOffset, job.stored.byteLength) };
  const password = Buffer.from(job.password.buffer, job.password.byteOffset, job.password.byteLength);
  try {
    parentPort!.postMessage({ id: job.id, check: checkKnownGood(avp, password) });
  } catch (err) {
    parentPort!.postMessage({ id: job.id, error: (err as Error).message });
  }
});
