/**
 * The `filter_username` policy of FreeRADIUS's default site (raddb/policy.d/filter), which runs
 * first in `authorize` and rejects malformed User-Names before any users entry is looked at.
 * Returns the stable reason, or undefined when the name passes. The rules, in FreeRADIUS order:
 * whitespace (a space) anywhere; two '@'; ".."; an '@' without "x.y" after it; a trailing '.';
 * "@." (realm starting with a dot).
 */
export type UserNameProblem =
  | 'whitespace'
  | 'multiple_at'
  | 'double_dot'
  | 'realm_without_dot'
  | 'trailing_dot'
  | 'realm_leading_dot';

/** Human text as FreeRADIUS writes it into Module-Failure-Message. */
export const USER_NAME_PROBLEM_TEXT: Record<UserNameProblem, string> = {
  whitespace: 'Rejected: User-Name contains whitespace',
  multiple_at: 'Rejected: Multiple @ in User-Name',
  double_dot: 'Rejected: User-Name contains multiple ..s',
  realm_without_dot: 'Rejected: Realm does not have at least one dot separator',
  trailing_dot: 'Rejected: Realm ends with a dot',
  realm_leading_dot: 'Rejected: Realm begins with a dot',
};

/** Applies filter_username to a User-Name (as text). */
export function filterUserName(name: string): UserNameProblem | undefined {
  if (name.includes(' ')) return 'whitespace';
  if (/@[^@]*@/.test(name)) return 'multiple_at';
  if (name.includes('..')) return 'double_dot';
  if (name.includes('@') && !/@(.+)\.(.+)$/.test(name)) return 'realm_without_dot';
  if (name.endsWith('.')) return 'trailing_dot';
  if (name.includes('@.')) return 'realm_leading_dot';
  return undefined;
}

/**
 * Offset of the first control character in a User-Name (C0 0x00-0x1F, DEL 0x7F, or a UTF-8
 * encoded C1 U+0080-U+009F), -1 when there is none. FreeRADIUS 3.2.1 has no such check: its
 * files lookup stops at an embedded NUL ("alice\0x" finds alice's entries) and other control
 * characters pass through to logs; we refuse them before anything else looks at the name.
 */
export function controlCharacterOffset(name: Buffer): number {
  for (let i = 0; i < name.length; i++) {
    const b = name[i]!;
    if (b < 0x20 || b === 0x7f) return i;
    if (b === 0xc2 && i + 1 < name.length && name[i + 1]! >= 0x80 && name[i + 1]! <= 0x9f) return i;
  }
  return -1;
}
