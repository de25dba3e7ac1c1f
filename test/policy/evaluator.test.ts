import { describe, expect, it } from 'vitest';
import { join } from 'node:path';

import { loadDictionary } from '../../src/protocol/dictionary-loader.js';
import type { Avp } from '../../src/protocol/attribute.js';
import { ValueError, formatValue, parseValue } from '../../src/protocol/values.js';
import { parseUsersText } from '../../src/policy/users-parser.js';
import { UsersFileSource } from '../../src/store/files-source.js';
import { type Decision, authorizeAndAuthenticate } from '../../src/policy/evaluator.js';

const dict = loadDictionary(join(import.meta.dirname, '..', '..', 'dictionaries/dictionary'));

function def(name: string) {
  const d = dict.attributeByName(name);
  if (!d) throw new Error(name);
  return d;
}

function run(users: string, attrs: [string, string][], password?: string, trace?: string[]): Decision {
  const source = new UsersFileSource('/t/users', parseUsersText(users, '/t/users', dict));
  const avps: Avp[] = attrs.map(([n, v]) => ({ def: def(n), value: parseValue(def(n), v) }));
  if (password !== undefined) avps.push({ def: def('User-Password'), value: Buffer.from(password) });
  return authorizeAndAuthenticate({ attributes: avps, srcAddress: '127.0.0.1', requestAuthenticator: Buffer.alloc(16, 7) },
    [source], dict, trace ? (l) => trace.push(l) : undefined);
}

function reply(d: Decision): string[] {
  return d.reply.map((a) => `${a.def.name}=${formatValue(a.def, a.value)}`);
}

describe('values', () => {
  const cases: [string, string, string][] = [
    ['Session-Timeout', '3600', '00000e10'],
    ['Service-Type', 'framed-user', '00000002'],
    ['NAS-IP-Address', '1.2.3', '01020003'],
    ['NAS-IP-Address', '10.0.0.1/32', '0a000001'],
    ['NAS-IPv6-Address', '2001:db8::1', '20010db8000000000000000000000001'],
    ['Framed-IPv6-Prefix', '2001:db8::/32', '002020010db8000000000000000000000000'],
    ['Class', '0x4142', '4142'],
    ['Class', 'AB', '4142'],
    ['Reply-Message', 'a\\101\\tb', '614109' + '62'],
  ];
  for (const [name, text, hex] of cases) {
    it(`${name} ${text}`, () => expect(parseValue(def(name), text).toString('hex')).toBe(hex));
  }
  it('gives FreeRADIUS messages', () => {
    expect(() => parseValue(def('Session-Timeout'), 'abc')).toThrow('Unknown or invalid value "abc" for attribute Session-Timeout');
    expect(() => parseValue(def('Reply-Message'), 'x\\')).toThrow('Invalid escape at end of string');
    expect(() => parseValue(def('Class'), '0x123')).toThrow('Length of Hex String is not even, got 3 bytes');
    expect(() => parseValue(def('NAS-IP-Address'), 'nas.example')).toThrow(ValueError);
  });
  it('prints VALUE names, addresses, dates and octets', () => {
    expect(formatValue(def('Service-Type'), Buffer.from('00000002', 'hex'))).toBe('Framed-User');
    expect(formatValue(def('NAS-IPv6-Address'), parseValue(def('NAS-IPv6-Address'), '::1'))).toBe('::1');
    expect(formatValue(def('Expiration'), parseValue(def('Expiration'), 'Jan  1 2030 00:00:00 UTC'))).toBe('Jan  1 2030 00:00:00 UTC');
    expect(formatValue(def('Class'), Buffer.from('ab', 'hex'))).toBe('0xab');
  });
});

describe('evaluator (freeradius-semantics 2)', () => {
  it('merges reply operators as the measured example of 2.4', () => {
    const d = run(`ops Cleartext-Password := "o"
    Reply-Message = "one", Reply-Message += "two", Reply-Message += "three",
    Reply-Message -= "two", Session-Timeout = 100, Session-Timeout <= 50,
    Idle-Timeout = 10, Idle-Timeout >= 20, Acct-Interim-Interval = 5,
    Acct-Interim-Interval == 6, Filter-Id ^= "pre"
`, [['User-Name', 'ops']], 'o');
    expect(d.code).toBe('accept');
    expect(reply(d)).toEqual(['Filter-Id=pre', 'Reply-Message=one', 'Reply-Message=two', 'Reply-Message=three',
      'Session-Timeout=100', 'Session-Timeout=50', 'Idle-Timeout=10', 'Idle-Timeout=20', 'Acct-Interim-Interval=5']);
  });

  const multi = `multi  NAS-IP-Address == 127.0.0.1, Cleartext-Password := "one"
       Reply-Message = "first entry"
multi  NAS-IP-Address != 127.0.0.1, Cleartext-Password := "two"
       Reply-Message = "second entry"
`;
  it('2.5a: same user, different NAS; a failed password does not move on', () => {
    expect([run(multi, [['User-Name', 'multi'], ['NAS-IP-Address', '127.0.0.1']], 'one')].map((d) => [d.code, reply(d)]))
      .toEqual([['accept', ['Reply-Message=first entry']]]);
    const wrong = run(multi, [['User-Name', 'multi'], ['NAS-IP-Address', '127.0.0.1']], 'two');
    expect([wrong.code, wrong.reason, reply(wrong)]).toEqual(['reject', 'wrong_password', ['Reply-Message=first entry']]);
    expect(reply(run(multi, [['User-Name', 'multi'], ['NAS-IP-Address', '10.1.1.1']], 'two'))).toEqual(['Reply-Message=second entry']);
    expect(run(multi, [['User-Name', 'multi']], 'one').code).toBe('accept'); // preprocess adds NAS-IP-Address
  });

  it('2.5b: Fall-Through chain with DEFAULT merged by position', () => {
    const d = run(`ft      Cleartext-Password := "ft"
        Reply-Message = "ft1", Fall-Through = Yes
DEFAULT User-Name =~ "^f"
        Reply-Message = "from default", Reply-Message += "added",
        Session-Timeout = 100, Fall-Through = yes
ft      Cleartext-Password := "ftX"
        Reply-Message := "ft replaced", Session-Timeout := 200
DEFAULT
        Idle-Timeout = 5
`, [['User-Name', 'ft']], 'ftX');
    expect([d.code, reply(d)]).toEqual(['accept', ['Reply-Message=ft replaced', 'Reply-Message=added', 'Session-Timeout=200']]);
  });

  it('check operators on absent and repeated attributes', () => {
    const users = `a Calling-Station-Id != "A", Auth-Type := Accept
b Calling-Station-Id !* ANY, Auth-Type := Accept
`;
    expect(run(users, [['User-Name', 'a']]).code).toBe('reject'); // absent fails !=
    expect(run(users, [['User-Name', 'a'], ['Calling-Station-Id', 'A'], ['Calling-Station-Id', 'C']]).code).toBe('accept');
    expect(run(users, [['User-Name', 'b']]).code).toBe('accept');
  });

  it('Auth-Type Reject wins, the reject keeps only allowed attributes, NONE without User-Name', () => {
    const d = run('rej Auth-Type := Reject\n\tReply-Message = "disabled", Session-Timeout = 10\n', [['User-Name', 'rej']], 'x');
    expect([d.code, d.reason, reply(d)]).toEqual(['reject', 'auth_type_reject', ['Reply-Message=disabled']]);
    expect(run('NONE Auth-Type := Accept\n', []).code).toBe('accept');
  });

  it('filter_username, Do-Not-Respond, and a trace without secrets', () => {
    expect(run('DEFAULT Auth-Type := Accept\n', [['User-Name', 'john doe']]).reason).toBe('invalid_user_name');
    expect(run('s Response-Packet-Type := Do-Not-Respond, Auth-Type := Accept\n', [['User-Name', 's']]).code).toBe('no-response');
    const trace: string[] = [];
    run('bob Cleartext-Password := "sekret", NAS-Port == 1\nbob Cleartext-Password := "sekret"\n', [['User-Name', 'bob']], 'wrongpw', trace);
    const text = trace.join('\n');
    expect(text).toContain('/t/users:1 bob: no match, NAS-Port == 1 fails');
    expect(text).toContain('/t/users:2 bob: matched');
    expect(text).toContain('result: Access-Reject (wrong_password');
    expect(text).not.toMatch(/sekret|wrongpw/);
  });
});
