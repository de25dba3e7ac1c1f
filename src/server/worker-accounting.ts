import cluster, { type Worker } from 'node:cluster';
import type { AccountingClaimer, AccountingClaims, ClaimVerdict } from './accounting-claims.js';

/**
 * The IPC of accounting-claims.ts: workers claim and settle accounting keys at the primary, which
 * keeps the one table. Messages (all `vutlan:acct-*`, beside workers.ts's own):
 *   worker -> primary  { type: 'vutlan:acct-claim', n, key }     { type: 'vutlan:acct-settle', key, ok }
 *   primary -> worker  { type: 'vutlan:acct-verdict', n, verdict }
 */

type ClaimMessage =
  | { type: 'vutlan:acct-claim'; n: number; key: string }
  | { type: 'vutlan:acct-settle'; key: string; ok: boolean }
  | { type: 'vutlan:acct-verdict'; n: number; verdict: ClaimVerdict };

/** A primary that does not answer within this writes the record anyway: a duplicate rather than no answer. */
const CLAIM_TIMEOUT_MS = 2000;

function isClaimMessage(m: unknown): m is ClaimMessage {
  const type = (m as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('vutlan:acct-');
}

/** In a worker: the claimer to give startServer. Outside a worker: undefined (the process's recorder suffices). */
export function workerAccountingClaimer(): AccountingClaimer | undefined {
  if (!cluster.isWorker) return undefined;
  const pending = new Map<number, { resolve: (v: ClaimVerdict) => void; timer: NodeJS.Timeout }>();
  let next = 0;
  process.on('message', (m: unknown) => {
    if (!isClaimMessage(m) || m.type !== 'vutlan:acct-verdict') return;
    const p = pending.get(m.n);
    if (!p) return;
    pending.delete(m.n);
    clearTimeout(p.timer);
    p.resolve(m.verdict);
  });
  const send = (m: ClaimMessage): boolean => {
    try {
      return process.send?.(m) ?? false;
    } catch {
      return false; // the primary is gone: the worker is shutting down
    }
  };
  return {
    claim(key) {
      return new Promise((resolve) => {
        const n = ++next;
        const timer = setTimeout(() => {
          pending.delete(n);
          resolve('write');
        }, CLAIM_TIMEOUT_MS);
        timer.unref();
        pending.set(n, { resolve, timer });
        if (!send({ type: 'vutlan:acct-claim', n, key })) {
          pending.delete(n);
          clearTimeout(timer);
          resolve('write');
        }
      });
    },
    settle(key, ok) {
      send({ type: 'vutlan:acct-settle', key, ok });
    },
  };
}

/** In the primary: answers `w`'s claims from `table`, and drops its claims when it exits. */
export function serveAccountingClaims(w: Worker, table: AccountingClaims): void {
  w.on('message', (m: unknown) => {
    if (!isClaimMessage(m)) return;
    if (m.type === 'vutlan:acct-claim') {
      table.claim(m.key, w.id, (verdict) => {
        if (w.isConnected()) w.send({ type: 'vutlan:acct-verdict', n: m.n, verdict } satisfies ClaimMessage);
      });
    } else if (m.type === 'vutlan:acct-settle') {
      table.settle(m.key, w.id, m.ok);
    }
  });
  w.on('exit', () => table.ownerGone(w.id));
}
