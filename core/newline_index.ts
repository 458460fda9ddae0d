/**
 * The "\n" positions of one batch, listed at once by the byte search (SIMD), for --before and
 * --after around dense matches (core/select.ts): the lines around each match are then looked up
 * instead of scanned byte by byte (`Uint8Array.indexOf`, ~0.5 ns a byte here, where listing a
 * batch's newlines costs ~0.1 ns a byte).
 */
import { byteSearch } from "./byte_search.ts";

const NL = 10;
/** Room kept between batches: a batch of short lines needs more, which it gives back. */
const KEPT_ENTRIES = 16 * 1024;

export class NewlineIndex {
  /** The positions, ascending: `#at[0, #count)`. Reused from batch to batch; none till used. */
  #at = new Int32Array(0);
  #count = 0;
  #length = 0;
  /** Where the last lookup ended: lookups mostly go forward through a batch. */
  #cursor = 0;

  /** Lists the newlines of `bytes`; false (and nothing listed) without the byte search. */
  index(bytes: Uint8Array): boolean {
    const search = byteSearch();
    if (search === null) return false;
    const lister = search.separatorLister(bytes, NL, NL);
    this.#count = 0;
    this.#cursor = 0;
    this.#length = bytes.length;
    for (let at = 0; at < bytes.length;) {
      const listed = lister.list(at, bytes.length);
      const n = lister.count;
      if (this.#count + n > this.#at.length) this.#grow(this.#count + n);
      this.#at.set(lister.entries.subarray(lister.first, lister.first + n), this.#count);
      this.#count += n;
      if (listed === at) {
        // A line longer than the lister's room takes more than one call: its "\n" is found here.
        const nl = bytes.indexOf(NL, at);
        if (nl < 0) break;
        if (this.#count + 1 > this.#at.length) this.#grow(this.#count + 1);
        this.#at[this.#count++] = nl;
        at = nl + 1;
      } else at = listed;
    }
    return true;
  }

  /** The entries the list has room for now. */
  get room(): number {
    return this.#at.length;
  }

  /**
   * Done with the batch: a list longer than KEPT_ENTRIES goes (a dserver keeps a selector per
   * file of every session, and a batch of empty lines lists a million).
   */
  release(): void {
    if (this.#at.length > KEPT_ENTRIES) this.#at = new Int32Array(0);
    this.#count = 0;
  }

  /** Where the line starting at `start` ends: after its "\n", or at the batch's end. */
  lineEnd(start: number): number {
    const k = this.#next(start);
    return k < this.#count ? this.#at[k]! + 1 : this.#length;
  }

  /** After `linesBefore`: how many lines it found. */
  found = 0;

  /**
   * The start of the first of the (up to) `lines` lines before `stop` that start at `from` or
   * later (`from` and `stop` line starts, `from <= stop`); how many that is goes in `found`.
   */
  linesBefore(from: number, stop: number, lines: number): number {
    this.found = 0;
    if (stop <= from || lines === 0) return stop;
    const first = this.#next(from);
    let k = this.#next(stop);
    // The line that ends at `stop` without a "\n" (the batch's last) counts as one too.
    if (k === 0 || this.#at[k - 1]! !== stop - 1) k++;
    const between = k - first;
    this.found = Math.min(between, lines);
    return between <= lines ? from : this.#at[k - 1 - lines]! + 1;
  }

  /** The index of the first newline at or after `pos` (#count when none). */
  #next(pos: number): number {
    const at = this.#at;
    let k = this.#cursor;
    if (k > 0 && at[k - 1]! >= pos) k = this.#lowerBound(pos);
    while (k < this.#count && at[k]! < pos) k++;
    this.#cursor = k;
    return k;
  }

  #lowerBound(pos: number): number {
    let lo = 0;
    let hi = this.#count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at[mid]! < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #grow(need: number): void {
    const grown = new Int32Array(Math.max(need, this.#at.length * 2));
    grown.set(this.#at.subarray(0, this.#count));
    this.#at = grown;
  }
}
