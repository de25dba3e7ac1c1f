import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

/**
 * `vutlan-radius check` and `serve` on a site dictionary that redefines one of the attributes
 * the server refers to by number (src/protocol/attribute-numbers.ts): refused at start-up with
 * the dictionary's file:line, not found wrong at the first request.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vr-check-dict-'));
  writeFileSync(join(dir, 'authorize'), 'alice\tCleartext-Password := "x"\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(dictionaryText: string): { config: string; dictionary: string } {
  const name = Math.random().toString(36).slice(2);
  const dictionary = join(dir, `dictionary-${name}`);
  writeFileSync(dictionary, dictionaryText);
  const path = join(dir, `radiusd-${name}.yaml`);
  writeFileSync(path, [
    'listen: [ { type: auth, address: 127.0.0.1, port: 0 } ]',
    'clients: [ { name: lo, address: 127.0.0.1, secret: a-long-enough-secret } ]',
    `dictionary: ./dictionary-${name}`,
    'users: { files: [ ./authorize ] }',
    '',
  ].join('\n'));
  return { config: path, dictionary };
}

describe('vutlan-radius check/serve: the attribute numbers the server uses', () => {
  it('check refuses a site dictionary that retypes User-Password, naming its file:line and the fix', () => {
    const c = config('# site additions\nATTRIBUTE\tUser-Password\t2\tinteger\n');
    const r = runCli(['check', '-c', c.config]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${c.dictionary}:2: ATTRIBUTE User-Password 2 is redefined as integer; this server needs it as string: remove the line`);
  });

  it('serve refuses to start on a dictionary that puts another attribute at NAS-Identifier (32)', () => {
    const c = config('ATTRIBUTE\tSite-Id\t32\tinteger\n');
    const r = runCli(['serve', '-c', c.config]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${c.dictionary}:1: ATTRIBUTE Site-Id 32 integer takes the number of NAS-Identifier`);
  });

  it('check accepts an alias of a declared attribute (same number and type), as FreeRADIUS does', () => {
    const c = config('ATTRIBUTE\tSite-User\t1\tstring\n');
    const r = runCli(['check', '-c', c.config]);
    expect(r.stderr).not.toContain('Site-User');
    expect(r.code).toBe(0);
  });
});
