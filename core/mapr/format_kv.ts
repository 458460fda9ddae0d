/**
 * `key=value` tokens (split at the first `=`) of `|`-separated lines, shared by the `default` and
 * `generickv` formats, read from the line's bytes. Only the keys a query uses are kept.
 */

import { lineEndFrom, newlineEntry } from "./format_common.ts";
import { decodeRange, type LineFields, spaceBefore } from "./line_fields.ts";

const BAR = 124;
const EQUALS = 61;
const NEWLINE = 10;
const encoder = new TextEncoder();
/** Keys this long or longer share one list (see #byLength). */
const MAX_INDEXED = 64;

/** Adds the wanted `k=v` tokens of a line to its fields. */
export class KeyValues {
  readonly #all: boolean;
  /** The wanted keys as UTF-8, with their slots. */
  readonly #keys: Uint8Array[];
  readonly #names: string[];
  #slots = new Int32Array(0);
  #owner: LineFields | null = null;
  /**
   * A wanted key holding U+FFFD could equal the text of invalid bytes: such keys are compared as
   * decoded text.
   */
  readonly #byText: boolean;
  /** Per key length (up to MAX_INDEXED), the first wanted key of that length + 1, or 0. */
  readonly #byLength = new Int32Array(MAX_INDEXED + 1);
  /** Per wanted key, the next one of the same length + 1, or 0. */
  readonly #sameLength: Int32Array;

  /** `needed` null: every key; otherwise only those names. */
  constructor(needed: ReadonlySet<string> | null) {
    this.#all = needed === null;
    this.#names = [...needed ?? []];
    this.#keys = this.#names.map((k) => encoder.encode(k));
    this.#byText = this.#names.some((k) => k.includes("\ufffd"));
    this.#sameLength = new Int32Array(this.#keys.length);
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      const length = Math.min(this.#keys[i]!.length, MAX_INDEXED);
      this.#sameLength[i] = this.#byLength[length]!;
      this.#byLength[length] = i + 1;
    }
  }

  /** Whether no key can ever be wanted (then values need not be looked at). */
  get none(): boolean {
    return !this.#all && this.#keys.length === 0;
  }

  /**
   * Adds the tokens of `bytes[from, end)` to `fields`. A token without `=` makes the line
   * malformed when `strict` (returns false; fields added so far stay) and is ignored otherwise.
   */
  add(fields: LineFields, bytes: Uint8Array, from: number, end: number, strict: boolean): boolean {
    this.#own(fields);
    let pos = from;
    for (;;) {
      let eq = pos;
      while (eq < end) {
        const c = bytes[eq]!;
        if (c === EQUALS || c === BAR) break;
        eq++;
      }
      if (eq === end || bytes[eq] === BAR) {
        if (strict) return false;
        if (eq === end) return true;
        pos = eq + 1;
        continue;
      }
      let bar = eq + 1;
      while (bar < end && bytes[bar] !== BAR) bar++;
      const slot = this.#slotOf(fields, bytes, pos, eq);
      if (slot >= 0) fields.setBytes(slot, bytes, eq + 1, bar);
      if (bar === end) return true;
      pos = bar + 1;
    }
  }

  /**
   * `add` (not strict) of the tokens of `bytes[from, end)`, reading where their `|` and `=` are
   * from `seps[k, n)` (positions in order, all within the range) rather than every byte.
   */
  addListed(
    fields: LineFields,
    bytes: Uint8Array,
    from: number,
    end: number,
    seps: Int32Array,
    k: number,
    n: number,
  ): void {
    this.#own(fields);
    let pos = from;
    while (k < n) {
      const eq = seps[k++]!;
      if (bytes[eq] === BAR) {
        pos = eq + 1;
        continue;
      }
      let bar = end;
      while (k < n) {
        const p = seps[k++]!;
        if (bytes[p] === BAR) {
          bar = p;
          break;
        }
      }
      const slot = this.#slotOf(fields, bytes, pos, eq);
      if (slot >= 0) fields.setBytes(slot, bytes, eq + 1, bar);
      pos = bar + 1;
    }
  }

  /**
   * `add` (strict) of the tokens from `from` to the end of the line that starts at `lineStart`,
   * which it finds on the way: the first "\n" at or after `from`, or `end` (`lineEnd`). The last
   * value ends where the line's trailing white space starts (`trimmedEnd`, as
   * String.prototype.trim). Returns whether every token is `k=v` (else the line is malformed;
   * `lineEnd` is set all the same, `trimmedEnd` not).
   */
  addToLineEnd(
    fields: LineFields,
    bytes: Uint8Array,
    from: number,
    end: number,
    lineStart: number,
  ): boolean {
    this.#own(fields);
    let pos = from;
    for (;;) {
      let eq = pos;
      let c = 0;
      while (eq < end) {
        c = bytes[eq]!;
        if (c === EQUALS || c === BAR || c === NEWLINE) break;
        eq++;
      }
      if (eq === end || c !== EQUALS) {
        this.lineEnd = c === NEWLINE && eq < end ? eq : lineEndFrom(bytes, eq, end);
        return false;
      }
      let bar = eq + 1;
      while (bar < end) {
        c = bytes[bar]!;
        if (c === BAR || c === NEWLINE) break;
        bar++;
      }
      const last = bar === end || c === NEWLINE;
      const slot = this.#slotOf(fields, bytes, pos, eq);
      if (last) {
        this.#lastValue(fields, bytes, slot, eq, bar, lineStart);
        return true;
      }
      if (slot >= 0) fields.setBytes(slot, bytes, eq + 1, bar);
      pos = bar + 1;
    }
  }

  /**
   * `addToLineEnd`, reading where the line's `|`, `=` and "\n" are from `seps[k, n)` (positions
   * in `bytes`, in order, the first at or after `from`) rather than every byte; sets `nextSep` to
   * the entry after the line's "\n" too. The same parse (mapper_test.ts checks it).
   */
  addIndexed(
    fields: LineFields,
    bytes: Uint8Array,
    from: number,
    end: number,
    lineStart: number,
    seps: Int32Array,
    k: number,
    n: number,
  ): boolean {
    this.#own(fields);
    let pos = from;
    for (;;) {
      if (k === n) {
        this.lineEnd = end;
        this.nextSep = k;
        return false;
      }
      const eq = seps[k++]!;
      if (bytes[eq] !== EQUALS) {
        if (bytes[eq] !== NEWLINE) {
          k = newlineEntry(bytes, seps, k, n);
          this.lineEnd = k < n ? seps[k++]! : end;
        } else this.lineEnd = eq;
        this.nextSep = k;
        return false;
      }
      let bar = end;
      let c = 0;
      while (k < n) {
        bar = seps[k++]!;
        if ((c = bytes[bar]!) !== EQUALS) break;
        bar = end;
      }
      const slot = this.#slotOf(fields, bytes, pos, eq);
      if (bar === end || c === NEWLINE) {
        this.nextSep = k;
        this.#lastValue(fields, bytes, slot, eq, bar, lineStart);
        return true;
      }
      if (slot >= 0) fields.setBytes(slot, bytes, eq + 1, bar);
      pos = bar + 1;
    }
  }

  /** Resolves the wanted keys' slots in `fields` when they are not the last ones'. */
  #own(fields: LineFields): void {
    if (this.#owner === fields) return;
    this.#owner = fields;
    this.#slots = Int32Array.from(this.#names, (name) => fields.slot(name));
  }

  /**
   * The line's last value, from `eq + 1` to the line end at `bar`: white space at the end of the
   * line is not part of it. Sets `lineEnd` and `trimmedEnd`.
   */
  #lastValue(
    fields: LineFields,
    bytes: Uint8Array,
    slot: number,
    eq: number,
    bar: number,
    lineStart: number,
  ): void {
    this.lineEnd = bar;
    let stop = bar;
    for (let n = 0; stop > lineStart && (n = spaceBefore(bytes, lineStart, stop)) > 0;) stop -= n;
    this.trimmedEnd = stop;
    if (slot >= 0) fields.setBytes(slot, bytes, eq + 1, Math.max(eq + 1, stop));
  }

  /** The end of the line `addToLineEnd` read, and of its text without trailing white space. */
  lineEnd = 0;
  trimmedEnd = 0;
  /** The entry after the line's "\n" (`addIndexed`). */
  nextSep = 0;

  /** The slot of the key `bytes[start, end)` when it is wanted, else -1. */
  #slotOf(fields: LineFields, bytes: Uint8Array, start: number, end: number): number {
    if (this.#all) return fields.slot(decodeRange(bytes, start, end));
    const keys = this.#keys;
    const len = end - start;
    if (this.#byText) {
      const key = decodeRange(bytes, start, end);
      const i = this.#names.indexOf(key);
      return i < 0 ? -1 : this.#slots[i]!;
    }
    let i = this.#byLength[len < MAX_INDEXED ? len : MAX_INDEXED]! - 1;
    next: for (; i >= 0; i = this.#sameLength[i]! - 1) {
      const key = keys[i]!;
      if (key.length !== len) continue;
      for (let j = 0; j < len; j++) if (key[j] !== bytes[start + j]) continue next;
      return this.#slots[i]!;
    }
    return -1;
  }
}
