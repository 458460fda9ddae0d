/**
 * The filter stage: picks lines with a Matcher, honouring --invert, --before, --after and --max
 * with the semantics of docs/compatibility.md#context-lines (no "--" separators; max counts matches
 * per source).
 */
import { type ByteSearch, byteSearch, type Needle } from "./byte_search.ts";
import { BeforeContext } from "./before_context.ts";
import { NewlineIndex } from "./newline_index.ts";
import {
  alignedText,
  countNewlines,
  type Latin1Rule,
  type LineBatch,
  searchPieces,
  searchText,
  type TextPiece,
} from "./line_batch.ts";
import { CandidateLines } from "./candidate_lines.ts";
import {
  addRegion,
  commonLines,
  complementOf,
  eitherLines,
  placedLines,
  pushLine,
  takeLines,
} from "./line_regions.ts";
import type { Matcher } from "./matcher.ts";
import type { ByteLiteral } from "./matcher_types.ts";

export interface SelectOptions {
  readonly invert?: boolean;
  readonly before?: number;
  readonly after?: number;
  /** Stop after this many matching lines (0 = no limit). */
  readonly max?: number;
  /** Called once when a match comes with fewer `before` lines than asked for (before_context.ts). */
  readonly onContextLimit?: () => void;
  /**
   * Find the lines of a matcher with a byte literal in the raw bytes (byte_search.ts), decoding
   * only candidate lines a regex must confirm (default true). False: search the decoded text,
   * as where WebAssembly is not available.
   */
  readonly byteSearch?: boolean;
}

/**
 * Whole lines picked from a batch, as flat [start, end) byte-offset pairs in ascending order. Like
 * the batch's bytes, the regions are valid only until the next batch is asked for: a selector
 * reuses their array.
 */
export interface Selection {
  readonly batch: LineBatch;
  readonly regions: number[];
}

export async function* selectLines(
  batches: AsyncIterable<LineBatch>,
  matcher: Matcher,
  options: SelectOptions = {},
): AsyncGenerator<Selection> {
  const selector = new LineSelector(matcher, options);
  for await (const batch of batches) {
    yield* selector.select(batch);
    if (selector.done) return;
  }
}

/** How a selector finds lines in raw bytes. */
interface ByteLines {
  readonly search: ByteSearch;
  readonly needle: Needle;
  /** A line holding the needle matches; otherwise it is a candidate for `Matcher.test`. */
  readonly exact: boolean;
  /** Where an exact needle must be in its line (ByteLiteral.at); null: anywhere. */
  readonly at: "start" | "end" | "whole" | null;
  /** Needles of which a line holding any matches too (ByteLiteral.anyOf). */
  readonly anyOf: readonly Needle[];
  /** More needles a candidate must hold. */
  readonly also: readonly Needle[];
  /** Literals a candidate's text must hold before the matcher tests it. */
  readonly others: readonly string[];
  /** Candidates decided in their bytes (ByteLiteral.sequence); null: by the matcher. */
  sequence: NonNullable<ByteLiteral["sequence"]> | null;
}

/**
 * Bytes a byte sequence may compare per byte of a batch (see SequenceLines): past that, the input
 * meets the needle everywhere and the selector leaves its candidates to the regex for good.
 */
const SEQUENCE_BUDGET_PER_BYTE = 8;

/** The size of a batch from which a selector reuses its arrays of regions (#reused). */
const REUSED_FROM = 16 * 1024;
/**
 * The most entries an array of regions keeps between batches (#letGoOfLarge): a followed file may
 * wait long for its next batch, and a dserver follows many.
 */
const KEPT_MAX = 4096;

/** The number of the line at a byte offset of a batch, for offsets asked in ascending order. */
class LineCount {
  #pos = 0;
  #lineNo = -1;

  /** 0 when the batch is not numbered (LineBatch.firstLineNo). */
  at(batch: LineBatch, pos: number): number {
    if (batch.firstLineNo === 0) return 0;
    if (this.#lineNo < 0) this.#lineNo = batch.firstLineNo;
    this.#lineNo += countNewlines(batch, this.#pos, pos);
    this.#pos = pos;
    return this.#lineNo;
  }
}

/**
 * The start of the first of the (up to) `most` lines before `stop` that start at `from` or later
 * (`from` and `stop` line starts), and how many lines that is: scanned back from `stop`.
 */
function linesBack(bytes: Uint8Array, from: number, stop: number, most: number): [number, number] {
  let first = stop;
  let lines = 0;
  for (; lines < most && first > from; lines++) {
    first = first - 2 < from ? from : Math.max(from, bytes.lastIndexOf(10, first - 2) + 1);
  }
  return [first, lines];
}

function holdsAll(line: string, literals: readonly string[]): boolean {
  for (const literal of literals) if (!line.includes(literal)) return false;
  return true;
}

/** Stateful per-source selector; `select` may be fed batch after batch. */
export class LineSelector {
  readonly #matcher: Matcher;
  readonly #invert: boolean;
  readonly #before: number;
  readonly #after: number;
  readonly #max: number;
  #matches = 0;
  #afterLeft = 0;
  readonly #held: BeforeContext;
  readonly #newlines = new NewlineIndex();
  readonly #bytes: ByteLines | null;
  /** When batches are searched in their Latin-1 reading (see searchText): the matcher's say. */
  readonly #latin1: Latin1Rule;
  /**
   * The regions of the byte search's selections and their complement, reused batch after batch
   * (from REUSED_FROM bytes: see #reused).
   */
  readonly #found: number[] = [];
  readonly #outside: number[] = [];
  done = false;

  constructor(matcher: Matcher, options: SelectOptions) {
    this.#matcher = matcher;
    this.#invert = options.invert ?? false;
    this.#before = Math.max(0, options.before ?? 0);
    this.#after = Math.max(0, options.after ?? 0);
    this.#max = Math.max(0, options.max ?? 0);
    this.#held = new BeforeContext(this.#before, options.onContextLimit);
    this.#latin1 = matcher;
    const literal = options.byteSearch === false ? null : matcher.byteLiteral;
    const search = literal ? byteSearch() : null;
    this.#bytes = literal && search
      ? {
        search,
        needle: literal.needle,
        exact: literal.exact,
        at: literal.at ?? null,
        anyOf: literal.anyOf ?? [],
        also: literal.also ?? [],
        others: literal.others ?? [],
        sequence: literal.sequence ?? null,
      }
      : null;
  }

  /**
   * The selections of the next batch. `bytesAllowed` false: the matcher is to see the batch's
   * text (the pipeline matched it ahead: see BatchMatches in pipeline.ts).
   */
  *select(batch: LineBatch, bytesAllowed = true): Generator<Selection> {
    if (this.done || batch.bytes.length === 0) return;
    const contextual = this.#before > 0 || this.#after > 0;
    const whole = !contextual && (!this.#invert || this.#max === 0);
    if (this.#matcher.kind === "noop" && !this.#invert && this.#max === 0) {
      yield { batch, regions: [0, batch.bytes.length] };
    } else if (whole && this.#bytes !== null && bytesAllowed) {
      const regions = this.#matchingBytes(batch, this.#bytes);
      const length = batch.bytes.length;
      yield {
        batch,
        regions: this.#invert
          ? complementOf(regions, length, this.#reused(batch, this.#outside))
          : regions,
      };
      this.#letGoOfLarge(); // the selection was taken: the consumer asked for what follows
    } else if ((contextual || this.#invert) && this.#bytes !== null && bytesAllowed) {
      const matches: number[] = [];
      if (this.#invert) {
        // The lines that do not hold the literal, as runs of whole lines between those that do
        // (context or not: --max counts their lines).
        this.#byteMatches(batch, this.#bytes, matches, 0, true);
        yield* this.#context(batch, complementOf(matches, batch.bytes.length), true);
      } else {
        this.#byteMatches(batch, this.#bytes, matches, this.#contextLeft(), false);
        yield* this.#context(batch, matches);
      }
    } else if ((whole || (contextual && !this.#invert)) && alignedText(batch, this.#latin1)) {
      // A batch matched ahead is looked up in its whole text (pipeline.ts's BatchMatches).
      const pieces = bytesAllowed
        ? searchPieces(batch, this.#latin1)
        : [{ text: searchText(batch, this.#latin1), offset: 0 }];
      if (contextual) {
        const matches: number[] = [];
        this.#textMatches(pieces, matches, this.#contextLeft());
        yield* this.#context(batch, matches);
      } else yield this.#invert ? this.#complement(batch, pieces) : this.#matching(batch, pieces);
    } else if (whole && this.#matcher.engine === "re2js") {
      const regions = this.#matchingUnaligned(batch);
      yield { batch, regions: this.#invert ? complementOf(regions, batch.bytes.length) : regions };
    } else {
      yield* this.#perLine(batch);
    }
  }

  /** Fast path on bytes: the matching lines found by a byte search (see ByteLines). */
  #matchingBytes(batch: LineBatch, by: ByteLines): number[] {
    const left = this.#max > 0 ? this.#max - this.#matches : 0;
    const regions = this.#reused(batch, this.#found);
    this.#matches += this.#byteMatches(batch, by, regions, left, true, true);
    if (this.#max > 0 && this.#matches >= this.#max) this.done = true;
    return regions;
  }

  /**
   * `array` for the regions of a batch of REUSED_FROM bytes or more, else a new one: an array cut
   * to a few entries (a line carried across reads is a batch of its own) gives its room back, and
   * the next batch would grow it anew.
   */
  #reused(batch: LineBatch, array: number[]): number[] {
    return batch.bytes.length >= REUSED_FROM ? array : [];
  }

  /** Lets the arrays of regions go when they hold more than KEPT_MAX entries (`length = 0`). */
  #letGoOfLarge(): void {
    if (this.#found.length > KEPT_MAX) this.#found.length = 0;
    if (this.#outside.length > KEPT_MAX) this.#outside.length = 0;
  }

  /**
   * Appends the matching lines of a batch found by a byte search to `regions`, up to `left` of
   * them (0: all), adjacent ones merged if `merge` (else a [start, end) pair each); how many.
   * With `replace`, what `regions` held is replaced instead (for a literal, in its memory).
   */
  #byteMatches(
    batch: LineBatch,
    by: ByteLines,
    regions: number[],
    left: number,
    merge: boolean,
    replace = false,
  ): number {
    if (by.anyOf.length === 0 && by.exact && by.at === null) {
      return by.search.linesWith(batch.bytes, by.needle, regions, {
        maxLines: left,
        merge,
        replace,
      });
    }
    if (replace) regions.length = 0;
    if (by.anyOf.length > 0) {
      let lines: number[] = [];
      by.search.linesWith(batch.bytes, by.needle, lines);
      for (const needle of by.anyOf) {
        const more: number[] = [];
        by.search.linesWith(batch.bytes, needle, more);
        lines = eitherLines(lines, more);
      }
      if (by.exact) return takeLines(lines, regions, left, merge);
      return this.#decide(batch, by, lines, regions, left, merge);
    }
    if (by.exact) {
      const holding: number[] = [];
      by.search.linesWith(batch.bytes, by.needle, holding);
      return placedLines(batch.bytes, holding, by.needle.bytes, by.at!, regions, left, merge);
    }
    let candidates: number[] = [];
    by.search.linesWith(batch.bytes, by.needle, candidates);
    // A byte sequence decides its candidates whatever else they hold: no pass for more needles.
    for (const needle of by.sequence === null ? by.also : []) {
      if (candidates.length === 0) break;
      const holding: number[] = [];
      by.search.linesWith(batch.bytes, needle, holding);
      candidates = commonLines(candidates, holding);
    }
    return this.#decide(batch, by, candidates, regions, left, merge);
  }

  /**
   * #confirm for the candidates of a byte search, deciding them in their bytes when the regex is
   * a byte sequence (ByteLines.sequence) until that costs more than SEQUENCE_BUDGET_PER_BYTE.
   */
  #decide(
    batch: LineBatch,
    by: ByteLines,
    candidates: number[],
    regions: number[],
    left: number,
    merge: boolean,
  ): number {
    const sequence = by.sequence;
    if (sequence === null) return this.#confirm(batch, candidates, by.others, regions, left, merge);
    const bytes = batch.bytes;
    const budget = { left: SEQUENCE_BUDGET_PER_BYTE * bytes.length + 4096 };
    const finder = by.search.needleFinder(bytes);
    const lines = sequence.sequence.lines(sequence.needles, bytes, budget, finder);
    let found = 0;
    for (let i = 0; i < candidates.length; i += 2) {
      const start = candidates[i]!;
      const end = candidates[i + 1]!;
      const match = lines.holdsMatch(start, bytes[end - 1] === 10 ? end - 1 : end);
      if (match === null) {
        by.sequence = null;
        const rest = candidates.slice(i);
        return found + this.#confirm(batch, rest, by.others, regions, left && left - found, merge);
      }
      if (!match) continue;
      pushLine(regions, start, end, merge);
      if (++found === left) break;
    }
    return found;
  }

  /**
   * Appends the candidate lines (one [start, end) pair each) that hold `others` and that the
   * matcher matches to `regions`, adjacent ones merged if `merge`, up to `left` of them (0: all);
   * how many.
   */
  #confirm(
    batch: LineBatch,
    candidates: number[],
    others: readonly string[],
    regions: number[],
    left: number,
    merge = true,
  ): number {
    const matcher = this.#matcher;
    const lines = new CandidateLines(
      batch,
      candidates,
      matcher.withNewline ?? false,
      matcher,
    );
    let found = 0;
    for (let i = 0; i < candidates.length; i += 2) {
      const start = candidates[i]!;
      const end = candidates[i + 1]!;
      const line = lines.text(i);
      if (!holdsAll(line, others) || !matcher.test(line)) continue;
      pushLine(regions, start, end, merge);
      if (++found === left) break;
    }
    return found;
  }

  /**
   * How many matching lines of a batch #context takes (0: all): one past --max, as it ends the
   * last match's after-context (see #perLine).
   */
  #contextLeft(): number {
    return this.#max > 0 ? this.#max - this.#matches + 1 : 0;
  }

  /** Appends the matching lines of `pieces` to `matches`, a pair each, up to `left` (0: all). */
  #textMatches(pieces: Iterable<TextPiece>, matches: number[], left: number): void {
    for (const { text, offset } of pieces) {
      for (let from = 0;;) {
        const start = this.#matcher.findLine(text, from);
        if (start < 0) break;
        const nl = text.indexOf("\n", start);
        from = nl < 0 ? text.length : nl + 1;
        matches.push(offset + start, offset + from);
        if (left > 0 && matches.length >= 2 * left) return;
      }
    }
  }

  /**
   * --before/--after around `matches`, the matching lines of a batch (a [start, end) pair each, as
   * #byteMatches or #textMatches find them): only the lines around them looked at; the same
   * selections and state as #perLine (which it mirrors).
   */
  #context(batch: LineBatch, matches: readonly number[], runs = false): Selection[] {
    const bytes = batch.bytes;
    const regions: number[] = [];
    const earlier: Selection[] = [];
    const index = this.#denseContext(bytes.length, matches) && this.#newlines.index(bytes)
      ? this.#newlines
      : null;
    const lineEnd = (start: number) => {
      if (index !== null) return index.lineEnd(start);
      const nl = bytes.indexOf(10, start);
      return nl < 0 ? bytes.length : nl + 1;
    };
    let pos = 0; // the first line not looked at
    const numbered = new LineCount();
    /**
     * The lines from `pos` to `stop`, none matching: after-context, then held for before (or, when
     * a match at `stop` will print them and they are all in this batch, selected at once).
     */
    const between = (stop: number, match = false) => {
      while (this.#afterLeft > 0 && pos < stop) {
        const end = lineEnd(pos);
        addRegion(regions, pos, end);
        pos = end;
        this.#afterLeft--;
        if (this.#afterLeft === 0 && this.#max > 0 && this.#matches >= this.#max) {
          this.done = true;
          return;
        }
      }
      if (this.#before > 0 && pos < stop) {
        const prints = match && !(this.#max > 0 && this.#matches >= this.#max);
        if (!prints || !this.#beforeInBatch(bytes, pos, stop, regions, index)) {
          this.#hold(batch, pos, stop, numbered);
        }
      }
      pos = stop;
    };
    for (let i = 0; i < matches.length; i += 2) {
      between(matches[i]!, true);
      if (this.done) break;
      if (this.#max > 0 && this.#matches >= this.#max) {
        this.done = true;
        break;
      }
      this.#emitHeld(batch, regions, earlier);
      const end = matches[i + 1]!;
      if (runs && this.#max > 0) {
        // Matching lines one after another: no context between them, each counted for --max.
        const [upTo, lines] = this.#firstLines(batch, matches[i]!, end, this.#max - this.#matches);
        if (upTo < end) {
          addRegion(regions, matches[i]!, upTo);
          this.#matches = this.#max; // the next line matches too: it ends the last one's context
          this.done = true;
          break;
        }
        this.#matches += lines - 1;
      }
      addRegion(regions, matches[i]!, end);
      pos = end;
      this.#matches++;
      this.#afterLeft = this.#after;
      if (this.#max > 0 && this.#matches >= this.#max && this.#after === 0) {
        this.done = true;
        break;
      }
    }
    if (!this.done) between(bytes.length);
    index?.release();
    this.#held.keepCopies(batch);
    if (regions.length > 0) earlier.push({ batch, regions });
    return earlier;
  }

  /**
   * Where the first `most` lines of [start, end) (whole lines of `batch`) end, and how many lines
   * that is: `end` and all of them when they are no more than `most`.
   */
  #firstLines(batch: LineBatch, start: number, end: number, most: number): [number, number] {
    const bytes = batch.bytes;
    const all = countNewlines(batch, start, end) + (bytes[end - 1] === 10 ? 0 : 1);
    if (all <= most) return [end, all];
    let at = start;
    let lines = 0;
    while (at < end && lines < most) {
      const nl = bytes.indexOf(10, at);
      at = nl < 0 || nl >= end ? end : nl + 1;
      lines++;
    }
    return [at, lines];
  }

  /**
   * Whether the lines around a batch's matches are better looked up in a list of its newlines
   * (NewlineIndex) than scanned for: when scanning would read more than a fifth of the batch's
   * bytes (listing costs about a fifth of scanning per byte), lines as long as the matching ones.
   */
  #denseContext(length: number, matches: readonly number[]): boolean {
    const count = matches.length / 2;
    if (count === 0) return false;
    const sample = Math.min(count, 64);
    let lineBytes = 0;
    for (let i = 0; i < 2 * sample; i += 2) lineBytes += matches[i + 1]! - matches[i]!;
    return count * (this.#before + this.#after) * (lineBytes / sample) * 5 > length;
  }

  /**
   * Selects the --before lines of a match at `stop` when they are all in [from, stop) of its batch
   * (line starts both), as holding them and then printing them would: without a held line each.
   * False when lines held from an earlier batch are among them, or the byte bound would cut them.
   */
  #beforeInBatch(
    bytes: Uint8Array,
    from: number,
    stop: number,
    regions: number[],
    index: NewlineIndex | null,
  ): boolean {
    let first: number;
    let lines: number;
    if (index !== null) {
      first = index.linesBefore(from, stop, this.#before);
      lines = index.found;
    } else [first, lines] = linesBack(bytes, from, stop, this.#before);
    if (lines < this.#before && this.#held.size > 0) return false;
    if (!this.#held.fits(lines, stop - first)) return false;
    // The lines held before (from an earlier batch) are further back than --before reaches.
    if (this.#held.size > 0) this.#held.take();
    addRegion(regions, first, stop);
    return true;
  }

  /**
   * Holds the last --before lines of `batch` that start in [from, stop) (line starts both);
   * `numbered` counts the batch's lines up to where it was last asked (ascending).
   */
  #hold(batch: LineBatch, from: number, stop: number, numbered: LineCount): void {
    const bytes = batch.bytes;
    const [first] = linesBack(bytes, from, stop, this.#before);
    let lineNo = numbered.at(batch, first);
    for (let start = first; start < stop; lineNo += lineNo === 0 ? 0 : 1) {
      const nl = bytes.indexOf(10, start);
      const end = nl < 0 || nl >= stop ? stop : nl + 1;
      this.#held.push({ batch, start, end, lineNo });
      start = end;
    }
  }

  /** Selects the held lines (a match prints them): this batch's in `regions`, others' apart. */
  #emitHeld(batch: LineBatch, regions: number[], earlier: Selection[]): void {
    if (this.#held.size === 0) return;
    for (const h of this.#held.take()) {
      if (h.batch === batch) addRegion(regions, h.start, h.end);
      else {
        const last = earlier[earlier.length - 1];
        if (last?.batch === h.batch) addRegion(last.regions, h.start, h.end);
        else earlier.push({ batch: h.batch, regions: [h.start, h.end] });
      }
    }
  }

  /** Fast path: search the decoded batch, piece by piece, for matching lines. */
  #matching(batch: LineBatch, pieces: Iterable<TextPiece>): Selection {
    const regions: number[] = [];
    for (const { text, offset } of pieces) {
      for (let from = 0;;) {
        const start = this.#matcher.findLine(text, from);
        if (start < 0) break;
        const nl = text.indexOf("\n", start);
        const end = nl < 0 ? text.length : nl + 1;
        addRegion(regions, offset + start, offset + end);
        from = end;
        if (this.#max > 0 && ++this.#matches >= this.#max) {
          this.done = true;
          return { batch, regions };
        }
      }
    }
    return { batch, regions };
  }

  /**
   * Fast path for re2js on a text that does not map byte for byte (not ASCII, UTF-8 decoded): the
   * whole text is searched, and each matching line's bytes are found by counting lines in both.
   * (re2js costs ~1 µs a call: `\p{Cyrillic}` on mixed.log 1.55 → 1.18 s against testing each line;
   * irregexp tests a line faster than this path counts lines: `a.b` 0.54 → 0.62 s here.)
   */
  #matchingUnaligned(batch: LineBatch): number[] {
    const text = searchText(batch, this.#latin1);
    const bytes = batch.bytes;
    const regions: number[] = [];
    let t = 0; // a line start in the text, and where that line starts in the bytes
    let b = 0;
    for (let from = 0;;) {
      const start = this.#matcher.findLine(text, from);
      if (start < 0) break;
      while (t < start) { // "\n" is one byte and one character, and only that byte decodes to it
        t = text.indexOf("\n", t) + 1;
        b = bytes.indexOf(10, b) + 1;
      }
      const nl = text.indexOf("\n", start);
      const bnl = bytes.indexOf(10, b);
      const end = bnl < 0 ? bytes.length : bnl + 1;
      addRegion(regions, b, end);
      if (this.#max > 0 && ++this.#matches >= this.#max) {
        this.done = true;
        break;
      }
      if (nl < 0) break;
      from = t = nl + 1;
      b = end;
    }
    return regions;
  }

  /** Fast path for --invert: everything between matching lines. */
  #complement(batch: LineBatch, pieces: Iterable<TextPiece>): Selection {
    const regions: number[] = [];
    for (const { text, offset } of pieces) {
      let from = 0;
      for (;;) {
        const start = this.#matcher.findLine(text, from);
        if (start < 0) break;
        if (start > from) addRegion(regions, offset + from, offset + start);
        const nl = text.indexOf("\n", start);
        from = nl < 0 ? text.length : nl + 1;
      }
      if (from < text.length) addRegion(regions, offset + from, offset + text.length);
    }
    return { batch, regions };
  }

  /** General path: one line at a time, with context, max and non-ASCII batches. */
  *#perLine(batch: LineBatch): Generator<Selection> {
    const { bytes } = batch;
    const text = searchText(batch, this.#latin1);
    const aligned = alignedText(batch, this.#latin1);
    const regions: number[] = [];
    const earlier: Selection[] = [];
    const emit = (start: number, end: number) => addRegion(regions, start, end);
    const emitHeld = () => this.#emitHeld(batch, regions, earlier);

    let lineNo = batch.firstLineNo;
    let b = 0; // byte offset of the line
    let t = 0; // text offset of the line
    while (b < bytes.length && !this.done) {
      const tnl = text.indexOf("\n", t);
      const tEnd = tnl < 0 ? text.length : tnl;
      let bEnd: number;
      if (aligned) bEnd = tEnd;
      else {
        const bnl = bytes.indexOf(10, b);
        bEnd = bnl < 0 ? bytes.length : bnl;
      }
      const next = Math.min(bEnd + 1, bytes.length);
      const isMatch = this.#matcher.test(text.slice(t, tEnd)) !== this.#invert;
      if (isMatch) {
        if (this.#max > 0 && this.#matches >= this.#max) {
          this.done = true; // trailing context of the last match is complete
          break;
        }
        emitHeld();
        emit(b, next);
        this.#matches++;
        this.#afterLeft = this.#after;
        if (this.#max > 0 && this.#matches >= this.#max && this.#after === 0) this.done = true;
      } else if (this.#afterLeft > 0) {
        emit(b, next);
        this.#afterLeft--;
        if (this.#afterLeft === 0 && this.#max > 0 && this.#matches >= this.#max) this.done = true;
      } else if (this.#before > 0) {
        this.#held.push({ batch, start: b, end: next, lineNo });
      }
      b = next;
      t = tEnd + 1;
      lineNo++;
    }
    // Held lines outlive this batch, whose bytes may be reused: keep copies.
    this.#held.keepCopies(batch);
    yield* earlier;
    if (regions.length > 0) yield { batch, regions };
  }
}
