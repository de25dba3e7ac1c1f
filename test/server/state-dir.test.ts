/**
 * Where learnt state goes (`state_dir`): the key, else systemd's $STATE_DIRECTORY (the unit's
 * StateDirectory=, since /etc is read-only to the service), else the config file's directory.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';

let dir: string;
const saved = process.env.STATE_DIRECTORY;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'vr-state-dir-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  if (saved === undefined) delete process.env.STATE_DIRECTORY;
  else process.env.STATE_DIRECTORY = saved;
});

function config(extra = ''): string {
  const file = join(dir, 'radiusd.yaml');
  writeFileSync(file, `clients:\n  - { name: lab, address: 127.0.0.1, secret: abcdefabcdef12 }\n${extra}`);
  return file;
}

describe('state_dir', () => {
  it('defaults to the config file directory', () => {
    delete process.env.STATE_DIRECTORY;
    expect(loadConfig(config()).stateDir).toBe(dir);
  });

  it('defaults to $STATE_DIRECTORY under systemd (its first entry)', () => {
    process.env.STATE_DIRECTORY = '/var/lib/vutlan-radius:/var/lib/other';
    expect(loadConfig(config()).stateDir).toBe('/var/lib/vutlan-radius');
  });

  it('state_dir wins, relative to the config file', () => {
    process.env.STATE_DIRECTORY = '/var/lib/vutlan-radius';
    expect(loadConfig(config('state_dir: ./state\n')).stateDir).toBe(join(dir, 'state'));
  });

  it('a misspelt key is refused with a suggestion', () => {
    expect(() => loadConfig(config('statedir: ./state\n'))).toThrow(/unknown key "statedir" \(did you mean "state_dir"\?\)/);
  });
});
