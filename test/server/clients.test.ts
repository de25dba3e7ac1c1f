import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../src/server/config.js';
import { ClientTable } from '../../src/server/clients.js';

const def = (name: string, address: string, secret = 'a-long-enough-secret'): ClientConfig => ({
  name, address, secret, requireMessageAuthenticator: 'auto', origin: { file: 'radiusd.yaml', line: 1 },
});

describe('ClientTable', () => {
  const { table, errors } = ClientTable.build([
    def('net8', '10.0.0.0/8'),
    def('host', '10.1.2.3'),
    def('net16', '10.1.0.0/16'),
    def('v6net', '2001:db8::/32'),
    def('v6host', '2001:db8::1'),
    def('loop6', '::1'),
  ]);

  it('matches the longest prefix whatever the order', () => {
    expect(errors).toEqual([]);
    expect(table.lookup('10.1.2.3')?.name).toBe('host');
    expect(table.lookup('10.1.9.9')?.name).toBe('net16');
    expect(table.lookup('10.200.0.1')?.name).toBe('net8');
    expect(table.lookup('11.0.0.1')).toBeUndefined();
  });

  it('matches IPv6 and treats IPv4-mapped IPv6 as IPv4', () => {
    expect(table.lookup('2001:db8::1')?.name).toBe('v6host');
    expect(table.lookup('2001:0db8:0:0:0:0:0:1')?.name).toBe('v6host');
    expect(table.lookup('2001:db8:ffff::2')?.name).toBe('v6net');
    expect(table.lookup('::1')?.name).toBe('loop6');
    expect(table.lookup('::ffff:10.1.2.3')?.name).toBe('host');
    expect(table.lookup('::ffff:192.0.2.1')).toBeUndefined();
  });

  it('knows hosts from networks (only hosts learn the auto policy)', () => {
    expect(table.lookup('10.1.2.3')?.isHost).toBe(true);
    expect(table.lookup('10.1.9.9')?.isHost).toBe(false);
    expect(table.lookup('10.1.9.9')?.cidr).toBe('10.1.0.0/16');
  });

  it('warns on short secrets, ignores exact duplicates, rejects conflicting ones', () => {
    const r = ClientTable.build([def('a', '192.0.2.1', 'short'), def('b', '192.0.2.1/32', 'short'), def('c', '192.0.2.1', 'other-long-secret')]);
    expect(r.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^Shared secret for client a is short/),
      expect.stringMatching(/^Ignoring duplicate client b/),
    ]);
    expect(r.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^Failed to add duplicate client c/)]);
    expect(r.table.size).toBe(1);
  });

  it('masks host bits and rejects bad prefixes', () => {
    const r = ClientTable.build([def('x', '10.0.0.5/24'), def('y', '10.0.0.0/33'), def('z', '300.1.1.1')]);
    expect(r.table.lookup('10.0.0.77')?.cidr).toBe('10.0.0.0/24');
    expect(r.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/client y: .*prefix length 0\.\.32/),
      expect.stringMatching(/client z: .*not an IPv4 or IPv6 address/),
    ]);
  });
});
