import { LineCounter, isMap, isScalar, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/**
 * Where a YAML config file went wrong, for every program that reads one (the server's
 * radiusd.yaml, the emulator's device.yaml): YAML syntax errors, schema (zod) issues and
 * unknown keys become `{ file, line, message }`, an unknown key with the nearest known key as a
 * "did you mean" hint.
 */

/** One problem, tied to a line of the file (0 when no position is known). */
export interface LocatedProblem {
  file: string;
  line: number;
  message: string;
}

/** A parsed document with the line of every node. */
export interface YamlWithLines {
  doc: Document;
  lc: LineCounter;
}

/** Parses `text`; YAML syntax errors (duplicate keys included) are returned as problems. */
export function parseYamlWithLines(file: string, text: string): YamlWithLines | { problems: LocatedProblem[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({
        file,
        line: lc.linePos(e.pos[0]).line,
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  return { doc, lc };
}

/**
 * The problems of a failed schema parse. `knownKeys(path)` names the keys allowed at `path`
 * (for the "did you mean" of an unknown key).
 */
export function schemaProblems(
  file: string,
  y: YamlWithLines,
  issues: readonly z.core.$ZodIssue[],
  knownKeys: (path: readonly (string | number)[]) => readonly string[],
): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({
          file,
          line: keyLine(y.doc, y.lc, path, key),
          message: `unknown key "${[...path, key].join('.')}"${keyHint(key, knownKeys(path))}`,
        });
      }
      continue;
    }
    const where = path.length > 0 ? path.join('.') : '(top level)';
    problems.push({ file, line: nodeLine(y.doc, y.lc, path), message: `${where}: ${issue.message}` });
  }
  return problems;
}

/** ` (did you mean "x"?)` for the known key nearest to `key`, or how to fix it otherwise. */
export function keyHint(key: string, known: readonly string[]): string {
  const k = key.toLowerCase().replace(/-/g, '_');
  const near = known.find((candidate) => candidate === k) ?? known.find((candidate) => distance(candidate, k) <= 2);
  return near && near !== key ? ` (did you mean "${near}"?)` : '; remove it or check the spelling';
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The line of the value at `path`, or of the nearest enclosing node that has one. */
export function nodeLine(doc: Document, lc: LineCounter, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) return lc.linePos(node.range[0]).line;
    if (n > 0) {
      const parent = doc.getIn(path.slice(0, n - 1), true);
      const line = isMap(parent) ? pairKeyLine(parent, lc, String(path[n - 1])) : 0;
      if (line) return line;
    }
  }
  return 0;
}

/** The line of key `key` in the map at `path`. */
export function keyLine(doc: Document, lc: LineCounter, path: readonly (string | number)[], key: string): number {
  const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (isMap(parent)) {
    const line = pairKeyLine(parent, lc, key);
    if (line) return line;
  }
  return nodeLine(doc, lc, path);
}

function pairKeyLine(map: unknown, lc: LineCounter, key: string): number {
  if (!isMap(map)) return 0;
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return lc.linePos(pair.key.range[0]).line;
  }
  return 0;
}

/**
 * The keys a zod object schema allows at `path` (through defaults, optionals, refinements and
 * arrays), for `schemaProblems`' hints; [] where the schema at `path` is not an object.
 */
export function zodKeysAt(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let node: unknown = schema;
  for (const step of [...path, undefined]) {
    node = unwrap(node);
    const shape = (node as { shape?: Record<string, unknown> }).shape;
    if (step === undefined) return shape ? Object.keys(shape) : [];
    if (typeof step === 'number') {
      node = (node as { element?: unknown }).element;
      continue;
    }
    if (!shape || !(step in shape)) return [];
    node = shape[step];
  }
  return [];
}

function unwrap(node: unknown): unknown {
  for (let i = 0; i < 16; i++) {
    const def = (node as { _zod?: { def?: { innerType?: unknown; in?: unknown; schema?: unknown } } })._zod?.def;
    const inner = def?.innerType ?? def?.in ?? def?.schema;
    if (!inner) return node;
    node = inner;
  }
  return node;
}
