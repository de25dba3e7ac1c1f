/**
 * The rule that holds back a users file a file-watcher event finds empty or much shorter than the
 * one serving (`: > authorize`, an editor's half-written save, a copy still in progress), so one
 * bad save does not reject every user until it is rewritten. An explicit SIGHUP applies it.
 *
 * Held back when, for a file the serving configuration also loads:
 * - it has no entries while the serving one has some, or
 * - the serving one has at least {@link MIN_ENTRIES_FOR_RATIO} entries and the new one fewer than
 *   {@link KEEP_RATIO} of them (a small file may legitimately lose half its users in one edit).
 */
export const KEEP_RATIO = 0.5;
export const MIN_ENTRIES_FOR_RATIO = 10;

/** Entries per users file (by path) of a configuration. */
export interface UsersFileSize {
  file: string;
  entries: number;
}

/** One message per held-back file (empty when the change may be applied). */
export function heldBackUsersFiles(serving: readonly UsersFileSize[], next: readonly UsersFileSize[]): string[] {
  const before = new Map(serving.map((f) => [f.file, f.entries]));
  const out: string[] = [];
  for (const f of next) {
    const old = before.get(f.file);
    if (old === undefined || old === 0) continue;
    const shrunk = f.entries === 0 || (old >= MIN_ENTRIES_FOR_RATIO && f.entries < old * KEEP_RATIO);
    if (shrunk) {
      out.push(`${f.file}:0: now ${f.entries} entries where ${old} serve: held back as an empty or unfinished save; send SIGHUP (systemctl reload) to apply it as it is`);
    }
  }
  return out;
}
