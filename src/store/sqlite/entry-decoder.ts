import type { Dictionary } from '../../protocol/dictionary.js';
import type { Entry, Item, Operator, Quote } from '../../policy/entry.js';
import { buildItem } from './item-builder.js';
import { SqliteStoreError } from './schema.js';
import type { StoredEntry, StoredItem } from './stored-entry.js';

/** One element of `entries.items_json`: [list, attribute, op, value_text, quote, tag]. */
type JsonItem = [list: 'check' | 'reply', attribute: string, op: Operator, text: string, quote: Quote, tag: number | null];

/** Most decoded items kept for reuse (shared reply items such as `SRead = "all,"`). */
const ITEM_CACHE_SIZE = 20_000;

/**
 * Turns stored entries into the evaluator's `Entry`, resolving attribute names against the
 * dictionary and converting values with the users-file parser's own functions, so an entry means
 * the same thing whichever source it came from. Decoded items are immutable and shared between
 * entries that hold the same item text.
 */
export class EntryDecoder {
  /** attribute -> (op, quote, tag) -> value text -> item. */
  private readonly items = new Map<string, Map<string, Map<string, Item>>>();
  private itemCount = 0;

  constructor(
    private readonly dict: Dictionary,
    /** Label used in `Entry.origin` and error messages: `sqlite:<path>`. */
    private readonly sourceName: string,
  ) {}

  /** The evaluator's entry; throws SqliteStoreError('bad_row') naming the row on bad content. */
  decode(stored: StoredEntry): Entry {
    return this.build(stored.id, stored.name, stored.fallThrough, () => ({
      check: stored.check.map((it) => this.item(it, 'check', stored.name)),
      reply: stored.reply.map((it) => this.item(it, 'reply', stored.name)),
    }));
  }

  /** Same as `decode`, from an entries row and its `items_json`. */
  decodeRow(id: number, name: string, fallThrough: boolean, itemsJson: string): Entry {
    return this.build(id, name, fallThrough, () => {
      const check: Item[] = [];
      const reply: Item[] = [];
      for (const [list, attribute, op, text, quote, tag] of JSON.parse(itemsJson) as JsonItem[]) {
        // Most items are shared by many rows: look them up before building a StoredItem.
        const group = this.group(attribute, op, quote, tag);
        let item = group.get(text);
        if (!item) {
          const stored: StoredItem = { attribute, op, text, quote };
          if (tag !== null) stored.tag = tag;
          item = this.build1(stored, list, name, group);
        }
        (list === 'check' ? check : reply).push(item);
      }
      return { check, reply };
    });
  }

  private build(id: number, name: string, fallThrough: boolean, lists: () => { check: Item[]; reply: Item[] }): Entry {
    const where = `${this.sourceName}#${id}`;
    try {
      const { check, reply } = lists();
      return { name, isDefault: name === 'DEFAULT', check, reply, fallThrough, origin: { file: where, line: 0 } };
    } catch (err) {
      throw new SqliteStoreError('bad_row', `${where}: ${(err as Error).message}`);
    }
  }

  private item(stored: StoredItem, list: 'check' | 'reply', name: string): Item {
    const group = this.group(stored.attribute, stored.op, stored.quote, stored.tag);
    return group.get(stored.text) ?? this.build1(stored, list, name, group);
  }

  /**
   * The cached items of one (attribute, operator, quote, tag): a nested lookup by short strings,
   * so a hit builds no key string (a miss on a 1,000,000-user store decodes every row it reads).
   */
  private group(attribute: string, op: Operator, quote: Quote, tag: number | null | undefined): Map<string, Item> {
    const sub = `${op}\u0000${quote}\u0000${tag ?? ''}`;
    let byKind = this.items.get(attribute);
    if (!byKind) this.items.set(attribute, (byKind = new Map()));
    let group = byKind.get(sub);
    if (!group) byKind.set(sub, (group = new Map()));
    return group;
  }

  private build1(stored: StoredItem, list: 'check' | 'reply', name: string, group: Map<string, Item>): Item {
    let item: Item;
    try {
      item = buildItem(this.dict, stored);
    } catch (err) {
      throw new Error(`Parse error (${list}) for entry ${name}: ${(err as Error).message}`);
    }
    // Same rule as the users-file parser: the device mishandles empty vendor attributes.
    if (list === 'reply' && item.attr.vendorId !== 0 && item.value.length === 0 && !item.expand && item.op !== '!*' && item.op !== '=*') {
      throw new Error(`Empty value for vendor attribute ${item.attr.name} in the reply of entry ${name}`);
    }
    if (++this.itemCount > ITEM_CACHE_SIZE) {
      this.items.clear();
      this.itemCount = 1;
      this.group(stored.attribute, stored.op, stored.quote, stored.tag).set(stored.text, item);
    } else {
      group.set(stored.text, item);
    }
    return item;
  }
}
