import type { Entry } from './entry.js';
import { regexTarget } from './regex.js';
import type { UsersProblem } from './users-parser.js';

/**
 * Items that load but cannot mean what their author meant, found in parsed entries (a users file
 * or the SQLite store) so `check` and the server's start-up log can warn about them with file
 * and line. The answers stay FreeRADIUS's; the warning is how the admin learns.
 */
export function usersWarnings(entries: readonly Entry[]): UsersProblem[] {
  const warnings: UsersProblem[] = [];
  for (const entry of entries) {
    for (const item of entry.check) {
      if (item.op !== '=~' && item.op !== '!~') continue;
      const target = regexTarget(item.attr.dataType);
      if (target === 'string') continue;
      const written = `${item.attr.name} ${item.op} ${item.quote}${item.text}${item.quote}`;
      const where = { file: entry.origin.file, line: entry.origin.line };
      if (target === 'octets-hex') {
        warnings.push({
          ...where,
          message: `${written} in entry ${entry.name} matches the pattern's bytes written as hex (0x...) against the value written as hex, as FreeRADIUS 3.2.1 does`,
          hint: `${item.attr.name} is octets: with ==, write the whole value as 0x<hex>`,
        });
        continue;
      }
      const effect = item.op === '=~'
        ? 'can never match: the entry never matches'
        : 'always matches when the request has the attribute';
      warnings.push({
        ...where,
        message: `${written} in entry ${entry.name} ${effect} (FreeRADIUS 3.2.1 applies regular expressions only to string attributes; ${item.attr.name} is ${item.attr.dataType})`,
        hint: item.op === '=~'
          ? `compare with ==, !=, <, > instead (e.g. ${item.attr.name} == <value>)`
          : `use != or !* instead`,
      });
    }
  }
  return warnings;
}

/** A warning as a configuration problem (`file:line: message (hint: ...)`). */
export function formatWarning(w: UsersProblem): { file: string; line: number; message: string } {
  return { file: w.file, line: w.line, message: w.hint ? `${w.message} (hint: ${w.hint})` : w.message };
}
