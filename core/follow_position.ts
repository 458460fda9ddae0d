/**
 * The position of a followed file (docs/protocol.md#resume): the byte offset after the last line
 * handed to the sink, reported right after that line's batch, in the same synchronous step, so
 * that a client sees a batch's lines and then its position with nothing of another file between.
 *
 * The tracker cuts a stream at line ends into chunks, each of which is exactly one batch
 * (core/follow_select.ts makes it a view of that very chunk): then the sink can tell the batch it
 * gets (its bytes are the chunk) and knows the file offset after it. An unterminated last line
 * waits here (a copy) until its end arrives; a line longer than the filter's maxLineLength is cut
 * here into the pieces core/lines.ts would cut, so a position can fall between two pieces and a
 * resume continues with the next piece. The last line of a stream, when it has no "\n", is the
 * stream's last chunk.
 */
import { DEFAULT_MAX_LINE_LENGTH } from "./lines.ts";
import type { IncarnationStream } from "./follow.ts";
import { type FilePosition, MARK_BYTES, markOf } from "./protocol/resume.ts";
import type { Selection } from "./select.ts";
import type { Sink } from "./sink.ts";

export interface PositionTrackerOptions {
  /** The followed path positions name. */
  readonly path: string;
  /** The filter's maxLineLength (lines are cut here). */
  readonly maxLineLength?: number | undefined;
  /** A line longer than maxLineLength was cut (once per line). */
  readonly onLongLine: () => void;
  /** Takes a position; called synchronously after the lines it follows were taken. */
  readonly report: (position: FilePosition) => void;
  /** Sends what was reported (a position without lines must reach the client too). */
  readonly flush: () => void | Promise<void>;
}

/** A position of a batch without selected lines goes out at most this often per file. */
const IDLE_REPORT_MS = 1000;
const NL = 10;

/** A chunk handed over as one batch: the file offset after it and that offset's mark. */
interface Handed {
  readonly bytes: Uint8Array;
  readonly end: number;
  readonly mark: string;
  reported: boolean;
}

export class PositionTracker {
  readonly #options: PositionTrackerOptions;
  readonly #max: number;
  #dev = 0;
  #ino = 0;
  #announced: IncarnationStream | null = null;
  /** The chunk being selected now; its batch is the one the sink gets next. */
  #current: Handed | null = null;
  /** Context lines of earlier batches, held until the batch of their match (which comes next). */
  readonly #context: [Selection, string][] = [];
  #lastReport = 0;

  constructor(options: PositionTrackerOptions) {
    this.#options = options;
    this.#max = Math.max(1, options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH);
  }

  /** Reports where a stream starts (once per stream) and sends it. */
  async announce(stream: IncarnationStream): Promise<void> {
    if (this.#announced === stream) return;
    this.#announced = stream;
    const { dev, ino, start, before } = stream.origin;
    this.#dev = dev;
    this.#ino = ino;
    this.#send(start, markOf(before.subarray(Math.max(0, before.length - MARK_BYTES))));
    await this.#options.flush();
  }

  /**
   * `sink`, reporting the position after each batch of the tracked file it takes. Context lines
   * of earlier batches (`before`, copies) are handed over with the batch of their match, so that
   * a batch's lines and its position go out together.
   */
  sink(inner: Sink): Sink {
    return {
      selection: (sel, sourceId) => {
        const handed = this.#handed(sel.batch.bytes);
        if (handed === null) {
          this.#context.push([sel, sourceId]);
          return;
        }
        for (const [context, id] of this.#context.splice(0)) inner.selection(context, id);
        inner.selection(sel, sourceId);
        this.#report(handed);
      },
      ...(inner.batchDone ? { batchDone: () => inner.batchDone!() } : {}),
    };
  }

  /**
   * The stream's bytes as chunks of whole lines (and cut pieces) to `take`, each one batch
   * (core/follow_select.ts); the stream ends early once `take` says false.
   */
  async pump(
    stream: IncarnationStream,
    take: (bytes: Uint8Array) => boolean | Promise<boolean>,
  ): Promise<void> {
    if (this.#announced !== stream) await this.announce(stream);
    const cutter = new LineCutter(this.#max, stream.origin, this.#options.onLongLine);
    try {
      for await (const chunk of stream) {
        for (const handed of cutter.push(chunk)) {
          this.#current = handed;
          const taken = take(handed.bytes);
          if (!(taken === true || await taken)) return;
          const idle = this.#idle(handed);
          if (idle !== null) await idle;
        }
      }
      const last = cutter.rest();
      if (last !== null) {
        this.#current = last;
        const taken = take(last.bytes);
        if (taken !== true) await taken;
      }
    } finally {
      this.#current = null;
    }
  }

  /** The chunk whose batch `bytes` is, if it is one of ours. */
  #handed(bytes: Uint8Array): Handed | null {
    const c = this.#current;
    if (
      c !== null && c.bytes.buffer === bytes.buffer && c.bytes.byteOffset === bytes.byteOffset &&
      c.bytes.length === bytes.length
    ) return c;
    return null; // context lines of an earlier batch
  }

  /** A batch that selected nothing moves the position too, sent now and then: null if not now. */
  #idle(handed: Handed): void | Promise<void> | null {
    if (handed.reported || Date.now() - this.#lastReport < IDLE_REPORT_MS) return null;
    this.#report(handed);
    return this.#options.flush();
  }

  #report(handed: Handed): void {
    if (handed.reported) return;
    handed.reported = true;
    this.#send(handed.end, handed.mark);
  }

  #send(offset: number, mark: string): void {
    this.#lastReport = Date.now();
    this.#options.report({
      path: this.#options.path,
      dev: this.#dev,
      ino: this.#ino,
      offset,
      mark,
    });
  }
}

/**
 * `flush` shared by many callers: one flush after the current turn of the event loop for all who
 * ask within it (the start positions of a thousand followed files go out in one write).
 */
export function coalescedFlush(flush: () => void | Promise<void>): () => Promise<void> {
  let pending: Promise<void> | null = null;
  return () =>
    pending ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
      pending = null;
      return flush();
    });
}

/**
 * Cuts a stream's bytes into chunks that are one batch each: whole lines no
 * longer than `max`, or the pieces of a longer line (`max` bytes each, a "\n" added, as
 * core/lines.ts cuts them). Keeps the file offset and the mark after each.
 */
class LineCutter {
  readonly #max: number;
  readonly #onLongLine: () => void;
  /** File offset after the bytes handed over. */
  #pos: number;
  /** The last MARK_BYTES bytes of the file before #pos. */
  #tail: Uint8Array;
  /** Bytes after #pos not handed over yet: the start of a line (no "\n" in it). */
  readonly #partial = new Pending();
  /** The line in #partial was cut already (its notice was given). */
  #partialCut = false;

  constructor(max: number, origin: IncarnationStream["origin"], onLongLine: () => void) {
    this.#max = max;
    this.#onLongLine = onLongLine;
    this.#pos = origin.start;
    this.#tail = origin.before.slice(Math.max(0, origin.before.length - MARK_BYTES));
  }

  /** The chunks for the next bytes of the file, valid until the next push. */
  push(chunk: Uint8Array): Handed[] {
    const out: Handed[] = [];
    let rest = chunk;
    if (this.#partial.length > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.#partial.append(chunk);
        this.#cutPartial(out);
        return out;
      }
      const line = concat(this.#partial.view(), chunk.subarray(0, nl + 1));
      this.#partial.clear();
      this.#line(line, out);
      this.#partialCut = false;
      rest = chunk.subarray(nl + 1);
    }
    const last = rest.lastIndexOf(NL);
    if (last >= 0) this.#lines(rest.subarray(0, last + 1), out);
    if (last + 1 < rest.length) {
      this.#partial.append(rest.subarray(last + 1));
      this.#cutPartial(out);
    }
    return out;
  }

  /** The unterminated rest at the end of the stream, as one chunk; null when there is none. */
  rest(): Handed | null {
    if (this.#partial.length === 0) return null;
    const bytes = this.#partial.view().slice();
    this.#partial.clear();
    return this.#hand(bytes, bytes);
  }

  /** Whole lines, as views; a line longer than max is cut on its own. */
  #lines(region: Uint8Array, out: Handed[]): void {
    const max = this.#max;
    if (region.length <= max + 1) {
      out.push(this.#hand(region, region));
      return;
    }
    let start = 0;
    for (let lineStart = 0; lineStart < region.length;) {
      const end = region.indexOf(NL, lineStart); // there is one: the region ends with "\n"
      if (end - lineStart > max) {
        if (lineStart > start) {
          const before = region.subarray(start, lineStart);
          out.push(this.#hand(before, before));
        }
        this.#line(region.subarray(lineStart, end + 1), out);
        start = end + 1;
      }
      lineStart = end + 1;
    }
    if (start < region.length) {
      const after = region.subarray(start);
      out.push(this.#hand(after, after));
    }
  }

  /** One whole line (ending with "\n"), cut into pieces when longer than max. */
  #line(line: Uint8Array, out: Handed[]): void {
    const length = line.length - 1;
    const count = Math.floor((length - 1) / this.#max);
    if (count <= 0) {
      out.push(this.#hand(line, line));
      return;
    }
    if (!this.#partialCut) this.#onLongLine();
    const max = this.#max;
    const bytes = new Uint8Array(line.length + count);
    for (let p = 0; p < count; p++) {
      bytes.set(line.subarray(p * max, (p + 1) * max), p * (max + 1));
      bytes[p * (max + 1) + max] = NL;
    }
    bytes.set(line.subarray(count * max), count * (max + 1));
    out.push(this.#hand(bytes, line));
  }

  /** Pieces of a line without its end yet, keeping at least one byte (it may still end). */
  #cutPartial(out: Handed[]): void {
    const max = this.#max;
    const count = Math.floor((this.#partial.length - 1) / max);
    if (count <= 0) return;
    if (!this.#partialCut) this.#onLongLine();
    this.#partialCut = true;
    const partial = this.#partial.view();
    const bytes = new Uint8Array(count * (max + 1));
    for (let p = 0; p < count; p++) {
      bytes.set(partial.subarray(p * max, (p + 1) * max), p * (max + 1));
      bytes[p * (max + 1) + max] = NL;
    }
    out.push(this.#hand(bytes, partial.subarray(0, count * max)));
    this.#partial.dropFront(count * max);
  }

  /** `bytes` for one batch, standing for the file bytes `file` (which follow #pos). */
  #hand(bytes: Uint8Array, file: Uint8Array): Handed {
    this.#pos += file.length;
    this.#tail = file.length >= MARK_BYTES
      ? file.slice(file.length - MARK_BYTES)
      : concat(this.#tail, file).slice(-MARK_BYTES);
    return { bytes, end: this.#pos, mark: markOf(this.#tail), reported: false };
  }
}

const NO_BYTES = new Uint8Array(0);

/** A byte buffer that grows by doubling (a long line may arrive in many small writes). */
class Pending {
  #buf = NO_BYTES; // most files never hold a partial line: no buffer of their own until one does
  length = 0;

  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.#buf.length) {
      const bigger = new Uint8Array(
        Math.max(this.length + bytes.length, this.#buf.length * 2, 256),
      );
      bigger.set(this.view());
      this.#buf = bigger;
    }
    this.#buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  view(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }

  dropFront(n: number): void {
    this.#buf.copyWithin(0, n, this.length);
    this.length -= n;
  }

  clear(): void {
    this.length = 0;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
