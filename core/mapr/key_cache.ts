/**
 * Group keys interned by their bytes: a line's group-by values are written as one byte string
 * (per value a tag, its length and its UTF-8 bytes, or the UTF-16 units of a computed text),
 * hashed (FNV-1a), and looked up here. Only a key not seen before is turned into the group key
 * text and looked up by text (GroupSet). Keys of different bytes may name the same group (invalid
 * UTF-8 decodes to U+FFFD; a value may be bytes on one line and text on another): each has its
 * own entry pointing to that group.
 *
 * The cache is bounded (KEY_CACHE_ENTRIES keys, KEY_CACHE_BYTES of key bytes) and starts over
 * when full, so memory stays flat however many groups there are. LineKeys turns it off while
 * most keys are new.
 */

import { ABSENT, BYTES, type LineFields, SlotCache, TEXT } from "./line_fields.ts";

export const KEY_CACHE_ENTRIES = 1 << 16;
const KEY_CACHE_BYTES = 8 << 20;

/** FNV-1a, which callers compute over their keys' values as they write them. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** Entries a cache has room for at first; it doubles up to KEY_CACHE_ENTRIES. */
const FIRST_ENTRIES = 256;

export class KeyCache {
  /**
   * Open addressing: entry + 1 per cell, 0 when free; twice as many cells as entries. It starts
   * small: a query of a few groups (most) does not zero 1.5 MB at its start (~3 ms) nor at a clear.
   */
  #table = new Int32Array(FIRST_ENTRIES * 2);
  #mask = FIRST_ENTRIES * 2 - 1;
  #hashes = new Int32Array(FIRST_ENTRIES);
  #offsets = new Int32Array(FIRST_ENTRIES);
  #lengths = new Int32Array(FIRST_ENTRIES);
  #groups = new Int32Array(FIRST_ENTRIES);
  /** Per entry, the text of each of its `parts` values (undefined where missing). */
  readonly #texts: (string | undefined)[] = [];
  #bytes = new Uint8Array(64 * 1024);
  #used = 0;
  #count = 0;

  constructor(readonly parts: number) {}

  /** The entry of `key[0, length)` with hash `hash`, or -1. */
  find(key: Uint8Array, length: number, hash: number): number {
    const table = this.#table;
    const bytes = this.#bytes;
    for (let cell = hash & this.#mask;; cell = (cell + 1) & this.#mask) {
      const e = table[cell]! - 1;
      if (e < 0) return -1;
      if (this.#hashes[e] !== hash || this.#lengths[e] !== length) continue;
      const at = this.#offsets[e]!;
      let i = 0;
      while (i < length && bytes[at + i] === key[i]) i++;
      if (i === length) return e;
    }
  }

  /** Adds a key not in the cache for `group`, with its values' texts; returns its entry. */
  add(
    key: Uint8Array,
    length: number,
    hash: number,
    group: number,
    texts: readonly (string | undefined)[],
  ): number {
    if (this.#count === KEY_CACHE_ENTRIES || this.#used + length > KEY_CACHE_BYTES) this.clear();
    if (this.#count === this.#hashes.length) this.#grow();
    if (this.#used + length > this.#bytes.length) {
      const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#used + length));
      grown.set(this.#bytes.subarray(0, this.#used));
      this.#bytes = grown;
    }
    const e = this.#count++;
    this.#bytes.set(key.subarray(0, length), this.#used);
    this.#offsets[e] = this.#used;
    this.#used += length;
    this.#lengths[e] = length;
    this.#hashes[e] = hash;
    this.#groups[e] = group;
    for (let j = 0; j < this.parts; j++) this.#texts[e * this.parts + j] = texts[j];
    let cell = hash & this.#mask;
    while (this.#table[cell] !== 0) cell = (cell + 1) & this.#mask;
    this.#table[cell] = e + 1;
    return e;
  }

  /** Room for twice as many entries (at most KEY_CACHE_ENTRIES), the table rebuilt. */
  #grow(): void {
    const entries = this.#hashes.length * 2;
    const widen = (a: Int32Array) => {
      const b = new Int32Array(entries);
      b.set(a);
      return b;
    };
    this.#hashes = widen(this.#hashes);
    this.#offsets = widen(this.#offsets);
    this.#lengths = widen(this.#lengths);
    this.#groups = widen(this.#groups);
    this.#table = new Int32Array(entries * 2);
    this.#mask = entries * 2 - 1;
    for (let e = 0; e < this.#count; e++) {
      let cell = this.#hashes[e]! & this.#mask;
      while (this.#table[cell] !== 0) cell = (cell + 1) & this.#mask;
      this.#table[cell] = e + 1;
    }
  }

  group(entry: number): number {
    return this.#groups[entry]!;
  }

  /** The text of the entry's j-th value; undefined where it was missing. */
  text(entry: number, j: number): string | undefined {
    return this.#texts[entry * this.parts + j];
  }

  /** Forgets every key (the groups they pointed to were moved or replaced). */
  clear(): void {
    if (this.#count === 0) return;
    this.#table.fill(0);
    this.#texts.length = 0;
    this.#count = 0;
    this.#used = 0;
  }
}

/** Lines between checks of how well the cache pays (LineKeys). */
const CHECK_EVERY = 4096;
/** Lines a key set that missed too often goes by text before it tries the cache again. */
const BY_TEXT_LINES = 1 << 16;

/**
 * The group keys of parsed lines (GroupSet.addLine): by their bytes through a KeyCache while
 * most keys were seen before; by their text (a string per line, as without the cache) while most
 * are new, as with a million groups, where the cache would only cost. Checked every CHECK_EVERY
 * lines.
 */
export class LineKeys {
  readonly #slots: SlotCache;
  readonly #parts: number;
  #cache: KeyCache | null = null;
  #entry = -1;
  #key: Uint8Array = new Uint8Array(256);
  #byText = false;
  #lines = 0;
  #misses = 0;

  constructor(groupBy: readonly string[]) {
    this.#slots = new SlotCache(groupBy);
    this.#parts = groupBy.length;
  }

  /** Whether keys go by text now (the caller may then hand over decoded batches). */
  get byText(): boolean {
    return this.#byText;
  }

  /**
   * The group of the line in `fields`: found by the key's bytes, or by its text through
   * `groupOf` (which creates the group when new).
   */
  group(fields: LineFields, groupOf: (key: string) => number): number {
    const lines = ++this.#lines;
    if (this.#byText) {
      if (lines < BY_TEXT_LINES) return groupOf(this.#text(fields));
      // Back to bytes with this line: `part` then reads its entry (not one of an earlier line).
      this.#reset(false);
      return this.#byBytes(fields, groupOf);
    }
    if (lines >= CHECK_EVERY) {
      const missing = this.#misses * 2 > lines;
      this.#reset(missing);
      if (missing) return groupOf(this.#text(fields));
    }
    return this.#byBytes(fields, groupOf);
  }

  /** The text of the line's j-th group-by value, after `group`; undefined when missing. */
  part(fields: LineFields, j: number): string | undefined {
    if (this.#byText) return fields.textAt(this.#slots.of(fields)[j]!);
    return this.#cache!.text(this.#entry, j);
  }

  /** Forgets every key (the groups were moved or replaced). */
  clear(): void {
    this.#cache?.clear();
  }

  #reset(byText: boolean): void {
    this.#byText = byText;
    this.#lines = 0;
    this.#misses = 0;
  }

  /** The group-by values of the line joined with `,`, missing ones empty. */
  #text(fields: LineFields): string {
    const slots = this.#slots.of(fields);
    let key = fields.textAt(slots[0]!) ?? "";
    for (let j = 1; j < slots.length; j++) key += "," + (fields.textAt(slots[j]!) ?? "");
    return key;
  }

  #byBytes(fields: LineFields, groupOf: (key: string) => number): number {
    const slots = this.#slots.of(fields);
    const kinds = fields.kinds;
    let key = this.#key;
    let n = 0;
    let hash = FNV_OFFSET;
    for (let j = 0; j < slots.length; j++) {
      const at = slots[j]!;
      const kind = kinds[at]!;
      if (kind & BYTES) {
        const source = fields.sources[at]!;
        const start = fields.starts[at]!;
        const length = fields.ends[at]! - start;
        if (n + 5 + length > key.length) key = this.#grow(n + 5 + length);
        key[n] = BYTES;
        n = putLength(key, n + 1, length);
        for (let i = start; i < start + length; i++) {
          const b = source[i]!;
          key[n++] = b;
          hash = Math.imul(hash ^ b, FNV_PRIME);
        }
      } else if (kind === TEXT) {
        const text = fields.texts[at]!;
        if (n + 5 + 2 * text.length > key.length) key = this.#grow(n + 5 + 2 * text.length);
        key[n] = TEXT;
        n = putLength(key, n + 1, text.length);
        for (let i = 0; i < text.length; i++) {
          const unit = text.charCodeAt(i);
          key[n++] = unit & 0xff;
          key[n++] = unit >> 8;
          hash = Math.imul(hash ^ unit, FNV_PRIME);
        }
      } else {
        if (n + 1 > key.length) key = this.#grow(n + 1);
        key[n++] = ABSENT;
      }
      hash = Math.imul(hash ^ kind, FNV_PRIME);
    }
    const cache = this.#cache ??= new KeyCache(this.#parts);
    let entry = cache.find(key, n, hash);
    if (entry < 0) {
      this.#misses++;
      const texts = Array.from(slots, (at) => fields.textAt(at));
      let text = texts[0] ?? "";
      for (let j = 1; j < texts.length; j++) text += "," + (texts[j] ?? "");
      entry = cache.add(key, n, hash, groupOf(text), texts);
    }
    this.#entry = entry;
    return cache.group(entry);
  }

  #grow(size: number): Uint8Array {
    const key = new Uint8Array(Math.max(size, this.#key.length * 2));
    key.set(this.#key);
    return this.#key = key;
  }
}

/** Writes `length` as 4 bytes at `at`; returns the index after them. */
function putLength(key: Uint8Array, at: number, length: number): number {
  key[at] = length & 0xff;
  key[at + 1] = (length >> 8) & 0xff;
  key[at + 2] = (length >> 16) & 0xff;
  key[at + 3] = length >>> 24;
  return at + 4;
}
