import { formatStoredItem } from './profile.js';
import type { StoredEntry } from './stored-entry.js';

/**
 * Writes stored entries back in FreeRADIUS users-file form. Values are printed exactly as they
 * were written (text between the original quotes), so `import` of the output gives the same items:
 * import -> export -> import is a fixed point.
 *
 * Layout: `name check, check` on the first line, each reply item on its own tab-indented line,
 * every reply line but the last ending with a comma, `Fall-Through = Yes` last, a blank line
 * between entries. Disabled entries are left out (a users file has no such state).
 */
export function exportUsersText(entries: Iterable<StoredEntry>, header?: string): string {
  const out: string[] = [];
  if (header) for (const line of header.split('\n')) out.push(`# ${line}`.trimEnd());
  for (const e of entries) {
    if (!e.valid) continue;
    if (out.length > 0) out.push('');
    const check = e.check.map(formatStoredItem).join(', ');
    out.push(check ? `${formatName(e.name)}\t${check}` : formatName(e.name));
    const reply = e.reply.map(formatStoredItem);
    if (e.fallThrough) reply.push('Fall-Through = Yes');
    reply.forEach((r, i) => out.push(`\t${r}${i < reply.length - 1 ? ',' : ''}`));
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

/** A user name as the first word of an entry: bare when it can be, else double-quoted. */
export function formatName(name: string): string {
  if (/^[^\s,"#$'`\\]+$/.test(name)) return name;
  return `"${name.replace(/"/g, '\\"')}"`;
}
