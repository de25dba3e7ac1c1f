/**
 * The word lexer of FreeRADIUS 3.2.1 (`src/lib/token.c` `getthing`), reproduced closely because
 * its quirks decide which users files load and which error a broken line gets.
 *
 * - Tokens are tried in the order of `fr_tokens_table`; a one-character token matches whatever
 *   follows it (so `=` after `==` in the table still wins over nothing).
 * - Bare words stop at white space, at a comma and (when tokens are on) at any token.
 * - Quoted words keep every backslash pair as written except backslash + the quote character,
 *   which becomes the quote (`unescape = false`).
 * - An unterminated quoted word returns INVALID and does NOT advance (callers then re-read it).
 * - `buflen` limits the copied characters to `buflen - 1`, silently, like the C buffer.
 */

export type TokenKind =
  | 'EOL' | 'INVALID' | 'OP' | 'COMMA' | 'HASH' | 'SEMICOLON' | 'LCBRACE' | 'RCBRACE' | 'LBRACE' | 'RBRACE'
  | 'INCRM' | 'BARE' | 'DQ' | 'SQ' | 'BQ';

export interface Token {
  kind: TokenKind;
  /** The word (quotes removed, `\<quote>` turned into the quote) or the token text. */
  text: string;
  /** The word exactly as written between its quotes (empty for non-words). */
  raw: string;
  /** Index after the token and the white space that follows it. */
  end: number;
}

/** Token table in FreeRADIUS order: `=~` and `!~` first, then the rest; `^=` is 3.2's prepend. */
const TOKENS: ReadonlyArray<readonly [string, TokenKind]> = [
  ['=~', 'OP'], ['!~', 'OP'], ['{', 'LCBRACE'], ['}', 'RCBRACE'], ['(', 'LBRACE'], [')', 'RBRACE'],
  [',', 'COMMA'], ['++', 'INCRM'], ['+=', 'OP'], ['-=', 'OP'], [':=', 'OP'], ['^=', 'OP'], ['=*', 'OP'],
  ['!*', 'OP'], ['==', 'OP'], ['=', 'OP'], ['!=', 'OP'], ['>=', 'OP'], ['>', 'OP'], ['<=', 'OP'],
  ['<', 'OP'], ['#', 'HASH'], [';', 'SEMICOLON'],
];

/** C isspace() for the ASCII range. */
export function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/** First characters of tokens: most characters of a word are none of these, so skip the table. */
const TOKEN_START = new Set(TOKENS.map((t) => t[0].charCodeAt(0)));

function matchToken(line: string, p: number): readonly [string, TokenKind] | undefined {
  if (!TOKEN_START.has(line.charCodeAt(p))) return undefined;
  const c0 = line[p];
  for (const t of TOKENS) {
    if (t[0][0] === c0 && (t[0].length === 1 || t[0][1] === line[p + 1])) return t;
  }
  return undefined;
}

/**
 * Reads the next word or token from `line` at `pos` (`getthing`). `tok` enables operator tokens
 * (gettoken) or not (getword).
 */
export function getThing(line: string, pos: number, tok: boolean, buflen: number): Token {
  let p = pos;
  while (p < line.length && isSpace(line[p])) p++;
  if (p >= line.length) return { kind: 'EOL', text: '', raw: '', end: p };

  if (tok) {
    const t = matchToken(line, p);
    if (t) {
      p += t[0].length;
      while (p < line.length && isSpace(line[p])) p++;
      return { kind: t[1], text: t[0], raw: '', end: p };
    }
  }

  const first = line[p];
  let kind: TokenKind = 'BARE';
  let quote = '';
  if (first === '"') kind = 'DQ';
  else if (first === "'") kind = 'SQ';
  else if (first === '`') kind = 'BQ';
  if (kind !== 'BARE') { quote = first!; p++; }

  const start = p;
  // Fast path: a quoted word without backslashes that fits the buffer is a plain slice.
  if (quote) {
    const close = line.indexOf(quote, p);
    if (close >= 0 && close - p < buflen - 1 && line.lastIndexOf('\\', close) < p) {
      const text = line.slice(p, close);
      let q = close + 1;
      while (q < line.length && isSpace(line[q])) q++;
      return { kind, text, raw: text, end: q };
    }
  }
  if (!quote) {
    // Bare words have no escapes: scan and slice once.
    const limit = Math.min(line.length, p + buflen - 1);
    while (p < limit) {
      const c = line[p]!;
      if (isSpace(c) || c === ',' || (tok && matchToken(line, p))) break;
      p++;
    }
    const text = line.slice(start, p);
    while (p < line.length && isSpace(line[p])) p++;
    return { kind, text, raw: text, end: p };
  }
  let text = '';
  let ended = false;
  let room = buflen;
  while (p < line.length && room-- > 1) {
    const c = line[p]!;
    if (!quote) {
      if (isSpace(c)) break;
      if (tok && matchToken(line, p)) break;
      if (c === ',') break;
      text += c;
      p++;
      continue;
    }
    if (c === quote) { ended = true; p++; break; }
    if (c === '\\') {
      if (p + 1 >= line.length) continue; // as in C: spins until the buffer runs out
      if (line[p + 1] === quote) { p++; text += quote; p++; continue; }
      text += c + line[p + 1];
      p += 2;
      continue;
    }
    text += c;
    p++;
  }
  const raw = quote ? line.slice(start, ended ? p - 1 : p) : text;
  if (quote && !ended) return { kind: 'INVALID', text, raw, end: pos };
  while (p < line.length && isSpace(line[p])) p++;
  return { kind, text, raw, end: p };
}
