/**
 * Reads test/fixtures/passwords/authorize into control lists without the users-file parser (so
 * these tests depend only on the passwords module). The file's shape is fixed by generate.sh:
 * `name<TAB>Attr := "value"[, Attr := "value"]`, octets values either quoted (the text's bytes,
 * as FreeRADIUS stores them) or `0x<hex>` (raw bytes), and an optional preceding
 * `# expect-hello: reject (why)` line.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Avp } from '../../../src/protocol/attribute.js';
import { passwordAttrDef } from '../../../src/policy/passwords/index.js';

export const FIXTURE_AUTHORIZE = fileURLToPath(new URL('../../fixtures/passwords/authorize', import.meta.url));

const ATTRIBUTE_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['cleartext-password', 1100],
  ['password-with-header', 1101],
  ['crypt-password', 1006],
  ['md5-password', 1095],
  ['smd5-password', 1096],
  ['sha-password', 1093],
  ['sha1-password', 1093],
  ['ssha-password', 1094],
  ['ssha1-password', 1094],
  ['sha2-password', 1092],
  ['ssha2-224-password', 1177],
  ['ssha2-256-password', 1178],
  ['ssha2-384-password', 1179],
  ['ssha2-512-password', 1180],
  ['pbkdf2-password', 1181],
  ['nt-password', 1058],
  ['lm-password', 1057],
  ['ns-mta-md5-password', 1054],
]);

/** One user of the fixture. */
export interface FixtureUser {
  name: string;
  line: number;
  control: Avp[];
  /** What FreeRADIUS 3.2.1 answers for the password "hello" (measured; see README). */
  expectHello: 'accept' | 'reject';
}

function parseItem(text: string, where: string): Avp {
  const m = /^([A-Za-z0-9-]+)\s*:=\s*(?:"([^"]*)"|(0x[0-9A-Fa-f]*))$/.exec(text.trim());
  if (!m) throw new Error(`${where}: cannot read item ${text}`);
  const type = ATTRIBUTE_NUMBERS.get(m[1]!.toLowerCase());
  if (type === undefined) throw new Error(`${where}: unknown attribute ${m[1]}`);
  const value = m[2] !== undefined ? Buffer.from(m[2], 'utf8') : Buffer.from(m[3]!.slice(2), 'hex');
  return { def: passwordAttrDef(type), value };
}

/** All users of the fixture, in file order. */
export function readFixtureUsers(path = FIXTURE_AUTHORIZE): FixtureUser[] {
  const users: FixtureUser[] = [];
  let expectHello: 'accept' | 'reject' = 'accept';
  readFileSync(path, 'utf8').split('\n').forEach((line, index) => {
    if (line.startsWith('# expect-hello: reject')) {
      expectHello = 'reject';
      return;
    }
    if (line === '' || line.startsWith('#')) return;
    const tab = line.indexOf('\t');
    const name = line.slice(0, tab);
    const where = `${path}:${index + 1}`;
    const items = line.slice(tab + 1).split(/,\s+(?=[A-Za-z0-9-]+\s*:=)/);
    users.push({ name, line: index + 1, control: items.map((item) => parseItem(item, where)), expectHello });
    expectHello = 'accept';
  });
  return users;
}
