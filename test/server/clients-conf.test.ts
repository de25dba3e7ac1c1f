import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseClientsConf } from '../../src/server/clients-conf.js';
import { ClientTable } from '../../src/server/clients.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/server/${name}`, import.meta.url));

describe('parseClientsConf', () => {
  it('reads sections, old-style names, netmask, quotes and escapes', () => {
    const r = parseClientsConf(fixture('clients.conf'));
    expect(r.errors).toEqual([]);
    expect(r.clients.map((c) => [c.name, c.address, c.secret, c.requireMessageAuthenticator])).toEqual([
      ['local', '127.0.0.1', 'testing123-long', 'no'],
      ['lab-net', '10.20.0.0/16', 'netABsecret', 'auto'],
      ['192.168.1.88', '192.168.1.88', 'password123', 'auto'],
      ['v6', '2001:db8::/32', 'v6 secret with spaces', 'yes'],
    ]);
    expect(r.clients[0]!.origin.line).toBe(3);
    expect(r.clients[0]!.nasType).toBe('other');
    const old = r.warnings.find((w) => w.message.includes('No \'ipaddr\''));
    expect(old?.line).toBe(22);
  });

  it('reports errors as file:line with FreeRADIUS wording', () => {
    const r = parseClientsConf(fixture('clients-errors.conf'));
    const lines = r.errors.map((e) => `${e.line}: ${e.message}`);
    expect(lines).toContain('1: secret must be at least 1 character long');
    expect(lines).toContain("5: Clients cannot use 'ipaddr/mask' and 'netmask' at the same time.");
    expect(r.clients.map((c) => c.name)).toEqual(['named']);
    // host names are not resolved: the table reports them with a hint
    const t = ClientTable.build(r.clients);
    expect(t.errors[0]!.message).toMatch(/host name.*write the IP address/);
    expect(t.errors[0]!.line).toBe(11);
  });

  it('follows $INCLUDE relative to the including file and reports syntax errors', () => {
    const files: Record<string, string> = {
      '/x/clients.conf': 'client a {\n ipaddr = 10.0.0.1\n secret = aaaaaaaaaaaaaaa\n}\n$INCLUDE more.conf\n',
      '/x/more.conf': 'client b {\n ipaddr = 10.0.0.2\n secret = "bbb\n}\n',
    };
    const r = parseClientsConf('/x/clients.conf', { readText: (p) => { const t = files[p]; if (t === undefined) throw new Error('ENOENT'); return t; } });
    expect(r.errors).toEqual([{ file: '/x/more.conf', line: 3, message: 'Syntax error: unterminated string (missing closing quote)' }]);
  });

  it('reports a missing brace and a duplicate client', () => {
    const r = parseClientsConf('/y.conf', { readText: () => 'client a {\n ipaddr = 10.0.0.1\n secret = x\n' });
    expect(r.errors[0]!.message).toMatch(/Missing closing brace/);
    const dup = parseClientsConf('/z.conf', {
      readText: () => 'client a {\n ipaddr = 10.0.0.1\n secret = one-long-secret\n}\nclient b {\n ipaddr = 10.0.0.1/32\n secret = two-long-secret\n}\n',
    });
    const t = ClientTable.build(dup.clients);
    expect(t.errors).toHaveLength(1);
    expect(t.errors[0]).toMatchObject({ file: '/z.conf', line: 5 });
    expect(t.errors[0]!.message).toMatch(/^Failed to add duplicate client b/);
  });
});

describe('clients.conf errors never show a secret', () => {
  it('check: an unquoted secret with a space or a variable reference in it is file:line without its text', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vr-cc-secret-'));
    try {
      const root = fileURLToPath(new URL('../..', import.meta.url));
      copyFileSync(join(root, 'config/authorize'), join(dir, 'authorize'));
      writeFileSync(join(dir, 'clients.conf'), 'client a {\n\tipaddr = 127.0.0.1\n\tsecret = hunter2 topsecretpart\n}\nclient b {\n\tipaddr = 127.0.0.2\n\tsecret = s3cr3t$' + '{x}\n}\n');
      writeFileSync(join(dir, 'radiusd.yaml'), 'listen:\n  - { type: auth, address: 127.0.0.1, port: 0 }\nclients_file: ./clients.conf\nusers: { files: [ ./authorize ] }\n');
      const r = spawnSync(process.execPath, [join(root, 'dist/cli/vutlan-radius.js'), 'check', '-c', join(dir, 'radiusd.yaml')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${join(dir, 'clients.conf')}:3: Syntax error: unexpected more text after the value of "secret" (quote a secret that holds spaces: secret = "...")`);
      expect(r.stderr).toContain(`${join(dir, 'clients.conf')}:7: Syntax error: unexpected more text after the value of "secret"`);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/hunter2|topsecretpart|s3cr3t/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
