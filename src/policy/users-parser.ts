import { readTextFile } from '../protocol/read-text.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';

import type { Dictionary } from '../protocol/dictionary.js';
import { readUnsigned } from '../protocol/values.js';
import type { Entry, Item } from './entry.js';
import { getThing, isSpace } from './users-lexer.js';
import { ItemInterner, ItemListInterner, isFallThrough, readItemList, type ItemListResult } from './users-item.js';
import { finish, type Steps } from './steps.js';

/**
 * The FreeRADIUS `users` (authorize) file reader: `pairlist_read` of FreeRADIUS 3.2.1
 * (`src/main/files.c`), the same state machine, the same messages and the same blamed lines.
 *
 * Grammar in short: an entry starts in column 0 with a name (quotes allowed) and its check items
 * (comma separated, all on that line); reply items follow on indented lines, every reply line but
 * the last ending with a comma. Comments (`#` as first non-blank, or after an item) and blank
 * lines are ignored anywhere. `$INCLUDE path` (case-insensitive) inserts another file, relative
 * to the including file's directory.
 *
 * Unlike FreeRADIUS, which stops at the first error, the reader carries on where that is safe
 * (skipping the rest of the broken entry) so `vutlan-radius check` can list every problem.
 * Deliberate differences:
 * - `$INCLUDE` cycles are refused with an error (FreeRADIUS recurses until it runs out of files).
 * - An empty value for a vendor attribute in a reply (`RFU2 = ""`) is an error: the Vutlan device
 *   mishandles empty attributes. FreeRADIUS accepts it.
 * - The "lost last entry" quirk (a final entry without reply lines, after an entry without reply
 *   lines, in a file without a final newline, is silently dropped) is not reproduced.
 * - Host names in address values are not resolved (see values.ts); expansions other than
 *   attribute references are refused (see expand.ts).
 */

/** One problem found while loading, FreeRADIUS's message plus a hint how to fix it. */
export interface UsersProblem {
  file: string;
  line: number;
  message: string;
  hint?: string;
}

/** Formats a problem as `file:line: message (hint: ...)`. */
export function formatProblem(p: UsersProblem): string {
  return `${p.file}:${p.line}: ${p.message}${p.hint ? ` (hint: ${p.hint})` : ''}`;
}

/** The users file(s) could not be loaded; `problems` lists every problem found, in file order. */
export class UsersFileError extends Error {
  constructor(readonly problems: UsersProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'UsersFileError';
  }
}

export interface ParseUsersOptions {
  /** Reads a file's text (default readTextFile: UTF-8). Throwing with code ENOENT means missing. */
  readText?: (path: string) => string;
}

/** Longest line FreeRADIUS reads (fgets into an 8192-byte buffer, newline included). */
const MAX_LINE = 8190;
/** Buffer for the entry name (`char entry[256]`). */
const NAME_MAX = 256;

/**
 * Loads a users file and everything it `$INCLUDE`s. Entries come back in file order with
 * included entries in place. Throws UsersFileError listing every problem.
 */
export function parseUsersFile(path: string, dict: Dictionary, opts: ParseUsersOptions = {}): Entry[] {
  return finish(parseUsersFileSteps(path, dict, opts));
}

/** `parseUsersFile` in steps: yields every few hundred lines (see steps.ts). */
export function* parseUsersFileSteps(path: string, dict: Dictionary, opts: ParseUsersOptions = {}): Steps<Entry[]> {
  const readText = opts.readText ?? readTextFile;
  const problems: UsersProblem[] = [];
  const entries: Entry[] = [];
  let text: string;
  try {
    text = readText(path);
  } catch (e) {
    problems.push({ file: path, line: 0, message: `Couldn't open ${path} for reading: ${errnoText(e)}`, hint: 'check the path in the configuration' });
    throw new UsersFileError(problems);
  }
  yield; // reading a large file is a step of its own
  yield* new FileReader(dict, readText, problems, entries, [resolve(path)]).read(path, text);
  if (problems.length > 0) throw new UsersFileError(problems);
  return entries;
}

/**
 * Parses users-file text that is not on disk (SQLite import, tests). `file` names it in errors
 * and is the base for relative `$INCLUDE`s.
 */
export function parseUsersText(text: string, file: string, dict: Dictionary, opts: ParseUsersOptions = {}): Entry[] {
  const readText = opts.readText ?? readTextFile;
  const problems: UsersProblem[] = [];
  const entries: Entry[] = [];
  finish(new FileReader(dict, readText, problems, entries, [resolve(file)]).read(file, text));
  if (problems.length > 0) throw new UsersFileError(problems);
  return entries;
}

function errnoText(e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'No such file or directory';
  if (code === 'EACCES') return 'Permission denied';
  if (code === 'EISDIR') return 'Is a directory';
  return (e as Error).message ?? String(e);
}

type Mode = 'name' | 'want_reply' | 'have_reply' | 'skip';

const HINT_NAME = 'an entry starts in column 0 with the user name; a reply line that follows a line without a trailing comma is read as a new entry, so end the previous reply line with ","';
const HINT_CHECK = 'check items are "Attribute op value" separated by commas, all on the first line';
const HINT_REPLY = 'reply items are "Attribute op value" on indented lines, each line but the last ending with ","';

class FileReader {
  /** One per load, shared by included files. */
  private readonly interner = new ItemInterner();
  private readonly replyLists = new ItemListInterner();
  /** Reply lines already read: a large file repeats the same few (`\tSRead = "all,",`). */
  private readonly replyLines = new Map<string, ItemListResult>();

  constructor(
    private readonly dict: Dictionary,
    private readonly readText: (p: string) => string,
    private readonly problems: UsersProblem[],
    private readonly entries: Entry[],
    private readonly stack: string[],
  ) {}

  /** Reads one file's text; yields every 512 lines. */
  *read(file: string, text: string): Steps<void> {

    let mode: Mode = 'name';
    let name = '';
    let entryLine = 0;
    let check: Item[] = [];
    let reply: Item[] = [];
    let lineno = 0;

    const problem = (line: number, message: string, hint?: string): void => {
      this.problems.push(hint ? { file, line, message, hint } : { file, line, message });
    };
    const finish = (): void => {
      this.entries.push(this.makeEntry(file, name, entryLine, check, reply));
      check = [];
      reply = [];
    };

    // Lines are cut one at a time (no split of the whole text): a reload runs this in slices,
    // and splitting a 100,000-entry file at once would be one long pause.
    for (let start = 0; start < text.length;) {
      let stop = text.indexOf('\n', start);
      if (stop < 0) stop = text.length;
      const rawLine = text.slice(start, stop);
      start = stop + 1;
      lineno++;
      if ((lineno & 511) === 0) yield;
      // fgets keeps "\r" of CRLF files; it is white space to every test below.
      const line = rawLine;
      if (line.length > MAX_LINE) {
        problem(lineno, 'line too long', `lines are limited to ${MAX_LINE} characters`);
        mode = 'skip';
        continue;
      }
      let q = 0;
      while (q < line.length && isSpace(line[q])) q++;
      if (q >= line.length || line[q] === '#') continue;
      const indented = isSpace(line[0]);

      for (;;) {
        if (mode === 'skip') {
          if (indented) break;
          mode = 'name';
        }
        if (mode === 'name') {
          if (indented) {
            problem(lineno, 'Entry does not begin with a user name', HINT_NAME);
            mode = 'skip';
            break;
          }
          const word = getThing(line, 0, false, NAME_MAX);
          name = word.text;
          entryLine = lineno;
          if (name.toLowerCase() === '$include') {
            yield* this.include(file, lineno, line, word.end, problem);
            break;
          }
          const r = readItemList(line, word.end, this.dict, this.interner);
          if (r.last === 'INVALID') {
            problem(lineno, `Parse error (check) for entry ${name}: ${r.error}`, HINT_CHECK);
            mode = 'skip';
            break;
          }
          if (r.last !== 'EOL') {
            problem(lineno, `Invalid text after check attributes for entry ${name}`, 'remove the comma at the end of the check line; reply items go on the next, indented, lines');
            mode = 'skip';
            break;
          }
          check = r.items;
          reply = [];
          mode = 'want_reply';
          break;
        }
        if (mode === 'want_reply') {
          if (!indented) {
            finish();
            mode = 'name';
            continue;
          }
          mode = 'have_reply';
        }
        // have_reply
        if (!indented) {
          problem(lineno, 'Invalid comma after the reply attributes.  Please delete it.', 'the last reply line of the previous entry ends with ","; delete that comma');
          finish();
          mode = 'name';
          continue;
        }
        const r = this.readReplyLine(line);
        if (r.last === 'INVALID') {
          problem(lineno, `Parse error (reply) for entry ${name}: ${r.error}`, HINT_REPLY);
          mode = 'skip';
          break;
        }
        for (const item of r.items) {
          if (item.attr.vendorId !== 0 && item.value.length === 0 && !item.expand && item.op !== '!*' && item.op !== '=*') {
            problem(lineno, `Empty value for vendor attribute ${item.attr.name} in the reply of entry ${name}`,
              'vutlan-radius refuses empty vendor attributes because the Vutlan device mishandles them; remove the item or give it a value');
          }
          reply.push(item);
        }
        if (r.last === 'COMMA') break;
        finish();
        mode = 'name';
        break;
      }
    }

    if (mode === 'have_reply') {
      problem(lineno, 'Invalid comma after the reply attributes.  Please delete it.', 'the last reply line of the file ends with ","; delete that comma');
      finish();
    } else if (mode === 'want_reply') {
      finish();
    }
  }

  /** `readItemList` of a reply line, remembered when it read cleanly (bounded). */
  private readReplyLine(line: string): ItemListResult {
    let r = this.replyLines.get(line);
    if (r) return r;
    r = readItemList(line, 0, this.dict, this.interner);
    if (r.last !== 'INVALID' && this.replyLines.size < 10_000) this.replyLines.set(line, r);
    return r;
  }

  private *include(file: string, lineno: number, line: string, pos: number, problem: (l: number, m: string, h?: string) => void): Steps<void> {
    const word = getThing(line, pos, false, 8192);
    const target = isAbsolute(word.text) ? word.text : join(dirname(file), word.text);
    const abs = resolve(target);
    if (this.stack.includes(abs)) {
      problem(lineno, `$INCLUDE cycle: ${[...this.stack, abs].join(' -> ')}`, 'a file must not include itself, directly or through other files');
      return;
    }
    let text: string;
    try {
      text = this.readText(target);
    } catch (e) {
      problem(lineno, `Could not open included file ${abs}: ${errnoText(e)}`, 'the path is relative to the directory of the including file');
      return;
    }
    this.stack.push(abs);
    yield;
    try {
      yield* this.read(target, text);
    } finally {
      this.stack.pop();
    }
  }

  private makeEntry(file: string, name: string, line: number, check: Item[], reply: Item[]): Entry {
    let fallThrough: boolean | undefined;
    const kept: Item[] = [];
    for (const item of reply) {
      if (isFallThrough(item.attr)) {
        // fall_through(): the first Fall-Through of the reply list decides; all are removed.
        if (fallThrough === undefined) fallThrough = !item.expand && (readUnsigned(item.attr, item.value) ?? 0) !== 0;
        continue;
      }
      kept.push(item);
    }
    // slice(): lists grown by push keep room for 17 items; an exact copy saves ~130 bytes each,
    // which counts with a million entries. Reply lists repeat (permission profiles): shared.
    return { name, isDefault: name === 'DEFAULT', check: check.slice(), reply: this.replyLists.list(kept), fallThrough: fallThrough ?? false, origin: { file, line } };
  }
}
