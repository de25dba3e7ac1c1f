import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresTestsEnabled } from '../../src/bench/postgres-cluster.js';
import { type PgTopology, startPgTopology } from '../../src/bench/pg-topology.js';
import { A, UdpClient, buildRequest, parseReply } from '../server/raw-radius.js';

/**
 * Two servers, one on a PostgreSQL primary and one on a streaming replica made with
 * pg_basebackup -R (src/bench/pg-topology.ts, the loopback twin of docker/compose.pgsql.yaml):
 * a change on the primary is answered by both within 1 s; with the primary stopped the server
 * on it answers from its cache up to max_stale and then refuses, the one on the replica keeps
 * answering; with the primary back both see new changes again.
 */

const enabled = postgresTestsEnabled('the primary + replica topology test');

describe.skipIf(!enabled)('two servers on a PostgreSQL primary and its replica', () => {
  let topo: PgTopology;
  let client: UdpClient;

  const ask = async (port: number, user: string, password: string): Promise<number> => {
    const req = buildRequest({ secret: topo.secret, attrs: [A.userName(user), A.nasIp('127.0.0.1')], password, ma: true });
    client.send(req.buf, port);
    const raw = await client.next(5000);
    if (!raw) throw new Error('no reply');
    expect(parseReply(raw, req.authenticator, topo.secret).responseAuthenticatorOk).toBe(true);
    return raw[0]!;
  };
  const within = async (ms: number, f: () => Promise<boolean>): Promise<number> => {
    const start = Date.now();
    while (Date.now() - start < ms) {
      if (await f()) return Date.now() - start;
      await new Promise((r) => setTimeout(r, 20));
    }
    return -1;
  };

  beforeAll(async () => {
    topo = await startPgTopology({
      maxStale: 3,
      seedSql: "INSERT INTO radcheck (username, attribute, op, value) VALUES ('ann', 'Cleartext-Password', ':=', 'pw1');",
    });
    client = await UdpClient.open();
  }, 180_000);
  afterAll(async () => {
    client?.close();
    await topo?.stop();
  });

  it('both answer from the start, and a change on the primary reaches both within 1 s', async () => {
    expect(await ask(topo.ports.a, 'ann', 'pw1')).toBe(2);
    expect(await ask(topo.ports.b, 'ann', 'pw1')).toBe(2);
    for (let i = 0; i < 3; i++) {
      topo.primary.psql(`UPDATE radcheck SET value = 'pw-${i}' WHERE username = 'ann'`);
      const ta = await within(3000, async () => (await ask(topo.ports.a, 'ann', `pw-${i}`)) === 2);
      const tb = await within(3000, async () => (await ask(topo.ports.b, 'ann', `pw-${i}`)) === 2);
      expect(ta).toBeGreaterThanOrEqual(0);
      expect(tb).toBeGreaterThanOrEqual(0);
      expect(Math.max(ta, tb)).toBeLessThan(1000);
    }
  });

  it('primary stopped: a answers from cache up to max_stale then refuses, b (replica) keeps answering; primary back: both follow again', async () => {
    topo.primary.stop('fast');
    try {
      expect(await ask(topo.ports.a, 'ann', 'pw-2')).toBe(2);
      expect(await ask(topo.ports.b, 'ann', 'pw-2')).toBe(2);
      // past max_stale (3 s) the server on the stopped primary refuses
      expect(await within(10_000, async () => (await ask(topo.ports.a, 'ann', 'pw-2')) === 3)).toBeGreaterThanOrEqual(0);
      expect(await ask(topo.ports.b, 'ann', 'pw-2')).toBe(2);
    } finally {
      topo.primary.start();
    }
    topo.primary.psql("UPDATE radcheck SET value = 'pw-back' WHERE username = 'ann'");
    expect(await within(15_000, async () => (await ask(topo.ports.a, 'ann', 'pw-back')) === 2)).toBeGreaterThanOrEqual(0);
    expect(await within(15_000, async () => (await ask(topo.ports.b, 'ann', 'pw-back')) === 2)).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
