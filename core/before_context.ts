/**
 * The lines that `--before N` may still print before the next match (core/select.ts): the last N
 * lines, but never more than MAX_BEFORE_BYTES of them. A reader never holds a whole file for a
 * context that size or no match asks for: on dserver the context is a user's request, and
 * `--before 100000000` on a 100 MB log held 1 GB (the Go dgrep 3.4 GB). Lines dropped for the byte
 * bound are counted, and the first match printed with fewer lines before it than asked for is told
 * (`onLimit`, once), so that a shorter context is never silent.
 */
import { LineBatch } from "./line_batch.ts";

/** A line held for the context: `batch.bytes[start, end)`. */
export interface HeldLine {
  batch: LineBatch;
  start: number;
  end: number;
  lineNo: number;
}

/** The most held for one source's before-context: its lines' bytes and LINE_COST per line. */
export const MAX_BEFORE_BYTES = 16 * 1024 * 1024;
/** What a reader tells (once per file) when it dropped lines for MAX_BEFORE_BYTES. */
export const CONTEXT_LIMIT_NOTICE =
  `--before context cut (a reader holds at most ${MAX_BEFORE_BYTES >> 20} MiB of it): ` +
  "lines further back are not shown";

/** What a held line costs beside its bytes (its object and its batch), counted against the bound. */
const LINE_COST = 96;

export class BeforeContext {
  readonly #lines: number;
  readonly #maxBytes: number;
  readonly #onLimit: (() => void) | undefined;
  /** The held lines are `#held[#head…]` (a queue that does not shift on every line). */
  #held: (HeldLine | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  /** Lines dropped for the byte bound, not for `lines`. */
  dropped = 0;
  /** Whether the lines held now are fewer than asked for, for the byte bound. */
  #short = false;
  #told = false;

  constructor(lines: number, onLimit?: () => void, maxBytes = MAX_BEFORE_BYTES) {
    this.#lines = lines;
    this.#onLimit = onLimit;
    this.#maxBytes = maxBytes;
  }

  get size(): number {
    return this.#held.length - this.#head;
  }

  /** Holds a line that was not selected; the oldest go when there are too many or too big. */
  push(line: HeldLine): void {
    this.#held.push(line);
    this.#bytes += line.end - line.start + LINE_COST;
    if (this.size > this.#lines) this.#dropOldest();
    while (this.#bytes > this.#maxBytes && this.size > 1) {
      this.#dropOldest();
      this.dropped++;
      this.#short = true;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#held.length) {
      this.#held = this.#held.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Whether `lines` lines of `bytes` in all, held, would all stay under the byte bound. */
  fits(lines: number, bytes: number): boolean {
    return bytes + lines * LINE_COST <= this.#maxBytes;
  }

  /** Takes every held line, oldest first, and holds none (a match prints them). */
  take(): HeldLine[] {
    if (this.#short && !this.#told) {
      this.#told = true;
      this.#onLimit?.();
    }
    this.#short = false;
    const lines = (this.#head === 0 ? this.#held : this.#held.slice(this.#head)) as HeldLine[];
    this.#held = [];
    this.#head = 0;
    this.#bytes = 0;
    return lines;
  }

  /**
   * Copies the held lines of `batch`, whose bytes may be reused once it is done: they are its last
   * lines held, one run of bytes (a match takes every held line), copied whole into one batch.
   */
  keepCopies(batch: LineBatch): void {
    let first = this.#held.length;
    while (first > this.#head && this.#held[first - 1]!.batch === batch) first--;
    if (first === this.#held.length) return;
    const from = this.#held[first]!.start;
    const to = this.#held[this.#held.length - 1]!.end;
    const copy = new LineBatch(batch.bytes.slice(from, to), this.#held[first]!.lineNo);
    for (let i = first; i < this.#held.length; i++) {
      const line = this.#held[i]!;
      this.#held[i] = {
        batch: copy,
        start: line.start - from,
        end: line.end - from,
        lineNo: line.lineNo,
      };
    }
  }

  #dropOldest(): void {
    const line = this.#held[this.#head]!;
    this.#held[this.#head++] = undefined; // its batch may go
    this.#bytes -= line.end - line.start + LINE_COST;
  }
}
