import type { Avp } from '../protocol/attribute.js';
import type { Operator } from './entry.js';
import { compareValues, sameAttr } from './compare.js';
import { isFallThrough } from './users-item.js';

/**
 * The two list merges FreeRADIUS applies after a users entry matches.
 */

/** An item ready to merge: its operator and its (expanded) value. */
export interface MergeItem {
  op: Operator;
  avp: Avp;
}

/**
 * Reply merge, `radius_pairmove` (src/main/evaluate.c, 3.2.1). Every operator acts on the reply
 * as it stood BEFORE this entry (items of one entry do not see each other):
 * `=` add if absent; `:=` overwrite the first (not yet edited) instance, else add; `+=` add;
 * `^=` put in front (each in front of the previous one); `-=` delete instances equal to the value; `==` delete instances that differ
 * (never adds); `<=` / `>=` replace the first instance that is greater / smaller, else add;
 * `!*` delete every instance. Other operators are silently dropped (as in the NDEBUG build).
 * Added items go after the kept ones, in order. Returns a new list.
 */
export function mergeReply(before: readonly Avp[], items: readonly MergeItem[]): Avp[] {
  if (items.length === 0) return before as Avp[];
  const to: (Avp | null)[] = before.slice();
  const edited: boolean[] = new Array<boolean>(to.length).fill(false);
  const append: Avp[] = [];
  const prepend: Avp[] = [];
  for (const { op, avp } of items) {
    if (op === '+=') { append.push(avp); continue; }
    if (op === '^=') { prepend.unshift(avp); continue; }
    let found = false;
    let consumed = false;
    for (let j = 0; j < to.length && !consumed; j++) {
      const cur = to[j];
      if (edited[j] || !cur || !sameAttr(cur.def, avp.def)) continue;
      if (op === ':=') { to[j] = avp; edited[j] = true; consumed = true; break; }
      if (op === '=') { found = true; break; }
      if (op === '!*') { to[j] = null; continue; }
      if (op === '-=' || op === '==' || op === '<=' || op === '>=') {
        const rc = compareValues(cur.def, cur.value, cur.tag, avp.value, avp.tag);
        if (op === '==' ? rc !== 0 : op === '-=' ? rc === 0 : false) to[j] = null;
        else if ((op === '<=' && rc > 0) || (op === '>=' && rc < 0)) { to[j] = avp; edited[j] = true; consumed = true; }
      }
    }
    if (!found && !consumed && (op === '=' || op === '<=' || op === '>=' || op === ':=')) append.push(avp);
  }
  const out: Avp[] = prepend;
  for (const a of to) if (a) out.push(a);
  for (const a of append) out.push(a);
  return out;
}

/**
 * Control merge, `fr_pair_list_move` (src/lib/pair.c, 3.2.1), for the check items of a matched
 * entry: `=` add if the control list has no instance; `:=` overwrite the first instance in place
 * and delete the later ones, else add; `+=` add; `^=` put in front (each in front of the previous
 * one); comparison operators are not moved; Fall-Through is never moved. Returns a new list.
 */
export function mergeControl(before: readonly Avp[], items: readonly MergeItem[]): Avp[] {
  let work: Avp[] | undefined;
  const added: Avp[] = [];
  const front: Avp[] = [];
  for (const { op, avp } of items) {
    if (isFallThrough(avp.def)) continue;
    const list = work ?? before;
    if (op === '=') {
      if (!list.some((a) => sameAttr(a.def, avp.def))) added.push(avp);
    } else if (op === ':=') {
      const idx = list.findIndex((a) => sameAttr(a.def, avp.def));
      if (idx < 0) { added.push(avp); continue; }
      const next = list.slice(0, idx + 1);
      next[idx] = avp;
      for (let k = idx + 1; k < list.length; k++) if (!sameAttr(list[k]!.def, avp.def)) next.push(list[k]!);
      work = next;
    } else if (op === '+=') {
      added.push(avp);
    } else if (op === '^=') {
      front.unshift(avp);
    }
  }
  const base = work ?? before;
  if (added.length === 0 && front.length === 0) return base as Avp[];
  return [...front, ...base, ...added];
}
