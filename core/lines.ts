/** Splits a byte-chunk stream into batches of whole lines, cutting over-long lines (§4.7). */
import { countNewlines, LineBatch } from "./line_batch.ts";

export const DEFAULT_MAX_LINE_LENGTH = 1_048_576;
const NL = 10;

export interface SplitOptions {
  /** Longest line content (without "\n") delivered in one piece. */
  readonly maxLineLength?: number;
  /** Keep line numbers (costs one newline scan per batch). */
  readonly numbered?: boolean;
  /** Called once per line that had to be split. */
  readonly onLongLine?: () => void;
  /** Deliver an unterminated last line at the end of input (false for followed files). */
  readonly flushPartial?: boolean;
}

/**
 * Yields batches of whole lines. Batches are views into the input chunks wherever possible, so they
 * are valid only until the next batch is requested (see chunks.ts).
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  options: SplitOptions = {},
): AsyncGenerator<LineBatch> {
  const max = Math.max(1, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
  const numbered = options.numbered ?? false;
  const flushPartial = options.flushPartial ?? true;
  let lineNo = numbered ? 1 : 0;
  let carry: Uint8Array = new Uint8Array(0);
  let carrySplit = false; // the line in `carry` has already been cut and reported

  const batch = (bytes: Uint8Array): LineBatch => {
    const b = new LineBatch(bytes, lineNo);
    if (numbered) lineNo += countNewlines(b, 0, bytes.length);
    return b;
  };
  const longLine = () => {
    if (!carrySplit) options.onLongLine?.();
    carrySplit = true;
  };
  /** Cuts `max`-sized pieces off the front of `line` (no "\n" inside) into one batch. */
  function* cutPieces(line: Uint8Array, keepRest: boolean): Generator<LineBatch, Uint8Array> {
    const pieces = Math.floor(line.length / max) - (keepRest && line.length % max === 0 ? 1 : 0);
    if (pieces <= 0) return line;
    longLine();
    const out = new Uint8Array(pieces * (max + 1));
    for (let p = 0; p < pieces; p++) {
      out.set(line.subarray(p * max, (p + 1) * max), p * (max + 1));
      out[p * (max + 1) + max] = NL;
    }
    yield batch(out);
    return line.subarray(pieces * max);
  }
  /** Yields a region of whole lines, cutting any line longer than `max`. */
  function* wholeLines(region: Uint8Array): Generator<LineBatch> {
    if (region.length <= max + 1) {
      yield batch(region);
      return;
    }
    let start = 0; // start of the part not yet yielded
    let lineStart = 0;
    while (lineStart < region.length) {
      const nl = region.indexOf(NL, lineStart);
      const end = nl < 0 ? region.length : nl;
      if (end - lineStart > max) {
        if (lineStart > start) yield batch(region.subarray(start, lineStart));
        carrySplit = false;
        const rest = yield* cutPieces(region.subarray(lineStart, end), true);
        yield batch(region.subarray(end - rest.length, nl < 0 ? end : nl + 1));
        start = nl < 0 ? end : nl + 1;
      }
      lineStart = end + 1;
    }
    if (start < region.length) yield batch(region.subarray(start));
  }

  for await (const chunk of chunks) {
    let rest = chunk;
    if (carry.length > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        carry = yield* cutPieces(concat(carry, chunk), true);
        carry = carry.slice();
        continue;
      }
      const line = concat(carry, chunk.subarray(0, nl + 1));
      carry = new Uint8Array(0);
      const tail = yield* cutPieces(line.subarray(0, line.length - 1), true);
      yield batch(line.subarray(line.length - 1 - tail.length));
      carrySplit = false;
      rest = chunk.subarray(nl + 1);
    }
    const last = rest.lastIndexOf(NL);
    if (last >= 0) {
      yield* wholeLines(rest.subarray(0, last + 1));
      carrySplit = false;
    }
    const partial = rest.subarray(last + 1);
    if (partial.length > 0) carry = (yield* cutPieces(partial, true)).slice();
  }
  if (carry.length > 0 && flushPartial) yield batch(carry);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
