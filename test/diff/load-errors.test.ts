import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { checkWithFreeRadius } from '../../src/bench/freeradius-runner.js';
import { ConfigError, type ConfigProblem } from '../../src/server/config-error.js';
import { hasFreeRadius, skipWithout } from '../support/tools.js';
import { startOurServer } from './our-server.js';

/**
 * Every kind of malformed users file FreeRADIUS 3.2.1 refuses: `freeradius -XC` and our server get
 * the same file; both must refuse to start, blame the same line, and our message must contain
 * FreeRADIUS's message.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const DICT = join(ROOT, 'dictionaries/dictionary');
const available = !skipWithout(hasFreeRadius(), 'FreeRADIUS (freeradius)');

const CASES: { label: string; text: string }[] = [
  { label: 'missing comma between reply lines', text: 'bob Cleartext-Password := "x"\n\tReply-Message = "a"\n\tSession-Timeout = 10\n' },
  { label: 'first entry indented', text: '# c\n  bob Cleartext-Password := "x"\n' },
  { label: 'missing comma on the check line', text: 'bob Cleartext-Password := "x" NAS-Port == 1\n' },
  { label: 'trailing comma on the check line', text: 'bob Cleartext-Password := "x",\n\tReply-Message = "a"\n' },
  { label: 'trailing reply comma before a new entry', text: 'bob Cleartext-Password := "x"\n\tReply-Message = "a",\n\n# comment\nalice Cleartext-Password := "y"\n' },
  { label: 'trailing reply comma at end of file', text: 'bob Cleartext-Password := "x"\n\tReply-Message = "a",\n\n# end\n' },
  { label: 'unknown attribute', text: 'bob Foo-Bar := "x"\n' },
  { label: 'bad integer value in reply', text: 'bob Cleartext-Password := "x"\n\tSession-Timeout = abc\n' },
  { label: 'missing operator', text: 'bob Cleartext-Password "x"\n' },
  { label: 'missing value', text: 'bob Cleartext-Password :=\n' },
  { label: 'unterminated string', text: 'bob Cleartext-Password := "x\n' },
  { label: 'comma after the name', text: 'bob, Cleartext-Password := "x"\n' },
  { label: 'raw attribute with a non-hex value', text: 'bob Attr-1 == "bob"\n' },
  { label: 'backslash continuation', text: 'bob Cleartext-Password := "x", \\\n\tReply-Message = "a"\n' },
  { label: 'unknown value name', text: 'bob Service-Type == Nonsense-User\n' },
  { label: 'bad date', text: 'bob Expiration := "notadate", Cleartext-Password := "x"\n' },
  { label: 'IPv4 mask', text: 'bob NAS-IP-Address == 10.0.0.0/24\n' },
  { label: 'odd hex', text: 'bob Cleartext-Password := "x"\n\tClass = 0x123\n' },
  { label: 'missing include', text: 'bob Cleartext-Password := "x"\n$INCLUDE nope.users\n' },
  { label: 'bad regular expression', text: 'bob User-Name =~ "a(b"\n' },
  { label: 'hex digits that are not hex', text: 'bob Cleartext-Password := "x"\n\tClass = 0xzz\n' },
];

describe.skipIf(!available)('load errors: same line and message as freeradius -XC', () => {
  const dir = mkdtempSync(join(tmpdir(), 'load-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  CASES.forEach((c, i) => {
    it(c.label, async () => {
      const file = join(dir, `users-${i}`);
      writeFileSync(file, c.text);
      const fr = await checkWithFreeRadius({ usersFile: file, secret: 's', dictionary: DICT });
      expect(fr.ok, fr.output.slice(-2000)).toBe(false);
      const theirs = fr.errors.find((e) => e.file === file);
      expect(theirs, fr.output.slice(-2000)).toBeDefined();

      let problems: readonly ConfigProblem[] = [];
      try {
        const ours = await startOurServer({ users: { files: [file] }, dictionary: DICT, secret: 's' });
        await ours.close();
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        problems = e.problems;
      }
      expect(problems.length, `our server started; FreeRADIUS: ${theirs!.line}: ${theirs!.message}`).toBeGreaterThan(0);
      const first = problems[0]!;
      expect({ line: first.line, file: first.file }).toEqual({ line: theirs!.line, file });
      // PCRE's own wording and error offset cannot be reproduced by JavaScript's RegExp: for
      // patterns the message must agree up to "Pattern compilation failed:".
      const expected = theirs!.message.replace(/Error at offset \d+ (compiling regex for [^:]+: Pattern compilation failed:).*$/, '$1');
      expect(first.message.replace(/Error at offset \d+ /, '')).toContain(expected.replace(/^(.*?)Error at offset \d+ /, '$1'));
    });
  });
});
