/** The decoded text of a batch's candidate lines, for a regex to confirm them (core/select.ts). */
import type { Latin1Rule, LineBatch } from "./line_batch.ts";
import { latin1Of, noteLatin1Wanted } from "./latin1.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * How candidate lines are decoded for a regex to test: a stretch of lines at once where the lines
 * between candidates average at most GAP_BYTES per candidate (decoding a line alone costs ~0.2 µs,
 * as much as decoding a few hundred bytes more in a stretch), each alone otherwise. A stretch stays
 * below STRETCH_BYTES: a string of 1 MiB is a fresh large object whose first touch costs page
 * faults (up to 4 ms a batch measured: `ERROR.*lock` took 270 ms decoding whole batches, 100 ms
 * decoding lines, in a fresh process).
 */
const GAP_BYTES = 256;
const STRETCH_BYTES = 64 * 1024;

/**
 * The decoded text of a batch's candidate lines, asked for in ascending order: sliced from the
 * batch's text when that is decoded anyway, from a decoded stretch of lines when candidates are
 * dense (see GAP_BYTES), else decoded alone.
 */
export class CandidateLines {
  readonly #bytes: Uint8Array;
  readonly #candidates: number[];
  readonly #keepNewline: boolean;
  /** Whether stretches are read as Latin-1 (see LineBatch.readsLatin1): every stretch maps then. */
  readonly #latin1: boolean;
  /** Whether they would be, had the reading been ready (see latin1.ts). */
  readonly #latin1Wanted: boolean;
  readonly #whole: string | null;
  /** The decoded stretch of lines [from, to) of the batch, and whether it maps byte for byte. */
  #stretch: string | null = null;
  #aligned = false;
  #from = 0;
  #to = 0;
  /** A line start in the stretch, in bytes and in its text (for a stretch that does not map). */
  #bytePos = 0;
  #textPos = 0;

  /** `rule`: the matcher's (matcher_types.ts): lines are read as Latin-1 where the batch says so. */
  constructor(batch: LineBatch, candidates: number[], keepNewline: boolean, rule: Latin1Rule) {
    this.#bytes = batch.bytes;
    this.#candidates = candidates;
    this.#keepNewline = keepNewline;
    this.#latin1 = batch.readsLatin1(rule);
    this.#latin1Wanted = batch.latin1Wanted;
    this.#whole = batch.decoded && batch.byteAligned ? batch.text : null;
  }

  #decode(bytes: Uint8Array): string {
    if (this.#latin1) return latin1Of(bytes);
    if (this.#latin1Wanted) noteLatin1Wanted(bytes.length);
    return decodeUtf8(bytes);
  }

  /** The text of the candidate whose pair starts at index `i` (with its "\n" if kept). */
  text(i: number): string {
    const bytes = this.#bytes;
    const start = this.#candidates[i]!;
    const end = this.#candidates[i + 1]!;
    const stop = !this.#keepNewline && bytes[end - 1] === 10 ? end - 1 : end;
    if (this.#whole !== null) return this.#whole.slice(start, stop);
    if (start >= this.#to) {
      this.#from = this.#bytePos = start;
      this.#to = stretchEnd(this.#candidates, i);
      this.#textPos = 0;
      this.#stretch = this.#to > end ? this.#decode(bytes.subarray(start, this.#to)) : null;
      this.#aligned = this.#stretch?.length === this.#to - start;
    }
    const stretch = this.#stretch;
    // A line alone is decoded as UTF-8 either way: for a short string, the call costs the most.
    if (stretch === null) return decodeUtf8(bytes.subarray(start, stop));
    if (this.#aligned) return stretch.slice(start - this.#from, stop - this.#from);
    // Its lines are the stretch's lines one to one (no "\n" is decoded from other bytes).
    while (this.#bytePos < start) {
      this.#bytePos = bytes.indexOf(10, this.#bytePos) + 1;
      this.#textPos = stretch.indexOf("\n", this.#textPos) + 1;
    }
    const nl = stretch.indexOf("\n", this.#textPos);
    const lineEnd = nl < 0 ? stretch.length : this.#keepNewline ? nl + 1 : nl;
    return stretch.slice(this.#textPos, lineEnd);
  }
}

/**
 * The end of the stretch of candidate lines from the i-th (see GAP_BYTES): the end of the last
 * one within STRETCH_BYTES of its start while the bytes between them stay few enough; the i-th
 * line's own end when no other qualifies.
 */
function stretchEnd(candidates: number[], i: number): number {
  const start = candidates[i]!;
  let j = i;
  let gaps = 0;
  while (j + 3 < candidates.length && candidates[j + 3]! - start <= STRETCH_BYTES) {
    const more = gaps + candidates[j + 2]! - candidates[j + 1]!;
    if (more > ((j - i) / 2 + 1) * GAP_BYTES) break;
    gaps = more;
    j += 2;
  }
  return candidates[j + 1]!;
}
