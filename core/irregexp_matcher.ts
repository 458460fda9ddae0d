/**
 * The matcher of a regex on irregexp (V8's RegExp), given its exact translation
 * (core/re2_translate.ts): the fast engine, bounded by V8's linear engine and by a guard that
 * moves a slow matcher to re2js for good.
 */
import { byteLiteralOf } from "./byte_literal.ts";
import { byteNeedle, type Needle } from "./byte_search.ts";
import { sequenceItems } from "./byte_sequence.ts";
import { ShiftAnd } from "./shift_and.ts";
import {
  type ByteLiteral,
  lineStartOf,
  type MatchEngine,
  type RegexMatcher,
} from "./matcher_types.ts";
import type { IrregexpTranslation } from "./re2_translate.ts";
import { Re2jsMatcher } from "./re2js_matcher.ts";
import { hasAnchor, requiredLiteral } from "./required_literals.ts";

/** Matching time that makes one guard window (summed over batches, never across a gap). */
const GUARD_WINDOW_MS = 10;
/** Below this rate (characters per millisecond: 16 MB/s) a window is slow. */
const GUARD_MIN_CHARS_PER_MS = 16_000;
/** Slow windows in a row that move a matcher to re2js (one may be a GC pause or a busy CPU)… */
const GUARD_STRIKES = 3;
/** …or one slow window this long (e.g. a 1 MB batch on V8's linear engine; no GC pause is). */
const GUARD_LONG_WINDOW_MS = 100;
/** findLine reads the clock once in 32 regex runs (and at the end of each text). */
const GUARD_RUNS_MASK = 31;
/** test() times one call in 8, picked at random so that no input can dodge the guard… */
const GUARD_SAMPLE_MASK = 7;
/** …and a timed call counts at most this long (a GC pause is not the pattern's fault). */
const GUARD_SAMPLE_CAP_MS = 25;
/**
 * Characters of one irregexp search in stretches (see IrregexpMatcher): at most ~64 lines at
 * maxLoopLine's worst case, ~100 ms, before the guard can look.
 */
const STRETCH_CHARS = 64 * 1024;
/**
 * Longest line a line-by-line source runs on irregexp, by its number of loops; re2js takes longer
 * ones. The worst case grows with a power of the line length: ~1.6 ms for `a.*b` on 1 KB, ~3 ms
 * for `a.*b.*c` on 256 characters (20 ms on 512), where re2js runs 100–900 MB/s.
 */
function maxLoopLine(loops: number): number {
  return loops <= 1 ? 1024 : loops === 2 ? 256 : 64;
}

/**
 * Runs on irregexp (V8's RegExp, 0.5–3 GB/s on typical patterns). V8 bounds the backtracking of
 * one run and then finishes it on its linear engine, but that engine is slow (5–15 MB/s), a
 * pattern can still backtrack up to the bound on every line (0.06 MB/s measured), and V8 counts
 * no backtracking inside one-character loops (see irregexpTranslation). So:
 * - a source with a loop before more pattern runs line by line, on lines up to maxLoopLine
 *   (longer ones on re2js), the others search the whole multi-line text at once;
 * - a guard measures the matching rate and moves the matcher to re2js for good after three slow
 *   windows in a row, or one long one (below 16 MB/s; re2js runs 60–1000 MB/s on such patterns).
 */
export class IrregexpMatcher implements RegexMatcher {
  readonly kind = "regex";
  readonly #global: RegExp;
  readonly #single: RegExp;
  readonly #lineByLine: boolean;
  /**
   * Searched in stretches of whole lines no longer than `#maxLine` (STRETCH_CHARS at most each)
   * instead of line by line: a source whose loops cannot match "\n" (`[0-9]+ms`) runs no attempt
   * past its line, so a stretch costs what its lines one by one do, without a call per line.
   */
  readonly #stretches: boolean;
  /** The current stretch: its text, where it was found from, its end, and the text up to it. */
  #stretchText = "";
  #stretchFrom = 0;
  #stretchLimit = 0;
  #stretchHay = "";
  /** Lines longer than this go to re2js (line by line and stretches only). */
  readonly #maxLine: number;
  /** A literal every match contains: candidate lines are found with indexOf first. */
  readonly #required: string | null;
  readonly byteLiteral: ByteLiteral | null;
  readonly asciiOnly: boolean;
  readonly latin1Unless: readonly Needle[];
  /** Anchors in multiline mode also match at "\r", U+2028, U+2029: verify such hits per line. */
  readonly #anchored: boolean;
  /**
   * No match holds a "\n" (IrregexpTranslation.newlineSensitive is false) and hits need no check
   * (no anchor): a hit's line is where the match ends, so `test` serves and no match array is
   * made (a regex that matches most lines made ~80 MB of them per 100 MB).
   */
  readonly #endTells: boolean;
  /**
   * Lines are matched with their "\n" (withNewline), and that changes what matches (see
   * IrregexpTranslation.newlineSensitive): `#global` runs `globalSource`, which finds a superset
   * of the matches, and every hit is checked on its line with its "\n".
   */
  readonly #nl: boolean;
  /**
   * With `#nl`: whether the pattern matches the empty string after a line's "\n" (`\z`, `\B`,
   * `(?m)^$`), found by the global search at the start of the next line.
   */
  readonly #emptyAfterNewline: boolean;
  /**
   * For lines longer than `#maxLine` of a pattern `A.*B…` (IrregexpTranslation.dotSplit): each
   * part (global, searched from where the one before ends), and the characters a loop must take.
   */
  readonly #split: { readonly parts: readonly RegExp[]; readonly gaps: readonly number[] } | null;
  /** For lines longer than `#maxLine` of a pattern a ShiftAnd takes (`=\d+\.\d`), else null. */
  readonly #long: ShiftAnd | null;
  /** For lines longer than `#maxLine`, and all lines once the guard gave up on irregexp. */
  readonly #re2js: Re2jsMatcher;
  #fallback: Re2jsMatcher | null = null;
  /**
   * Whether findLine is within a text (its search went on from `#lastFrom`), and where (clock,
   * position) the part not yet measured starts. Texts are told apart by position: a caller
   * searches each from 0 onwards (comparing strings could cost a scan of both).
   */
  #searching = false;
  #lastFrom = 0;
  #segmentStart = 0;
  #segmentPos = 0;
  #runs = 0;
  #rng = (Math.random() * 0x7fffffff) | 1;
  #windowMs = 0;
  #windowChars = 0;
  #strikes = 0;

  constructor(
    readonly pattern: string,
    translation: IrregexpTranslation,
    readonly withNewline = false,
  ) {
    const { source, lineByLine } = translation;
    const required = requiredLiteral(source);
    this.#required = required !== null && required.length >= 3 ? required : null;
    this.#nl = withNewline && translation.newlineSensitive;
    this.byteLiteral = byteLiteralOf(source, this.#nl);
    this.#anchored = hasAnchor(source);
    this.#endTells = !translation.newlineSensitive && !this.#anchored;
    const unless = translation.latin1Unless.map((c) => byteNeedle(String.fromCodePoint(c)));
    this.asciiOnly = translation.asciiOnly && !unless.includes(null);
    this.latin1Unless = this.asciiOnly ? unless as Needle[] : [];
    this.#stretches = lineByLine && !translation.loopsCrossLines;
    this.#lineByLine = lineByLine && !this.#stretches;
    this.#maxLine = lineByLine ? maxLoopLine(translation.loops) : Infinity;
    this.#long = lineByLine && !this.#nl ? ShiftAnd.of(sequenceItems(source)) : null;
    // "m": ^ and $ match at line boundaries, since the text holds many lines.
    this.#global = new RegExp(
      this.#nl ? translation.newlineGlobalSource : translation.globalSource,
      "gm",
    );
    this.#single = new RegExp(source);
    this.#emptyAfterNewline = false;
    if (this.#nl) {
      const sticky = new RegExp(source, "y");
      sticky.lastIndex = 1;
      this.#emptyAfterNewline = sticky.test("\n");
    }
    const split = this.#nl ? null : translation.dotSplit;
    this.#split = split === null ? null : {
      parts: split.parts.map((part) => new RegExp(part, "g")),
      gaps: split.plus.map((plus) => plus ? 1 : 0),
    };
    this.#re2js = new Re2jsMatcher(pattern, null, withNewline);
    // V8 compiles on the first run, and may only then find the source too large.
    this.#global.test("");
    this.#single.test("\u0100");
  }

  get engine(): MatchEngine {
    return this.#fallback === null ? "irregexp" : "re2js";
  }

  findLine(text: string, from: number): number {
    return this.#findLine(text, from, false);
  }

  findLineWithoutRe2js(text: string, from: number): number {
    return this.#findLine(text, from, true);
  }

  /** findLine; with `here`, a line for re2js ends the search with its deferral (see Matcher). */
  #findLine(text: string, from: number, here: boolean): number {
    if (this.#fallback !== null) return here ? -2 - from : this.#fallback.findLine(text, from);
    if (!this.#searching || from <= this.#lastFrom) {
      // Time between two texts is the caller's (printing, waiting): it is never measured.
      this.#searching = true;
      this.#segmentStart = performance.now();
      this.#segmentPos = from;
    }
    this.#lastFrom = from;
    try {
      return this.#find(text, from, here);
    } catch {
      // V8 gave up on the source (too large for a two-byte text…): re2js takes over
      this.#fallback = this.#re2js;
      this.#searching = false;
      return here ? -2 - from : this.#fallback.findLine(text, from);
    }
  }

  #find(text: string, from: number, here: boolean): number {
    const required = this.#required;
    const re = this.#global;
    const lineByLine = this.#lineByLine;
    while (from < text.length) {
      if ((++this.#runs & GUARD_RUNS_MASK) === 0 && this.#measure(from)) {
        return here ? -2 - from : this.#fallback!.findLine(text, from);
      }
      let start: number;
      let end: number;
      if (required !== null || lineByLine) {
        // One candidate line: the next containing the required literal, or simply the next.
        const i = required === null ? from : text.indexOf(required, from);
        if (i < 0) break;
        start = required === null ? from : lineStartOf(text, i);
        end = text.indexOf("\n", i);
        if (end < 0) end = text.length;
        if (here && end - start > this.#maxLine && !this.#longHere) return -2 - start;
        if (this.#testLine(text.slice(start, this.#subjectEnd(text, end)))) return start;
      } else {
        let hay = text;
        if (this.#stretches) {
          if (
            text !== this.#stretchText || from < this.#stretchFrom || from >= this.#stretchLimit
          ) {
            this.#stretchText = text;
            this.#stretchFrom = from;
            this.#stretchLimit = this.#stretchEnd(text, from);
            this.#stretchHay = this.#stretchLimit < text.length
              ? text.slice(0, this.#stretchLimit)
              : text;
          }
          const limit = this.#stretchLimit;
          if (limit === from) {
            // A line too long for irregexp's search of the whole source.
            if (here && !this.#longHere) return -2 - from;
            end = text.indexOf("\n", from);
            if (end < 0) end = text.length;
            if (this.#testLine(text.slice(from, this.#subjectEnd(text, end)))) return from;
            from = end + 1;
            continue;
          }
          hay = this.#stretchHay;
        }
        re.lastIndex = from;
        if (this.#endTells) {
          const hit = re.test(hay);
          const at = re.lastIndex;
          // A match ending at a text's "\n"-terminated end is an empty one where no line is.
          if (!hit || (at === hay.length && (hay !== text || text.endsWith("\n")))) {
            if (hay === text) break;
            from = hay.length;
            continue;
          }
          return lineStartOf(text, at);
        }
        const m = re.exec(hay);
        if (this.#nl) {
          // A hit at a line start may be the end of the line before (after its "\n").
          const p = m === null ? -1 : m.index;
          if (this.#emptyAfterNewline && p > from && text.charCodeAt(p - 1) === 10) {
            const before = lineStartOf(text, p - 1);
            if (this.#single.test(text.slice(before, p))) return before;
          }
          if (p < 0 || (p === hay.length && (hay !== text || text.endsWith("\n")))) {
            if (hay === text) break;
            from = hay.length;
            continue;
          }
          start = lineStartOf(text, p);
          end = text.indexOf("\n", p);
          if (end < 0) end = text.length;
          if (this.#single.test(text.slice(start, this.#subjectEnd(text, end)))) return start;
          from = end + 1;
          continue;
        }
        if (m === null || (m.index === hay.length && (hay !== text || text.endsWith("\n")))) {
          // No match; or one after the text's last "\n" (`^$` there), where no line is; or at
          // the end of a stretch, which is the start of a line yet to search.
          if (hay === text) break;
          from = hay.length;
          continue;
        }
        start = lineStartOf(text, m.index);
        end = text.indexOf("\n", m.index);
        if (end < 0) end = text.length;
        // A match that runs past its line (e.g. via \s or [^x]) proves nothing about that line.
        const withinLine = m.index + m[0].length <= end && !this.#anchored;
        if (withinLine || this.#single.test(text.slice(start, end))) return start;
      }
      from = end + 1;
    }
    this.#measure(text.length);
    this.#searching = false;
    return -1;
  }

  /**
   * Where the stretch of lines from `from` (a line start) ends: at the start of the first line
   * longer than `#maxLine`, or at a line start past STRETCH_CHARS, or at the text's end. Only
   * one lookup per `#maxLine` characters: a "\n" within `#maxLine` of a line's start ends it
   * and every line between.
   */
  #stretchEnd(text: string, from: number): number {
    const max = this.#maxLine;
    const stop = Math.min(text.length, from + STRETCH_CHARS);
    let s = from;
    while (s < stop) {
      if (text.length - s <= max) return text.length;
      const k = text.lastIndexOf("\n", s + max);
      if (k < s) return s;
      s = k + 1;
    }
    return s;
  }

  /**
   * Tests a line (with its "\n" or not): when longer than `#maxLine`, by its ShiftAnd, or part by
   * part for a pattern `A.*B…`, else on re2js.
   */
  #testLine(line: string): boolean {
    const length = line.charCodeAt(line.length - 1) === 10 ? line.length - 1 : line.length;
    if (length <= this.#maxLine) return this.#single.test(line);
    if (this.#long !== null) return this.#long.test(line);
    return this.#split === null ? this.#re2js.test(line) : this.#testSplit(this.#split, line);
  }

  /** Whether lines longer than `#maxLine` are tested here, in linear time, not on re2js. */
  get #longHere(): boolean {
    return this.#split !== null || this.#long !== null;
  }

  /** A line (without "\n") matches `A.*B…` when each part matches after the one before ends. */
  #testSplit(split: { parts: readonly RegExp[]; gaps: readonly number[] }, line: string): boolean {
    let from = 0;
    for (let i = 0; i < split.parts.length; i++) {
      if (from > line.length) return false;
      const part = split.parts[i]!;
      part.lastIndex = from;
      const m = part.exec(line);
      if (m === null) return false;
      from = m.index + m[0].length + (split.gaps[i] ?? 0);
    }
    return true;
  }

  /** Where the subject of the line ending at `end` ends: after its "\n" if `#nl` and it has one. */
  #subjectEnd(text: string, end: number): number {
    return this.#nl && end < text.length ? end + 1 : end;
  }

  test(line: string): boolean {
    if (this.#fallback !== null) return this.#fallback.test(line);
    try {
      // xorshift32: time one call in 8.
      let x = this.#rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#rng = x;
      if ((x & GUARD_SAMPLE_MASK) !== 0) return this.#testLine(line);
      const t0 = performance.now();
      const hit = this.#testLine(line);
      this.#add(Math.min(performance.now() - t0, GUARD_SAMPLE_CAP_MS), line.length + 1);
      return hit;
    } catch {
      this.#fallback = this.#re2js;
      return this.#fallback.test(line);
    }
  }

  /** Adds findLine's work up to `pos` to the window; true when the matcher moved to re2js. */
  #measure(pos: number): boolean {
    const now = performance.now();
    const moved = this.#add(now - this.#segmentStart, pos - this.#segmentPos);
    this.#segmentStart = now;
    this.#segmentPos = pos;
    return moved;
  }

  #add(ms: number, chars: number): boolean {
    this.#windowMs += ms;
    this.#windowChars += chars;
    if (this.#windowMs < GUARD_WINDOW_MS) return false;
    const slow = this.#windowChars < GUARD_MIN_CHARS_PER_MS * this.#windowMs;
    if (!slow) this.#strikes = 0;
    else this.#strikes = this.#windowMs >= GUARD_LONG_WINDOW_MS ? GUARD_STRIKES : this.#strikes + 1;
    this.#windowMs = 0;
    this.#windowChars = 0;
    if (this.#strikes < GUARD_STRIKES) return false;
    this.#fallback = this.#re2js;
    return true;
  }
}
