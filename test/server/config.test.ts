import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { ConfigError } from '../../src/server/config-error.js';

const load = (text: string) => loadConfig('/etc/vr/radiusd.yaml', { readText: () => text });

function problems(text: string): string[] {
  try {
    load(text);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

const minimal = `
listen:
  - { type: auth, address: 127.0.0.1, port: 0 }
clients:
  - { name: lo, address: 127.0.0.0/8, secret: testing123 }
users:
  files: [ ./authorize ]
`;

describe('loadConfig', () => {
  it('applies defaults and resolves paths against the config directory', () => {
    const c = load(`${minimal}\nlog:\n  auth_fail: ../log/auth-fail.log\n`);
    expect(c.users.files).toEqual(['/etc/vr/authorize']);
    expect(c.log.authFail).toBe('/etc/log/auth-fail.log');
    expect(c.log.level).toBe('info');
    expect(c.security).toMatchObject({ rejectDelay: 1, maxAttributes: 200, duplicateCacheSeconds: 5, statusServer: true });
    expect(c.clients[0]).toMatchObject({ name: 'lo', requireMessageAuthenticator: 'auto', origin: { file: '/etc/vr/radiusd.yaml', line: 5 } });
    expect(c.dictionary).toMatch(/dictionaries\/dictionary$/);
    expect(c.workers).toBe('auto');
  });

  it('reads the SQLite cache size and refuses a bad one on its line', () => {
    const c = load(`${minimal}  sqlite: ./users.sqlite\n  sqlite_cache: 1500000\n`);
    expect(c.users).toMatchObject({ sqlite: '/etc/vr/users.sqlite', sqliteCache: 1_500_000 });
    expect(load(minimal).users.sqliteCache).toBeUndefined();
    const p = problems(`${minimal}  sqlite: ./users.sqlite\n  sqlite_cache: lots\n`);
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/^\/etc\/vr\/radiusd\.yaml:9: .*sqlite_cache.*whole number of users/);
  });

  it('reports unknown keys with their line and a suggestion', () => {
    expect(problems(`${minimal}security:\n  reject_dealy: 0\n`)).toEqual([
      '/etc/vr/radiusd.yaml:9: unknown key "security.reject_dealy" (did you mean "reject_delay"?)',
    ]);
    expect(problems(`${minimal}lsten: []\n`)[0]).toBe('/etc/vr/radiusd.yaml:8: unknown key "lsten" (did you mean "listen"?)');
  });

  it('reports bad values with the line of the value', () => {
    const p = problems(`
listen:
  - type: auth
    address: localhost
    port: 1812
clients:
  - name: lo
    address: 127.0.0.1
    secret: ""
    require_message_authenticator: maybe
`);
    expect(p).toEqual([
      '/etc/vr/radiusd.yaml:4: listen.0.address: must be an IPv4 or IPv6 address (e.g. 127.0.0.1, 0.0.0.0, ::1 or ::)',
      '/etc/vr/radiusd.yaml:9: clients.0.secret: secret must be at least 1 character long',
      '/etc/vr/radiusd.yaml:10: clients.0.require_message_authenticator: must be yes, no or auto',
    ]);
  });

  it('reports YAML syntax errors with a line', () => {
    const p = problems('listen:\n  - { type: auth\nclients: [\n');
    expect(p[0]).toMatch(/^\/etc\/vr\/radiusd\.yaml:\d+: YAML syntax: /);
  });

  it('requires some clients', () => {
    expect(problems('listen:\n  - { type: auth, address: "::1", port: 0 }\n')[0]).toMatch(/no RADIUS clients/);
  });

  it('accepts booleans for the MA policy and numbers as secrets only when quoted', () => {
    const c = load(minimal.replace('secret: testing123', 'secret: "1234", require_message_authenticator: true'));
    expect(c.clients[0]!.requireMessageAuthenticator).toBe('yes');
    expect(problems(minimal.replace('secret: testing123', 'secret: 1234'))[0]).toMatch(/secret must be a string \(quote it/);
  });
});
