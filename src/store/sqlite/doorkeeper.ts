/**
 * An approximate memory of the names offered recently, for cache admission: `admit(name)` is
 * true when the same name was offered among about the last `window` offers (or, for a few
 * names, when another name shares its bit), false the first time.
 *
 * The SQLite source keeps a decoded user only from its second miss on. Under more users than
 * the cache holds, requested round-robin, no user is asked again before it would be evicted, so
 * keeping them all was pure cost: every kept user is copied out of V8's young generation and
 * later collected from the old one (about 2 us per miss at 1M users, against about 8.5 us for
 * the whole miss). A name that does come back is kept on its second miss.
 *
 * Two bit sets of at least 8 bits per name of half a window each (64 Kibit at least, so small
 * windows see almost no shared bits); the older one is cleared when the
 * current one has taken half a window of names, so a name is remembered for at least half a
 * window and at most a window. No allocation per offer.
 */
export class Doorkeeper {
  private current: Int32Array;
  private older: Int32Array;
  private readonly mask: number;
  private readonly half: number;
  private offered = 0;

  constructor(window: number) {
    this.half = Math.max(1, Math.floor(window / 2));
    let bits = 1 << 16;
    while (bits < this.half * 8 && bits < 1 << 30) bits *= 2;
    this.mask = bits - 1;
    this.current = new Int32Array(bits >>> 5);
    this.older = new Int32Array(bits >>> 5);
  }

  /** True when `name` was offered recently; remembers it either way. */
  admit(name: string): boolean {
    const h = hash(name) & this.mask;
    const word = h >>> 5;
    const bit = 1 << (h & 31);
    if ((this.current[word]! & bit) !== 0) return true;
    const seen = (this.older[word]! & bit) !== 0;
    this.current[word]! |= bit;
    if (++this.offered >= this.half) {
      const cleared = this.older;
      cleared.fill(0);
      this.older = this.current;
      this.current = cleared;
      this.offered = 0;
    }
    return seen;
  }
}

/** FNV-1a over the UTF-16 code units, with a final mix so the low bits depend on every unit. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}
