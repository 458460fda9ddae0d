/**
 * Splits a byte-chunk stream into batches of whole lines, cutting over-long lines
 * (docs/compatibility.md#compression-and-long-lines).
 */
import { countNewlines, LineBatch } from "./line_batch.ts";
import { PendingBytes } from "./pending_bytes.ts";

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
  // Reused across chunks (never let go), so long lines do not allocate per chunk.
  const carry = new PendingBytes(Infinity); // the partial last line, across chunks
  const pieces = new PendingBytes(Infinity); // cut pieces of a long line, each with its "\n"
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
  /**
   * Cuts `max`-sized pieces off the front of `line` (no "\n" inside) into one batch and returns
   * how many bytes were cut. With `keepRest`, at least one byte more than a piece stays behind
   * unless the line ends exactly there (it may still grow, or be exactly `max` long).
   */
  function* cutPieces(line: Uint8Array, keepRest: boolean): Generator<LineBatch, number> {
    const count = Math.floor(line.length / max) - (keepRest && line.length % max === 0 ? 1 : 0);
    if (count <= 0) return 0;
    longLine();
    const out = pieces.reset(count * (max + 1));
    for (let p = 0; p < count; p++) {
      out.set(line.subarray(p * max, (p + 1) * max), p * (max + 1));
      out[p * (max + 1) + max] = NL;
    }
    yield batch(out);
    return count * max;
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
        const cut = yield* cutPieces(region.subarray(lineStart, end), true);
        yield batch(region.subarray(lineStart + cut, nl < 0 ? end : nl + 1));
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
        carry.append(chunk);
        carry.dropFront(yield* cutPieces(carry.view(), true));
        continue;
      }
      carry.append(chunk.subarray(0, nl + 1));
      const line = carry.view();
      const cut = yield* cutPieces(line.subarray(0, line.length - 1), true);
      yield batch(line.subarray(cut));
      carry.clear();
      carrySplit = false;
      rest = chunk.subarray(nl + 1);
    }
    const last = rest.lastIndexOf(NL);
    if (last >= 0) {
      yield* wholeLines(rest.subarray(0, last + 1));
      carrySplit = false;
    }
    const partial = rest.subarray(last + 1);
    if (partial.length > 0) {
      const cut = yield* cutPieces(partial, true);
      carry.append(partial.subarray(cut));
    }
  }
  if (carry.length > 0 && flushPartial) yield batch(carry.view());
}
