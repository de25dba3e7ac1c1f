import type { Dictionary } from '../../protocol/dictionary.js';
import type { Entry, Item } from '../../policy/entry.js';
import { buildItem } from './item-builder.js';
import { SqliteStoreError } from './schema.js';
import type { StoredEntry, StoredItem } from './stored-entry.js';

/**
 * Turns stored entries into the evaluator's `Entry`, resolving attribute names against the
 * dictionary and converting values with the same function the users-file parser uses, so an
 * entry means the same thing whichever source it came from.
 */
export class EntryDecoder {
  constructor(
    private readonly dict: Dictionary,
    /** Label used in `Entry.origin` and error messages: `sqlite:<path>`. */
    private readonly sourceName: string,
  ) {}

  /** The evaluator's entry; throws SqliteStoreError('bad_row') naming the row on bad content. */
  decode(stored: StoredEntry): Entry {
    const where = `${this.sourceName}#${stored.id}`;
    try {
      return {
        name: stored.name,
        isDefault: stored.name === 'DEFAULT',
        check: stored.check.map((it) => this.item(it, 'check')),
        reply: stored.reply.map((it) => this.item(it, 'reply')),
        fallThrough: stored.fallThrough,
        origin: { file: where, line: 0 },
      };
    } catch (err) {
      if (err instanceof SqliteStoreError) throw err;
      throw new SqliteStoreError('bad_row', `${where}: entry ${stored.name}: ${(err as Error).message}`);
    }
  }

  private item(stored: StoredItem, list: 'check' | 'reply'): Item {
    const def = this.dict.attributeByName(stored.attribute);
    if (!def) throw new Error(`Parse error (${list}): Unknown name "${stored.attribute}"`);
    return buildItem(def, stored.op, stored.text, stored.quote, stored.tag);
  }
}
