import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Avp } from '../protocol/attribute.js';
import { hashCostProblem } from '../policy/passwords/hash-cost.js';
import type { PasswordCheck } from '../policy/passwords/index.js';
import type { HashJob } from './hash-worker.js';

/** Most checks of one user name at once: its guesses wait or are dropped, others' go on. */
export const MAX_CHECKS_PER_USER = 2;
/** Most checks waiting in the whole pool (beyond: dropped, the NAS retransmits). */
export const MAX_QUEUED_CHECKS = 512;

/**
 * Worker threads (one per core) that check passwords against slow schemes (PBKDF2, SHA-crypt), so
 * a 0.2-0.5 s hash never stops the event loop: other users' requests, accounting and reloads go
 * on meanwhile. One user name holds at most {@link MAX_CHECKS_PER_USER} checks at a time (so one
 * account's guesses cannot fill the pool), the pool at most {@link MAX_QUEUED_CHECKS}; past either,
 * `check` answers `busy` and the request is dropped unanswered (the NAS retransmits).
 */
export class SlowHashPool {
  private readonly threads: { worker: Worker; busy: boolean }[] = [];
  private readonly queue: { job: HashJob; user: string; resolve: (c: PasswordCheck) => void; reject: (e: Error) => void }[] = [];
  private readonly running = new Map<number, { user: string; resolve: (c: PasswordCheck) => void; reject: (e: Error) => void; thread: number }>();
  private readonly perUser = new Map<string, number>();
  private nextId = 1;
  private closed = false;
  /** Checks refused because the user or the pool was at its limit. */
  busyRefusals = 0;

  // threads start at the first slow check (most servers never meet one)
  private constructor(private readonly script: string, private readonly size: number) {}

  /**
   * A pool of `size` threads (default: the cores Node may use), or undefined when the compiled
   * thread script is not there (running from sources without a build): checks then run inline.
   */
  static create(size = availableParallelism()): SlowHashPool | undefined {
    const script = threadScript();
    return script ? new SlowHashPool(script, Math.max(1, size)) : undefined;
  }

  /** Checks in flight or waiting. */
  get pending(): number {
    return this.running.size + this.queue.length;
  }

  /** Checks `password` against `known` off the event loop; `busy` when `user` or the pool is at its limit. */
  check(known: Avp, password: Buffer, user: string): Promise<PasswordCheck> | 'busy' {
    const tooCostly = hashCostProblem(known.def.type, known.value);
    if (tooCostly) {
      // a store row written past the bounds without a reload: refused, not computed
      return Promise.resolve({ ok: false, scheme: known.def.name, reason: 'invalid_hash', detail: tooCostly });
    }
    const mine = this.perUser.get(user) ?? 0;
    if (this.closed || mine >= MAX_CHECKS_PER_USER || this.queue.length >= MAX_QUEUED_CHECKS) {
      this.busyRefusals++;
      return 'busy';
    }
    this.perUser.set(user, mine + 1);
    const job: HashJob = { id: this.nextId++, type: known.def.type, name: known.def.name, stored: known.value, password };
    return new Promise<PasswordCheck>((resolve, reject) => {
      this.queue.push({ job, user, resolve, reject });
      this.dispatch();
    });
  }

  /** Stops the threads; checks still waiting are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.reject(new Error('server is closing'));
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(index: number): { worker: Worker; busy: boolean } {
    const worker = new Worker(this.script);
    worker.unref();
    worker.on('message', (m: { id: number; check?: PasswordCheck; error?: string }) => {
      const r = this.running.get(m.id);
      if (!r) return;
      this.running.delete(m.id);
      this.release(r.user);
      this.threads[index]!.busy = false;
      if (m.check) r.resolve(m.check);
      else r.reject(new Error(m.error ?? 'password check failed'));
      this.dispatch();
    });
    worker.on('error', (err) => this.lost(index, worker, err));
    worker.on('exit', (code) => { if (!this.closed) this.lost(index, worker, new Error(`password thread exited (${code})`)); });
    return { worker, busy: false };
  }

  /** A thread died: its check fails (the request is dropped), a new thread takes its place. */
  private lost(index: number, worker: Worker, err: Error): void {
    if (this.threads[index]?.worker !== worker) return; // already replaced
    for (const [id, r] of this.running) {
      if (r.thread !== index) continue;
      this.running.delete(id);
      this.release(r.user);
      r.reject(err);
    }
    if (this.closed) return;
    this.threads[index] = this.spawn(index);
    this.dispatch();
  }

  private release(user: string): void {
    const n = (this.perUser.get(user) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(user);
    else this.perUser.set(user, n);
  }

  private dispatch(): void {
    while (this.queue.length > this.threads.filter((t) => !t.busy).length && this.threads.length < this.size) {
      this.threads.push(this.spawn(this.threads.length));
    }
    for (let i = 0; i < this.threads.length && this.queue.length > 0; i++) {
      const t = this.threads[i]!;
      if (t.busy) continue;
      const next = this.queue.shift()!;
      t.busy = true;
      this.running.set(next.job.id, { user: next.user, resolve: next.resolve, reject: next.reject, thread: i });
      t.worker.postMessage(next.job);
    }
  }
}

/** The compiled hash-worker.js beside this module, or in dist/ when running from sources (tests). */
function threadScript(): string | undefined {
  const beside = fileURLToPath(new URL('./hash-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/server/hash-worker.js', import.meta.url));
  return existsSync(built) ? built : undefined;
}
