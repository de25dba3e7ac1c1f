import type { Entry, Item } from './entry.js';

/**
 * Writes entries back as users-file text that parses to the same entries (used by SQLite
 * export). Each item is written with its original quote and text (`Item.text` is the value as
 * written between its quotes), so escapes and expansions survive byte for byte. Reply items go
 * one per line, every line but the last ending with a comma; `Fall-Through = Yes` is written as
 * the last reply item when the entry has it. Names that need it (white space, commas, quotes,
 * a leading '#' or '$') are double-quoted.
 */

function writeName(name: string): string {
  if (name !== '' && !/[\s,"'`\\#]/.test(name) && !/^[$]/.test(name)) return name;
  return `"${name.replace(/"/g, '\\"')}"`;
}

/** One item as `Attribute[:tag] op value`. */
export function writeItem(item: Item): string {
  // A Merit-style tag (":1:value") travels in the value text; writing it twice would not load.
  const tag = item.tag !== undefined && item.attr.flags.hasTag && !item.text.startsWith(':') ? `:${item.tag}` : '';
  const value = item.op === '=*' || item.op === '!*'
    ? (item.text === '' ? 'ANY' : `${item.quote}${item.text}${item.quote}`)
    : `${item.quote}${item.text}${item.quote}`;
  return `${item.attr.name}${tag} ${item.op} ${value === '' ? '""' : value}`;
}

/** One entry: the name and check items on the first line, reply items indented below. */
export function writeEntry(entry: Entry): string {
  const first = entry.check.length > 0 ? `${writeName(entry.name)}\t${entry.check.map(writeItem).join(', ')}` : writeName(entry.name);
  const reply = entry.reply.map(writeItem);
  if (entry.fallThrough) reply.push('Fall-Through = Yes');
  const lines = [first, ...reply.map((r, i) => `\t${r}${i < reply.length - 1 ? ',' : ''}`)];
  return `${lines.join('\n')}\n`;
}

/** A whole users file (entries separated by blank lines). */
export function writeUsersFile(entries: readonly Entry[]): string {
  return entries.map(writeEntry).join('\n');
}
