/**
 * With `workers: 2` an Accounting-Request is recorded once, whichever worker process the kernel
 * hands each retransmission to: the primary keeps the table of request keys
 * (accounting-claims.ts). Every copy is answered, and only after the record is on disk.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCliServe } from './cli-serve.js';
import { A, buildRequest, UdpClient } from '../support/raw-radius.js';

const SECRET = 'workers-accounting-secret';

describe.runIf(process.platform === 'linux')('accounting with workers: 2', () => {
  let dir: string;
  let child: ChildProcess;
  let port = 0;
  let metricsUrl = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vr-workers-acct-'));
    writeFileSync(join(dir, 'authorize'), '');
    let out: () => string;
    ({ child, output: out } = await startCliServe(dir, [
      'listen: [{ type: acct, address: 127.0.0.1, port: 0 }]',
      `clients: [{ name: local, address: 127.0.0.1, secret: ${SECRET} }]`,
      'users: { files: [ ./authorize ] }',
      'log: { level: info, pretty: false, accounting: ./accounting.log }',
      // no RFC 5080 cache: every copy reaches the recorder, as after the cache's 5 s
      'security: { duplicate_cache_seconds: 0 }',
      'metrics: { listen: "127.0.0.1:0" }',
      'workers: 2',
    ], /"metrics":"http:\/\/127\.0\.0\.1:\d+"/, 30_000));
    port = Number(/"listen":\["acct 127\.0\.0\.1:(\d+)"\]/.exec(out())![1]);
    metricsUrl = /"metrics":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out())![1]!;
  }, 40_000);

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('each request is written once however many copies arrive, and it is answered', { timeout: 60_000 }, async () => {
    const sessions = 20;
    const copies = 8;
    const nas = await UdpClient.open();
    const answers = new Map<number, number>();
    try {
      for (let s = 0; s < sessions; s++) {
        const req = buildRequest({ code: 4, id: s, secret: SECRET, attrs: [A.userName(`u${s}`), A.acctStatusType(1), A.acctSessionId(`session-${s}`)] });
        // a burst of copies, as retransmissions queued behind a slow write would arrive: both
        // workers read the shared socket, so the copies spread over them (a copy reaching the
        // worker already writing that request is dropped as duplicate_in_progress, unanswered)
        for (let c = 0; c < copies; c++) nas.send(req.buf, port);
        for (;;) {
          const r = await nas.next(1000);
          if (!r) break;
          if (r[0] === 5) answers.set(r[1]!, (answers.get(r[1]!) ?? 0) + 1);
        }
        // and one more copy later, which is answered without writing again
        expect((await nas.request(req.buf, port, '127.0.0.1', 3000))?.[0]).toBe(5);
      }
    } finally {
      nas.close();
    }
    for (let s = 0; s < sessions; s++) expect(answers.get(s) ?? 0, `session ${s}`).toBeGreaterThan(0);
    const lines = readFileSync(join(dir, 'accounting.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { attributes: Record<string, string> });
    const perSession = new Map<string, number>();
    for (const l of lines) perSession.set(l.attributes['Acct-Session-Id']!, (perSession.get(l.attributes['Acct-Session-Id']!) ?? 0) + 1);
    expect([...perSession].filter(([, n]) => n !== 1)).toEqual([]);
    expect(perSession.size).toBe(sessions);
    const text = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(text).toContain(`radius_accounting_records_total{result="recorded"} ${sessions}`);
  });
});
