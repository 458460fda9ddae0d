/**
 * The filter stage: picks lines with a Matcher, honouring --invert, --before, --after and --max
 * with the semantics of docs/compatibility.md#context-lines (no "--" separators; max counts matches
 * per source).
 */
import { LineBatch } from "./line_batch.ts";
import type { Matcher } from "./matcher.ts";

export interface SelectOptions {
  readonly invert?: boolean;
  readonly before?: number;
  readonly after?: number;
  /** Stop after this many matching lines (0 = no limit). */
  readonly max?: number;
}

/** Whole lines picked from a batch, as flat [start, end) byte-offset pairs in ascending order. */
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

interface Held {
  batch: LineBatch;
  start: number;
  end: number;
  lineNo: number;
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
  #held: Held[] = [];
  done = false;

  constructor(matcher: Matcher, options: SelectOptions) {
    this.#matcher = matcher;
    this.#invert = options.invert ?? false;
    this.#before = Math.max(0, options.before ?? 0);
    this.#after = Math.max(0, options.after ?? 0);
    this.#max = Math.max(0, options.max ?? 0);
  }

  *select(batch: LineBatch): Generator<Selection> {
    if (this.done || batch.bytes.length === 0) return;
    const contextual = this.#before > 0 || this.#after > 0;
    if (this.#matcher.kind === "noop" && !this.#invert && this.#max === 0) {
      yield { batch, regions: [0, batch.bytes.length] };
    } else if (!contextual && batch.byteAligned && (!this.#invert || this.#max === 0)) {
      yield this.#invert ? this.#complement(batch) : this.#matching(batch);
    } else {
      yield* this.#perLine(batch);
    }
  }

  /** Fast path: search the whole decoded batch for matching lines. */
  #matching(batch: LineBatch): Selection {
    const text = batch.text;
    const regions: number[] = [];
    for (let from = 0;;) {
      const start = this.#matcher.findLine(text, from);
      if (start < 0) break;
      const nl = text.indexOf("\n", start);
      const end = nl < 0 ? text.length : nl + 1;
      if (regions.length > 0 && regions[regions.length - 1] === start) {
        regions[regions.length - 1] = end;
      } else regions.push(start, end);
      from = end;
      if (this.#max > 0 && ++this.#matches >= this.#max) {
        this.done = true;
        break;
      }
    }
    return { batch, regions };
  }

  /** Fast path for --invert: everything between matching lines. */
  #complement(batch: LineBatch): Selection {
    const text = batch.text;
    const regions: number[] = [];
    let from = 0;
    for (;;) {
      const start = this.#matcher.findLine(text, from);
      if (start < 0) break;
      if (start > from) regions.push(from, start);
      const nl = text.indexOf("\n", start);
      from = nl < 0 ? text.length : nl + 1;
    }
    if (from < text.length) regions.push(from, text.length);
    return { batch, regions };
  }

  /** General path: one line at a time, with context, max and non-ASCII batches. */
  *#perLine(batch: LineBatch): Generator<Selection> {
    const { bytes } = batch;
    const text = batch.text;
    const aligned = batch.byteAligned;
    const regions: number[] = [];
    const earlier: Selection[] = [];
    const emit = (start: number, end: number) => {
      if (regions.length > 0 && regions[regions.length - 1] === start) {
        regions[regions.length - 1] = end;
      } else regions.push(start, end);
    };
    const emitHeld = () => {
      for (const h of this.#held) {
        if (h.batch === batch) emit(h.start, h.end);
        else earlier.push({ batch: h.batch, regions: [h.start, h.end] });
      }
      this.#held = [];
    };

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
        if (this.#held.length > this.#before) this.#held.shift();
      }
      b = next;
      t = tEnd + 1;
      lineNo++;
    }
    // Held lines outlive this batch, whose bytes may be reused: keep copies.
    this.#held = this.#held.map((h) =>
      h.batch === batch
        ? {
          batch: new LineBatch(bytes.slice(h.start, h.end), h.lineNo),
          start: 0,
          end: h.end - h.start,
          lineNo: h.lineNo,
        }
        : h
    );
    yield* earlier;
    if (regions.length > 0) yield { batch, regions };
  }
}
