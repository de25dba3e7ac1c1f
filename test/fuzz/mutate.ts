/**
 * Mutation arbitraries shared by the fuzz tests: byte-level mutations of a buffer (libFuzzer's
 * classic set) and line/token-level mutations of a text file.
 */
import fc from 'fast-check';

/** One byte-level edit. */
export type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'duplicate'; at: number; count: number }
  | { kind: 'interesting'; at: number; value: number };

/** Values that break length and type checks most often (0, 1, 2, 0x7f, 0x80, 0xff, ...). */
const INTERESTING = [0, 1, 2, 3, 16, 17, 18, 19, 20, 0x7f, 0x80, 0xfe, 0xff];

/** An arbitrary list of byte mutations; positions are fractions applied to the current length. */
export const byteMutations: fc.Arbitrary<ByteMutation[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('interesting' as const), at: fc.nat(), value: fc.constantFrom(...INTERESTING) }),
  ),
  { minLength: 1, maxLength: 6 },
);

/** Applies byte mutations to a copy of `input` (never longer than `maxLength`). */
export function applyByteMutations(input: Uint8Array, edits: readonly ByteMutation[], maxLength = 4200): Buffer {
  let b = Buffer.from(input);
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + (e.kind === 'insert' ? 1 : 0));
    switch (e.kind) {
      case 'flip':
        if (b.length > 0) b[at % b.length]! ^= 1 << e.bit;
        break;
      case 'set':
      case 'interesting':
        if (b.length > 0) b[at % b.length] = e.value;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.count)]);
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at + e.count), b.subarray(at, at + e.count), b.subarray(at + e.count)]);
        break;
    }
  }
  return Buffer.from(b.subarray(0, maxLength));
}

/** One line-level edit of a text file. */
export type LineMutation =
  | { kind: 'delete-line'; at: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'swap-lines'; at: number; with: number }
  | { kind: 'replace-token'; at: number; token: number; text: string }
  | { kind: 'insert-line'; at: number; text: string }
  | { kind: 'truncate-text'; at: number }
  | { kind: 'insert-chars'; at: number; text: string };

// Any UTF-16 code unit (control characters, NUL, lone surrogates). Built by hand: constructing
// fc.string({ unit: 'binary' }) costs seconds the first time.
const anyChars = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 8 });

/** Line mutations whose inserted text is drawn from `tokens` (the grammar's vocabulary) or is random. */
export function lineMutations(tokens: fc.Arbitrary<string>, lines: fc.Arbitrary<string>): fc.Arbitrary<LineMutation[]> {
  return fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('delete-line' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('swap-lines' as const), at: fc.nat(), with: fc.nat() }),
      fc.record({ kind: fc.constant('replace-token' as const), at: fc.nat(), token: fc.nat(), text: tokens }),
      fc.record({ kind: fc.constant('insert-line' as const), at: fc.nat(), text: lines }),
      fc.record({ kind: fc.constant('truncate-text' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert-chars' as const), at: fc.nat(), text: anyChars }),
    ),
    { minLength: 1, maxLength: 8 },
  );
}

/** Applies line mutations to `text`. */
export function applyLineMutations(text: string, edits: readonly LineMutation[]): string {
  let lines = text.split('\n');
  for (const e of edits) {
    const n = lines.length;
    const at = n === 0 ? 0 : e.at % n;
    switch (e.kind) {
      case 'delete-line':
        lines.splice(at, 1);
        break;
      case 'duplicate-line':
        if (n > 0) lines.splice(at, 0, lines[at]!);
        break;
      case 'swap-lines': {
        if (n === 0) break;
        const w = e.with % n;
        [lines[at], lines[w]] = [lines[w]!, lines[at]!];
        break;
      }
      case 'replace-token': {
        if (n === 0) break;
        const parts = lines[at]!.split(/(\s+)/);
        const words = parts.map((p, i) => (/\S/.test(p) ? i : -1)).filter((i) => i >= 0);
        if (words.length === 0) break;
        parts[words[e.token % words.length]!] = e.text;
        lines[at] = parts.join('');
        break;
      }
      case 'insert-line':
        lines.splice(at, 0, e.text);
        break;
      case 'truncate-text': {
        const joined = lines.join('\n');
        lines = joined.slice(0, e.at % (joined.length + 1)).split('\n');
        break;
      }
      case 'insert-chars': {
        const joined = lines.join('\n');
        const p = e.at % (joined.length + 1);
        lines = (joined.slice(0, p) + e.text + joined.slice(p)).split('\n');
        break;
      }
    }
  }
  return lines.join('\n');
}
