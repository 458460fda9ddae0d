/**
 * Cuts the selected regions of a batch into lines for a printer: where each line ends, how many
 * lines lie between regions (for line numbers), and whether a line holds one of two marked bytes
 * (the wire's 0xAB and 0xAC, which it escapes). The byte search lists them (SIMD, no decoding);
 * without it, or when a stage decoded the batch already and its text maps byte for byte, the text
 * is searched (String.indexOf), else the bytes (Uint8Array.indexOf).
 *
 * Decoding a batch only to find its line ends cost ~1 ns a byte (a quarter of a labelled `dcat`'s
 * time) and ~15 ns on bytes that are not UTF-8, which then could not use the text anyway.
 */
import { byteSearch, type SeparatorLister } from "./byte_search.ts";
import { countNewlines, type LineBatch } from "./line_batch.ts";

const NL = 10;

export class LineCutter {
  /** After `lineEnd`: whether the line held a marked byte (always false without marks). */
  marked = false;
  readonly #batch: LineBatch;
  readonly #marks: readonly [number, number] | null;
  readonly #lister: SeparatorLister | null;
  readonly #text: string | null;
  /** Listed entries not consumed yet: lister.entries[#k, #stop), of the lines before #listedTo. */
  #k = 0;
  #stop = 0;
  #listedTo = 0;

  /** `marks`: the two bytes `marked` tells about, or null. Calls go forward through the batch. */
  constructor(batch: LineBatch, marks: readonly [number, number] | null = null) {
    this.#batch = batch;
    this.#marks = marks;
    const aligned = batch.decoded && batch.byteAligned;
    const search = aligned ? null : byteSearch();
    this.#text = aligned ? batch.text : null;
    this.#lister = search === null
      ? null
      : search.separatorLister(batch.bytes, marks?.[0] ?? NL, marks?.[1] ?? NL);
  }

  /** The number of "\n" in [from, to): the lines between two regions. */
  newlines(from: number, to: number): number {
    if (to <= from) return 0;
    const lister = this.#lister;
    return lister === null ? countNewlines(this.#batch, from, to) : lister.countLines(from, to);
  }

  /**
   * Where the line starting at `start` ends in [start, end): the index of its "\n", or `end` when
   * it has none there. Sets `marked`. Lines are cut in order, each region's to its end.
   */
  lineEnd(start: number, end: number): number {
    const lister = this.#lister;
    if (lister === null) return this.#searched(start, end, false);
    const entries = lister.entries;
    const bytes = this.#batch.bytes;
    let marked = false;
    for (;;) {
      // The lister lists whole lines of a region: its entries run out at a line's end.
      for (let k = this.#k, stop = this.#stop; k < stop; k++) {
        const at = entries[k]!;
        if (bytes[at] === NL) {
          this.#k = k + 1;
          this.marked = marked;
          return at;
        }
        marked = true;
      }
      this.#k = this.#stop;
      if (this.#listedTo >= end) {
        this.marked = marked;
        return end;
      }
      const listed = lister.list(start, end);
      // Not one line fits the lister's room (a line of more than ~32,000 marked bytes): that
      // line is searched on its own.
      if (listed === start) return this.#searched(start, end, marked);
      this.#k = lister.first;
      this.#stop = lister.first + lister.count;
      this.#listedTo = listed;
    }
  }

  #searched(start: number, end: number, marked: boolean): number {
    const text = this.#text;
    const bytes = this.#batch.bytes;
    const nl = text === null ? bytes.indexOf(NL, start) : text.indexOf("\n", start);
    const stop = nl < 0 || nl >= end ? end : nl;
    const marks = this.#marks;
    if (marks !== null && !marked) {
      const line = bytes.subarray(start, stop);
      marked = line.indexOf(marks[0]) >= 0 || line.indexOf(marks[1]) >= 0;
    }
    this.marked = marked;
    return stop;
  }
}
