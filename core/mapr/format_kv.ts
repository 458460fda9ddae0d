/**
 * `key=value` tokens (split at the first `=`) of `|`-separated lines, shared by the `default` and
 * `generickv` formats. Only the keys a query uses are materialized.
 */

import type { Fields } from "./types.ts";
import { SlotCache, SlotFields } from "./format_common.ts";

/** Up to this many wanted keys are compared in place; more are looked up in a set. */
const INLINE_KEYS = 8;

/** Adds the wanted `k=v` tokens of a line to a field map. */
export class KeyValues {
  readonly #all: boolean;
  readonly #keys: readonly string[];
  readonly #set: ReadonlySet<string>;
  readonly #slotCache: SlotCache;

  /** `needed` null: every key; otherwise only those names. */
  constructor(needed: ReadonlySet<string> | null) {
    this.#all = needed === null;
    this.#set = needed ?? new Set();
    this.#keys = [...this.#set];
    this.#slotCache = new SlotCache(this.#keys);
  }

  /** Whether no key can ever be wanted (then values need not be looked at). */
  get none(): boolean {
    return !this.#all && this.#keys.length === 0;
  }

  /**
   * Adds the tokens of `line[from..]`. A token without `=` makes the line malformed when `strict`
   * (returns false; fields added so far stay) and is ignored otherwise.
   */
  add(fields: Fields, line: string, from: number, strict: boolean): boolean {
    let pos = from;
    for (;;) {
      let end = line.indexOf("|", pos);
      const last = end < 0;
      if (last) end = line.length;
      const eq = line.indexOf("=", pos);
      if (eq >= 0 && eq < end) {
        this.#token(fields, line, pos, eq, end);
      } else if (strict) {
        return false;
      }
      if (last) return true;
      pos = end + 1;
    }
  }

  #token(fields: Fields, line: string, pos: number, eq: number, end: number): void {
    if (this.#all) {
      fields.set(line.slice(pos, eq), line.slice(eq + 1, end));
      return;
    }
    const keys = this.#keys;
    const len = eq - pos;
    if (keys.length <= INLINE_KEYS) {
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (key.length === len && line.startsWith(key, pos)) {
          if (fields instanceof SlotFields) {
            fields.setAt(this.#slotCache.of(fields)[i]!, line.slice(eq + 1, end));
          } else fields.set(key, line.slice(eq + 1, end));
          return;
        }
      }
      return;
    }
    const key = line.slice(pos, eq);
    if (this.#set.has(key)) fields.set(key, line.slice(eq + 1, end));
  }
}
