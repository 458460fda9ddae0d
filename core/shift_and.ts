/**
 * A line tested by a bit-parallel automaton (Baeza-Yates–Gonnet Shift-And, with Navarro's loops
 * for `+`): for a regex that is a sequence of ASCII sets, each taken a fixed number of times or
 * once and more (`=\d+\.\d`, core/byte_sequence.ts's items), one step per character whatever the
 * line holds. irregexp tests such a regex only on lines up to a length (core/irregexp_matcher.ts's
 * maxLoopLine: its backtracking may grow with a power of the length), and re2js took the longer
 * ones at ~10 MB/s; this takes them at the speed of a loop over the characters.
 */
import { type Item, MANY } from "./byte_sequence.ts";

/** Positions of the automaton: one bit each in a 32-bit integer. */
const MAX_POSITIONS = 31;

export class ShiftAnd {
  private constructor(
    /** Per ASCII character: the positions whose set holds it. */
    private readonly masks: Int32Array,
    /** The positions that may take another character of their set (a `+`). */
    private readonly loops: number,
    /** The last position: a match ends where it is reached. */
    private readonly accept: number,
    /** The first position's one character, when its set holds one: skipped to with indexOf. */
    private readonly first: string | null,
  ) {}

  /**
   * The automaton of a sequence whose sets hold ASCII characters only and whose counts are
   * fixed (`{n}`) or at least one and unbounded (`+`, `{n,}`), up to MAX_POSITIONS positions; null
   * for any other (an optional part needs the empty moves this does not make).
   */
  static of(items: readonly Item[] | null): ShiftAnd | null {
    if (items === null || items.length === 0) return null;
    const masks = new Int32Array(128);
    let loops = 0;
    let at = 0;
    const position = (set: Uint8Array, loop: boolean) => {
      for (let c = 0; c < 128; c++) if (set[c] === 1) masks[c] = masks[c]! | (1 << at);
      if (loop) loops |= 1 << at;
      at++;
    };
    for (const { set, min, max } of items) {
      if (set.subarray(128).includes(1) || min === 0 || (max !== min && max !== MANY)) return null;
      if (at + min > MAX_POSITIONS) return null;
      for (let n = 1; n < min; n++) position(set, false);
      position(set, max === MANY);
    }
    const starts = items[0]!.set.subarray(0, 128);
    const only = starts.indexOf(1);
    const first = starts.lastIndexOf(1) === only ? String.fromCharCode(only) : null;
    return new ShiftAnd(masks, loops, 1 << (at - 1), first);
  }

  /** Whether `line` holds a match (a "\n" in it is in no set: no match takes it). */
  test(line: string): boolean {
    const { masks, loops, accept, first } = this;
    let state = 0;
    for (let i = 0; i < line.length; i++) {
      if (state === 0 && first !== null) {
        i = line.indexOf(first, i); // nothing under way: on to where a match may start
        if (i < 0) return false;
      }
      const c = line.charCodeAt(i);
      state = ((state << 1) | 1 | (state & loops)) & (c < 128 ? masks[c]! : 0);
      if ((state & accept) !== 0) return true;
    }
    return false;
  }
}
