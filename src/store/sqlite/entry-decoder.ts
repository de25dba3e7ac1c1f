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
 * Most values kept per (attribute, operator, quote, tag). A group that fills up with values
 * mostly used once (passwords: one per user) is emptied and no longer cached: looking each new
 * value up in a table of thousands that never hits was a tenth of decoding a row at 1M users.
 */
const GROUP_LIMIT = 4096;

/** Most reply parts of `items_json` kept (distinct profiles). */
const TAIL_LIMIT = 4096;

/** Decoded items of one (attribute, operator, quote, tag), by value text. */
interface ItemGroup {
  op: Operator;
  quote: Quote;
  tag: number | null;
  byText: Map<string, Item>;
  /** Lookups answered from `byText`. */
  hits: number;
  /** Values of this group are mostly single-use: built every time, never looked up. */
  uncached: boolean;
}

/**
 * Turns stored entries into the evaluator's `Entry`, resolving attribute names against the
 * dictionary and converting values with the users-file parser's own functions, so an entry means
 * the same thing whichever source it came from. Decoded items are immutable and shared between
 * entries that hold the same item text.
 */
export class EntryDecoder {
  /** attribute -> its (op, quote, tag) groups -> value text -> item. */
  private readonly items = new Map<string, ItemGroup[]>();
  private itemCount = 0;
  /** Decoded reply lists by the reply part of `items_json` (see decodeByReplyTail). */
  private readonly replyTails = new Map<string, Item[]>();
  private tailHits = 0;
  private tailsUncached = false;
  /** Reply lists already decoded, by their first item: rows of one profile share one list. */
  private readonly replyLists = new Map<Item, Item[][]>();
  private replyListCount = 0;

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
    let lists: [check: Item[], reply: Item[]];
    try {
      lists = this.decodeByReplyTail(itemsJson, name) ?? this.decodeItems(JSON.parse(itemsJson) as JsonItem[], name);
    } catch (err) {
      throw new SqliteStoreError('bad_row', `${this.sourceName}#${id}: ${(err as Error).message}`);
    }
    return { name, isDefault: name === 'DEFAULT', check: lists[0], reply: lists[1], fallThrough, origin: new RowOrigin(this.sourceName, id) };
  }

  /**
   * The writers keep check items before reply items, and users of one profile share the reply
   * part of `items_json` word for word: that part is looked up whole, so only the check items
   * (usually the user's password) are parsed. `],["reply",` only occurs where a reply item
   * follows another item (inside a JSON string a quote is always escaped). Undefined when the
   * row does not have that layout, or reply parts are not shared in this store.
   */
  private decodeByReplyTail(json: string, name: string): [Item[], Item[]] | undefined {
    if (this.tailsUncached) return undefined;
    const split = json.indexOf('],["reply",');
    if (split < 0) return undefined;
    const tail = json.slice(split);
    let reply = this.replyTails.get(tail);
    if (reply === undefined) {
      const [tailCheck, tailReply] = this.decodeItems(JSON.parse(`[${tail.slice(2)}`) as JsonItem[], name);
      if (tailCheck.length > 0) return undefined;
      reply = tailReply;
      this.rememberTail(tail, reply);
    } else {
      this.tailHits++;
    }
    const [check, headReply] = this.decodeItems(JSON.parse(`${json.slice(0, split + 1)}]`) as JsonItem[], name);
    if (headReply.length > 0) return undefined;
    return [check, reply];
  }

  private rememberTail(tail: string, reply: Item[]): void {
    if (this.replyTails.size < TAIL_LIMIT) {
      // A copy: the slice would keep the whole items_json of this row alive.
      this.replyTails.set(JSON.parse(JSON.stringify(tail)) as string, reply);
    } else if (this.tailHits < this.replyTails.size) {
      // Reply parts are mostly one user's own (per-user values): stop looking them up.
      this.tailsUncached = true;
      this.replyTails.clear();
    }
  }

  /** Decodes parsed items into exact-size check and reply lists (the reply list shared). */
  private decodeItems(items: JsonItem[], name: string): [Item[], Item[]] {
    let checks = 0;
    for (let k = 0; k < items.length; k++) if (items[k]![0] === 'check') checks++;
    // Exact-size lists: lists grown by push keep room for 17 items (about 130 bytes each).
    const check = new Array<Item>(checks);
    const reply = new Array<Item>(items.length - checks);
    let c = 0;
    let r = 0;
    for (let k = 0; k < items.length; k++) {
      const [list, attribute, op, text, quote, tag] = items[k]!;
      // Most items are shared by many rows: look them up before building a StoredItem.
      const group = this.group(attribute, op, quote, tag);
      let item = group.uncached ? undefined : group.byText.get(text);
      if (item) {
        group.hits++;
      } else {
        const stored: StoredItem = { attribute, op, text, quote };
        if (tag !== null) stored.tag = tag;
        item = this.build1(stored, list, name, group);
      }
      if (list === 'check') check[c++] = item;
      else reply[r++] = item;
    }
    // Rows of one profile decode to the same items in the same order: share the reply list
    // too (about 80 bytes per cached user; lists are never changed once decoded).
    return [check, this.sharedList(reply)];
  }

  private sharedList(list: Item[]): Item[] {
    if (list.length === 0) return list;
    let lists = this.replyLists.get(list[0]!);
    if (lists) {
      for (let k = 0; k < lists.length; k++) if (sameItems(lists[k]!, list)) return lists[k]!;
    } else {
      lists = [];
    }
    // Bounded like the item cache; lists with a user's own values would never be shared.
    if (lists.length < 16 && this.replyListCount < ITEM_CACHE_SIZE) {
      if (lists.length === 0) this.replyLists.set(list[0]!, lists);
      lists.push(list);
      this.replyListCount++;
    }
    return list;
  }

  private build(id: number, name: string, fallThrough: boolean, lists: () => { check: Item[]; reply: Item[] }): Entry {
    try {
      const { check, reply } = lists();
      return { name, isDefault: name === 'DEFAULT', check, reply, fallThrough, origin: new RowOrigin(this.sourceName, id) };
    } catch (err) {
      throw new SqliteStoreError('bad_row', `${this.sourceName}#${id}: ${(err as Error).message}`);
    }
  }

  private item(stored: StoredItem, list: 'check' | 'reply', name: string): Item {
    const group = this.group(stored.attribute, stored.op, stored.quote, stored.tag);
    const item = group.uncached ? undefined : group.byText.get(stored.text);
    if (item === undefined) return this.build1(stored, list, name, group);
    group.hits++;
    return item;
  }

  /**
   * The cached items of one (attribute, operator, quote, tag): the kinds of an attribute are
   * few (usually one), so they are searched in a short list by the JSON parser's own strings
   * instead of building a key string per item (a miss on a 1,000,000-user store decodes every
   * row it reads).
   */
  private group(attribute: string, op: Operator, quote: Quote, tag: number | null | undefined): ItemGroup {
    const t = tag ?? null;
    let kinds = this.items.get(attribute);
    if (!kinds) this.items.set(attribute, (kinds = []));
    for (let k = 0; k < kinds.length; k++) {
      const g = kinds[k]!;
      if (g.op === op && g.quote === quote && g.tag === t) return g;
    }
    const g: ItemGroup = { op, quote, tag: t, byText: new Map(), hits: 0, uncached: false };
    kinds.push(g);
    return g;
  }

  private build1(stored: StoredItem, list: 'check' | 'reply', name: string, group: ItemGroup): Item {
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
    if (group.uncached) return item;
    if (group.byText.size >= GROUP_LIMIT) {
      // Full: keep it (lookups only) when its values are shared, else stop caching the group.
      if (group.hits < group.byText.size) {
        group.uncached = true;
        this.itemCount -= group.byText.size;
        group.byText = new Map();
      }
      return item;
    }
    if (++this.itemCount > ITEM_CACHE_SIZE) {
      this.items.clear();
      this.itemCount = 1;
      this.replyLists.clear();
      this.replyListCount = 0;
      this.replyTails.clear();
      this.group(stored.attribute, stored.op, stored.quote, stored.tag).byText.set(stored.text, item);
    } else {
      group.byText.set(stored.text, item);
    }
    return item;
  }
}

function sameItems(a: Item[], b: Item[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * `Entry.origin` of a row, `sqlite:<path>#<id>`, made when read (traces): a cached entry keeps
 * two fields instead of a string per row.
 */
class RowOrigin {
  readonly line = 0;
  constructor(private readonly source: string, private readonly id: number) {}
  get file(): string {
    return `${this.source}#${this.id}`;
  }
  toJSON(): { file: string; line: number } {
    return { file: this.file, line: 0 };
  }
}
