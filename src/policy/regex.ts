/**
 * Regular expressions of users-file check items (`=~`, `!~`). Debian's FreeRADIUS 3.2.1 is built
 * with PCRE, so patterns are Perl-compatible; JavaScript's RegExp is close. The translation below
 * covers the PCRE features JavaScript spells differently:
 *
 * - POSIX classes inside brackets (`[[:alpha:]]`, `[[:digit:]]`, ...) become their ranges.
 * - `\A` becomes `^`, `\z` end of input, `\Z` end of input or before a final newline.
 * - `$` matches at the end or before a final newline (PCRE's default), not only at the end.
 *
 * Features with no JavaScript equivalent (possessive quantifiers `a++`, atomic groups `(?>...)`,
 * recursion `(?R)`, conditionals `(?(...)...)`, `\Q...\E`, inline options other than `(?i)` at
 * the start) are refused when the file loads, with a message naming the feature, so a pattern
 * never silently means something else. Matching is case-sensitive, as in FreeRADIUS.
 */

/** A pattern that cannot be used; `offset` points into the pattern like PCRE's error offset. */
export class RegexCompileError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const POSIX_CLASSES: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: 'A-Za-z0-9', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', xdigit: '0-9A-Fa-f', word: 'A-Za-z0-9_', cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~', graph: '!-~',
};

/** Translates a PCRE pattern to JavaScript RegExp source. Throws RegexCompileError. */
export function translatePcre(pattern: string): { source: string; flags: string } {
  let flags = '';
  let src = pattern;
  let base = 0;
  const inline = /^\(\?([a-z]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]!) {
      if (f === 'i') flags += 'i';
      else if (f === 's') flags += 's';
      else if (f === 'm') flags += 'm';
      else throw new RegexCompileError(`inline option (?${f}) is not supported`, 2);
    }
    src = src.slice(inline[0].length);
    base = inline[0].length;
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new RegexCompileError('\\ at end of pattern', base + i);
      if (!inClass && n === 'A') { out += '^'; i++; continue; }
      if (!inClass && n === 'z') { out += '(?![\\s\\S])'; i++; continue; }
      if (!inClass && n === 'Z') { out += '(?=\\n?(?![\\s\\S]))'; i++; continue; }
      if (n === 'Q' || n === 'E') throw new RegexCompileError('\\Q...\\E quoting is not supported', base + i);
      if (n === 'h') { out += inClass ? ' \\t' : '[ \\t]'; i++; continue; }
      out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          const name = src.slice(i + 2, end);
          const cls = POSIX_CLASSES[name];
          if (cls === undefined) throw new RegexCompileError(`unknown POSIX class name [:${name}:]`, base + i);
          out += cls;
          i = end + 1;
          continue;
        }
      }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in PCRE; JavaScript needs it escaped.
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const k = src[i + 2];
      if (k === '>') throw new RegexCompileError('atomic groups (?>...) are not supported', base + i);
      if (k === 'R' || (k !== undefined && /[0-9+-]/.test(k))) throw new RegexCompileError('recursion (?R) is not supported', base + i);
      if (k === '(') throw new RegexCompileError('conditional groups (?(...)...) are not supported', base + i);
      if (k === 'P' && src[i + 3] === '<') { out += '(?<'; i += 3; continue; }
      if (k !== undefined && /[a-zA-Z-]/.test(k) && /^\(\?[a-zA-Z-]+[:)]/.test(src.slice(i))) {
        throw new RegexCompileError(`inline options (?${k}...) are only supported at the start of the pattern`, base + i);
      }
    }
    if ((c === '+') && i > 0 && /[*+?}]/.test(src[i - 1]!) && src[i - 2] !== '\\') {
      throw new RegexCompileError('possessive quantifiers are not supported', base + i);
    }
    if (c === '$') { out += flags.includes('m') ? '$' : '(?=\\n?(?![\\s\\S]))'; continue; }
    out += c;
  }
  if (inClass) throw new RegexCompileError('missing terminating ] for character class', base + src.length);
  return { source: out, flags };
}

/** Compiles a users-file pattern; throws RegexCompileError (bad syntax or unsupported feature). */
export function compileRegex(pattern: string): RegExp {
  const { source, flags } = translatePcre(pattern);
  try {
    return new RegExp(source, flags);
  } catch (e) {
    const msg = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
    throw new RegexCompileError(msg, 0);
  }
}

/**
 * What `=~` / `!~` do on an attribute of this type in FreeRADIUS 3.2.1 (measured, and read in
 * src/main/pair.c `radius_compare_vps`): the pattern is kept as a string in the value union of a
 * check item whose attribute is not a string, and that union is then printed as the attribute's
 * type. So on octets the pattern's own bytes print as `0x<hex>` and are matched against the
 * value's `0x<hex>`; on every other non-string type (integer, enumerated, ipaddr, ipv6addr,
 * prefixes, date, ...) the "pattern" is the print of a pointer: `=~` never matches and `!~`
 * always does (when the request has the attribute).
 */
export type RegexTarget = 'string' | 'octets-hex' | 'never';

/** How `=~` / `!~` treat an attribute of `dataType` (see RegexTarget). */
export function regexTarget(dataType: string): RegexTarget {
  if (dataType === 'string') return 'string';
  if (dataType === 'octets') return 'octets-hex';
  return 'never';
}

/** The pattern FreeRADIUS really applies to an octets attribute: its text's bytes as `0x<hex>`. */
export function octetsPattern(pattern: string): string {
  return `0x${Buffer.from(pattern, 'utf8').toString('hex')}`;
}
