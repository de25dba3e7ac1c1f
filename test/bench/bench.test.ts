import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessRequestBuilder } from '../../src/bench/access-request-builder.js';
import { userScheme, writeAuthorizeFile } from '../../src/bench/bench-users.js';
import { invalidCount, runLoad } from '../../src/bench/load-generator.js';
import { ourDictionaryPath } from '../../src/bench/our-server-process.js';
import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import { startServer, type RunningServer } from '../../src/server/server.js';

const dict = loadDictionary(ourDictionaryPath());
const SECRET = 'bench-secret-0123456789';

describe('AccessRequestBuilder', () => {
  it('writes the same bytes as encodeRequest for both user schemes', () => {
    for (const id of ['hex', 'device'] as const) {
      const b = new AccessRequestBuilder({ dict, secret: Buffer.from(SECRET), nasIp: '10.1.2.3', scheme: userScheme(id) });
      expect(() => b.selfCheck(99_999)).not.toThrow();
    }
  });

  it('uses a fresh authenticator for every request', () => {
    const b = new AccessRequestBuilder({ dict, secret: Buffer.from(SECRET), nasIp: '10.1.2.3', scheme: userScheme('hex') });
    const seen = new Set<string>();
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < 5000; i++) {
      b.build(buf, 7, i & 0xff);
      seen.add(buf.subarray(4, 20).toString('hex'));
    }
    expect(seen.size).toBe(5000);
  });
});

describe('bench against an in-process server', () => {
  let dir: string;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vutlan-bench-test-'));
    writeAuthorizeFile(join(dir, 'authorize'), { users: 50 });
    writeFileSync(join(dir, 'radiusd.yaml'), [
      'listen: [{ type: auth, address: 127.0.0.1, port: 0 }]',
      `dictionary: ${JSON.stringify(ourDictionaryPath())}`,
      `clients: [{ name: bench, address: 127.0.0.1, secret: ${SECRET}, require_message_authenticator: yes }]`,
      'users: { files: [ ./authorize ] }',
      'log: { level: warn }',
      'security: { reject_delay: 0 }',
    ].join('\n'));
    server = await startServer(join(dir, 'radiusd.yaml'), { watch: false });
    port = server.addresses()[0]!.port;
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const base = () => ({ host: '127.0.0.1', port, secret: SECRET, dict, users: 50, durationMs: 1000, warmupMs: 200, inflight: 16, sockets: 2 });

  it('reports sane numbers with every reply verified (Accept, MA, Response Authenticator)', async () => {
    const r = await runLoad({ ...base(), verify: 'codec' });
    expect(r.ok).toBeGreaterThan(100);
    expect(invalidCount(r)).toBe(0);
    expect(r.unexpectedCode).toBe(0);
    expect(r.timeouts).toBe(0);
    expect(r.rps).toBeGreaterThan(100);
    expect(r.p50).toBeGreaterThan(0);
    expect(r.p50).toBeLessThanOrEqual(r.p90);
    expect(r.p90).toBeLessThanOrEqual(r.p99);
    expect(r.p99).toBeLessThanOrEqual(r.max + 0.01);
    expect(r.sent).toBeGreaterThanOrEqual(r.ok - 16);
  });

  it('counts replies that fail verification instead of trusting them', async () => {
    // Users that do not exist get Access-Reject: authentic but not the expected code.
    const rejected = await runLoad({ ...base(), prefix: 'nobody', durationMs: 300 });
    expect(rejected.ok).toBe(0);
    expect(rejected.unexpectedCode).toBeGreaterThan(0);
    expect(invalidCount(rejected)).toBe(0);
    const asRejects = await runLoad({ ...base(), prefix: 'nobody', durationMs: 300, expectCode: 3 });
    expect(asRejects.ok).toBeGreaterThan(0);
  });
});
