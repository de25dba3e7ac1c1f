import type { Entry, Item, Operator, Quote } from './entry.js';

/**
 * The one users-file writer: entries back as text that parses to the same entries. Used by the
 * round-trip tests on parsed entries and by the SQLite `export` on stored entries, which is why it
 * works on the written form (name, operator, value text, quote, tag) rather than on `Item`.
 *
 * Each item is written with its original quote and text (the value as written between its
 * quotes), so escapes and expansions survive byte for byte. Reply items go one per line, every
 * line but the last ending with a comma; `Fall-Through = Yes` is written as the last reply item
 * when the entry has it. Entries are separated by a blank line.
 */

/** An item as written in a users file: what the writer needs of a parsed or a stored item. */
export interface WrittenItem {
  /** The attribute name as it is to be written (dictionary name or a raw `Attr-N` form). */
  attribute: string;
  op: Operator;
  /** The value exactly as written between its quotes (before escapes). */
  text: string;
  quote: Quote;
  tag?: number;
}

/** An entry in written form. */
export interface WrittenEntry {
  name: string;
  fallThrough: boolean;
  check: readonly WrittenItem[];
  reply: readonly WrittenItem[];
}

/**
 * A user name as the first word of an entry: bare when it can be, else double-quoted. Inside
 * quotes the lexer turns `\"` into `"` and keeps every other backslash pair, so a name with a
 * backslash before a quote or at its end reads back only bare (when it has no white space or
 * comma); such a name with white space cannot be written at all and is quoted as best it can be.
 */
export function writeName(name: string): string {
  if (/^[^\s,"#$'`\\]+$/.test(name)) return name;
  const quotable = !/\\("|$)/.test(name);
  if (!quotable && /^[^\s,"#'`][^\s,]*$/.test(name) && !/^\$include$/i.test(name)) return name;
  return `"${name.replace(/"/g, '\\"')}"`;
}

/**
 * One item as `Attribute[:tag] op value`. A tag written Merit-style at the start of the value
 * (`":1:100"`) stays there and is not repeated after the name. An empty unquoted value is
 * written `ANY` for `=*` / `!*` and `""` otherwise, so the line still loads.
 */
export function writeWrittenItem(it: WrittenItem): string {
  const tag = it.tag !== undefined && !it.text.startsWith(':') ? `:${it.tag}` : '';
  const quoted = `${it.quote}${it.text}${it.quote}`;
  const value = quoted !== '' ? quoted : it.op === '=*' || it.op === '!*' ? 'ANY' : '""';
  return `${it.attribute}${tag} ${it.op} ${value}`;
}

/**
 * The written form of a parsed item. The name is the one written when the item was written in a
 * raw form (`Attr-26.9.1 = 0x4142` keeps `Attr-26.9.1`: `Cisco-AVPair = 0x4142` would be a
 * different value); a tag only counts on attributes that have tags, as when it was read.
 */
export function writtenItemOf(item: Item): WrittenItem {
  const it: WrittenItem = { attribute: item.attrText ?? item.attr.name, op: item.op, text: item.text, quote: item.quote };
  if (item.tag !== undefined && item.attr.flags.hasTag) it.tag = item.tag;
  return it;
}

/** One entry: the name and check items on the first line, reply items indented below. */
export function writeEntryLines(entry: WrittenEntry): string[] {
  const check = entry.check.map(writeWrittenItem).join(', ');
  const reply = entry.reply.map(writeWrittenItem);
  if (entry.fallThrough) reply.push('Fall-Through = Yes');
  return [
    check ? `${writeName(entry.name)}\t${check}` : writeName(entry.name),
    ...reply.map((r, i) => `\t${r}${i < reply.length - 1 ? ',' : ''}`),
  ];
}

/**
 * A whole users file from entries in written form, optionally after a `# ` comment header;
 * entries (and the header) separated by blank lines; '' when there is nothing to write.
 */
export function writeUsersText(entries: Iterable<WrittenEntry>, header?: string): string {
  const out: string[] = [];
  if (header) for (const line of header.split('\n')) out.push(`# ${line}`.trimEnd());
  for (const e of entries) {
    if (out.length > 0) out.push('');
    out.push(...writeEntryLines(e));
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

/** A whole users file from parsed entries. */
export function writeUsersFile(entries: readonly Entry[]): string {
  return writeUsersText(entries.map(writtenEntryOf));
}

function writtenEntryOf(entry: Entry): WrittenEntry {
  return { name: entry.name, fallThrough: entry.fallThrough, check: entry.check.map(writtenItemOf), reply: entry.reply.map(writtenItemOf) };
}
