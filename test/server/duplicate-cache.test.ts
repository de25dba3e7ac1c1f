import { describe, expect, it } from 'vitest';
import { DuplicateCache, DuplicateTicket, IN_PROGRESS, type DuplicateVerdict } from '../../src/server/duplicate-cache.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => { t += ms; } };
}

function ticket(v: DuplicateVerdict): DuplicateTicket {
  expect(v).toBeInstanceOf(DuplicateTicket);
  return v as DuplicateTicket;
}

const AUTH = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const REPLY = Buffer.from('reply');

describe('DuplicateCache (RFC 5080)', () => {
  it('new -> in progress while processed -> replay of the very reply buffer after finish', () => {
    const c = new DuplicateCache(5000, 100, clock().now);
    const t = ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50));
    expect(c.size).toBe(1);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBe(IN_PROGRESS);
    c.finish(t, REPLY);
    expect(c.begin(0, '10.0.0.1', 1000, 7, Buffer.from(AUTH), 50)).toBe(REPLY);
    expect(c.size).toBe(1);
  });

  it('the key is listener, address, port and identifier: any difference is another request', () => {
    const c = new DuplicateCache(5000, 100, clock().now);
    c.finish(ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)), REPLY);
    ticket(c.begin(1, '10.0.0.1', 1000, 7, AUTH, 50));
    ticket(c.begin(0, '10.0.0.2', 1000, 7, AUTH, 50));
    ticket(c.begin(0, '10.0.0.1', 1001, 7, AUTH, 50));
    ticket(c.begin(0, '10.0.0.1', 1000, 8, AUTH, 50));
    ticket(c.begin(0, '::ffff:10.0.0.1', 1000, 7, AUTH, 50));
    // no overlap between the parts of the numeric key: port 1 id 0 vs port 0 id 256 cannot occur,
    // but listener 1 port 0 must differ from listener 0 port 65536 / 256
    ticket(c.begin(1, '10.0.0.9', 0, 0, AUTH, 50));
    ticket(c.begin(0, '10.0.0.9', 65535, 255, AUTH, 50));
    expect(c.size).toBe(8);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBe(REPLY);
  });

  it('same key with another authenticator (any octet) or length is a new request replacing the entry', () => {
    const c = new DuplicateCache(5000, 100, clock().now);
    const first = ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50));
    c.finish(first, REPLY);
    for (let i = 0; i < 16; i++) {
      const other = Buffer.from(AUTH);
      other[i] ^= 0x80;
      const t = ticket(c.begin(0, '10.0.0.1', 1000, 7, other, 50));
      expect(c.size).toBe(1);
      c.finish(t, REPLY);
    }
    const t = ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 51));
    expect(c.size).toBe(1);
    // the finish of a replaced request does not touch the new one
    c.finish(first, Buffer.from('stale'));
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 51)).toBe(IN_PROGRESS);
    c.finish(t, REPLY);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 51)).toBe(REPLY);
  });

  it('abandon forgets the request, so a retransmission is processed again; abandoning a replaced ticket does nothing', () => {
    const c = new DuplicateCache(5000, 100, clock().now);
    const t = ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50));
    c.abandon(t);
    expect(c.size).toBe(0);
    const again = ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50));
    c.abandon(t);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBe(IN_PROGRESS);
    c.finish(t, Buffer.from('stale'));
    c.finish(again, REPLY);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBe(REPLY);
    c.abandon(undefined);
    c.finish(undefined, REPLY);
  });

  it('a reply is kept ttl after it was sent; an unfinished request holds its slot 30 s', () => {
    const k = clock();
    const c = new DuplicateCache(5000, 100, k.now);
    const t = ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50));
    k.advance(20_000);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBe(IN_PROGRESS);
    c.finish(t, REPLY);
    k.advance(4_999);
    expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBe(REPLY);
    k.advance(1);
    ticket(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50));

    const u = ticket(c.begin(0, '10.0.0.2', 1000, 7, AUTH, 50));
    k.advance(30_000);
    ticket(c.begin(0, '10.0.0.2', 1000, 7, AUTH, 50));
    c.finish(u, Buffer.from('stale'));
    expect(c.begin(0, '10.0.0.2', 1000, 7, AUTH, 50)).toBe(IN_PROGRESS);
  });

  it('expired entries are evicted as new requests arrive', () => {
    const k = clock();
    const c = new DuplicateCache(5000, 1000, k.now);
    for (let id = 0; id < 10; id++) c.finish(ticket(c.begin(0, `10.0.0.${id}`, 1000, id, AUTH, 50)), REPLY);
    expect(c.size).toBe(10);
    k.advance(5000);
    ticket(c.begin(0, '10.0.1.1', 1000, 1, AUTH, 50));
    expect(c.size).toBe(1);
  });

  it('holds at most maxEntries, evicting the oldest first; a finished entry counts as newest', () => {
    const c = new DuplicateCache(5000, 3, clock().now);
    const a = ticket(c.begin(0, '10.0.0.1', 1, 1, AUTH, 50));
    const b = ticket(c.begin(0, '10.0.0.1', 1, 2, AUTH, 50));
    const d = ticket(c.begin(0, '10.0.0.2', 1, 3, AUTH, 50));
    c.finish(a, REPLY); // a moves behind b and d
    c.finish(b, REPLY);
    ticket(c.begin(0, '10.0.0.3', 1, 4, AUTH, 50)); // evicts d (oldest now)
    expect(c.size).toBe(3);
    expect(c.begin(0, '10.0.0.1', 1, 1, AUTH, 50)).toBe(REPLY);
    expect(c.begin(0, '10.0.0.1', 1, 2, AUTH, 50)).toBe(REPLY);
    c.finish(d, Buffer.from('stale')); // evicted: ignored
    ticket(c.begin(0, '10.0.0.2', 1, 3, AUTH, 50));
    expect(c.size).toBe(3);
  });

  it('ttl 0 or no room disables it: every request is new and nothing is held', () => {
    for (const c of [new DuplicateCache(0, 100), new DuplicateCache(5000, 0)]) {
      expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBeUndefined();
      expect(c.begin(0, '10.0.0.1', 1000, 7, AUTH, 50)).toBeUndefined();
      expect(c.size).toBe(0);
    }
  });

  it('agrees with a plain model under random traffic (keys, authenticators, finishes, abandons, time)', () => {
    const k = clock();
    const ttl = 200;
    const max = 20;
    const c = new DuplicateCache(ttl, max, k.now);
    // model: the former implementation (string key, insertion-ordered Map), with finish/abandon
    // applying to the entry the request created (not to a later one that happens to share the key)
    type M = { owner: number; auth: string; length: number; reply: Buffer | undefined; expires: number };
    const model = new Map<string, M>();
    const live = new Map<number, { key: string; ticket: DuplicateTicket }>();
    const auths = [Buffer.alloc(16, 0xa1), Buffer.alloc(16, 0xb2)];
    // mulberry32: deterministic and well mixed in the low bits
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    const seen = { new: 0, inProgress: 0, replay: 0 };
    for (let step = 0; step < 20_000; step++) {
      k.advance(rnd(4));
      const listener = rnd(2);
      const address = `10.0.0.${rnd(2)}`;
      const port = rnd(2);
      const id = rnd(3);
      const auth = auths[rnd(2)]!;
      const length = rnd(8) === 0 ? 21 : 20;
      const key = `${listener}|${address}|${port}|${id}`;
      const t = k.now();
      // model begin
      let want: 'new' | 'in_progress' | Buffer;
      const e = model.get(key);
      if (e && e.expires > t && e.length === length && e.auth === auth.toString('hex')) {
        want = e.reply ?? 'in_progress';
      } else {
        if (e) model.delete(key);
        for (const [mk, me] of model) {
          if (model.size < max && me.expires > t) break;
          model.delete(mk);
        }
        model.set(key, { owner: step, auth: auth.toString('hex'), length, reply: undefined, expires: t + 30_000 });
        want = 'new';
      }
      const got = c.begin(listener, address, port, id, auth, length);
      seen[want === 'new' ? 'new' : want === 'in_progress' ? 'inProgress' : 'replay']++;
      if (want === 'new') {
        const tk = ticket(got);
        live.set(step, { key, ticket: tk });
      } else {
        expect(got).toBe(want === 'in_progress' ? IN_PROGRESS : want);
      }
      expect(c.size).toBe(model.size);
      // finish or abandon one of the open requests most steps
      if (live.size > 0 && rnd(3) !== 0) {
        // mostly one of the latest requests (processing is quick), sometimes an old one
        const pending = [...live];
        const [owner, entry] = pending[rnd(8) === 0 ? rnd(pending.length) : Math.max(0, pending.length - 1 - rnd(4))]!;
        live.delete(owner);
        const me = model.get(entry.key);
        if (rnd(4) === 0) {
          if (me?.owner === owner) model.delete(entry.key);
          c.abandon(entry.ticket);
        } else {
          const reply = Buffer.from(`r${step}`);
          if (me?.owner === owner) {
            model.delete(entry.key);
            me.reply = reply;
            me.expires = k.now() + ttl;
            model.set(entry.key, me);
          }
          c.finish(entry.ticket, reply);
        }
        expect(c.size).toBe(model.size);
      }
    }
    // the traffic exercised every outcome
    expect(Math.min(seen.new, seen.inProgress, seen.replay), JSON.stringify(seen)).toBeGreaterThan(500);
  });
});
