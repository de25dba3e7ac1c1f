import { readFileSync } from 'node:fs';
import type { Entry, Item } from '../policy/entry.js';
import { RESOURCE_IDS } from '../store/sqlite/profile.js';
import type { ConfigProblem } from './config-error.js';

/**
 * Warnings for Vutlan permission lists in a users file that the device cannot use: an unknown
 * resource id in SRead/SWrite (`"viewx,"`) or a token other than a group number, `all` or `none`
 * in GRead/GWrite. The file still loads (FreeRADIUS would send the value as it is), but
 * `vutlan-radius users add` refuses the same value, so `check` says so with file:line.
 */

const VUTLAN = 39052;
const RESOURCE_LISTS = new Set([10, 11]); // SRead, SWrite
const GROUP_LISTS = new Set([14, 15]); // GRead, GWrite

/** Problems of the Vutlan list items of `entries` (all from users files), one per item. */
export function vutlanListWarnings(entries: readonly Entry[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const texts = new Map<string, string[] | undefined>();
  for (const entry of entries) {
    for (const item of entry.reply) {
      const problem = listProblem(item);
      if (!problem) continue;
      out.push({ file: entry.origin.file, line: itemLine(entry, item, texts), message: `${item.attr.name} = "${item.text}": ${problem}` });
    }
  }
  return out;
}

function listProblem(item: Item): string | undefined {
  const def = item.attr;
  if (def.vendorId !== VUTLAN || item.expand || item.op === '=~' || item.op === '!~') return undefined;
  const isResource = RESOURCE_LISTS.has(def.type);
  if (!isResource && !GROUP_LISTS.has(def.type)) return undefined;
  const tokens = item.value.toString('utf8').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (isResource) {
    const bad = tokens.filter((t) => !RESOURCE_IDS.has(t));
    if (bad.length === 0) return undefined;
    return `unknown resource id ${bad.map((b) => `"${b}"`).join(', ')}; \`vutlan-radius users add\` refuses it (known: ${[...RESOURCE_IDS].join(', ')})`;
  }
  const bad = tokens.filter((t) => t !== 'all' && t !== 'none' && !/^[1-9][0-9]{0,9}$/.test(t));
  if (bad.length === 0) return undefined;
  return `${bad.map((b) => `"${b}"`).join(', ')} is not a group number, all or none`;
}

/** The line of the item: the first line from the entry's that names the attribute and value. */
function itemLine(entry: Entry, item: Item, texts: Map<string, string[] | undefined>): number {
  const file = entry.origin.file;
  if (!texts.has(file)) {
    let lines: string[] | undefined;
    try {
      lines = readFileSync(file, 'latin1').split('\n');
    } catch {
      lines = undefined;
    }
    texts.set(file, lines);
  }
  const lines = texts.get(file);
  if (!lines) return entry.origin.line;
  const name = item.attr.name.toLowerCase();
  for (let i = entry.origin.line - 1; i < lines.length; i++) {
    const l = lines[i]!.toLowerCase();
    if (l.includes(name) && lines[i]!.includes(item.text)) return i + 1;
  }
  return entry.origin.line;
}
