import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readTextFile } from '../../src/protocol/read-text.js';

const dir = mkdtempSync(join(tmpdir(), 'read-text-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function roundTrip(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return readTextFile(path);
}

describe('readTextFile', () => {
  it('reads ASCII, UTF-8 (Cyrillic comments, BOM) and broken UTF-8 exactly as a UTF-8 decoder does', () => {
    const cases: Buffer[] = [
      Buffer.from('username01 Cleartext-Password := "x"\n\tSRead = "all,"\n'),
      Buffer.from('# пользователь с полными правами\nusername01 Cleartext-Password := "x"\n', 'utf8'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('DEFAULT Auth-Type := Reject\n')]),
      Buffer.from([0x61, 0xff, 0x62, 0xc3, 0x0a]),
      Buffer.alloc(0),
    ];
    cases.forEach((bytes, i) => { expect(roundTrip(`f${i}`, bytes)).toBe(bytes.toString('utf8')); });
  });

  it('throws ENOENT for a missing file (loaders report "No such file or directory")', () => {
    expect(() => readTextFile(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
