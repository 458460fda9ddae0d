/**
 * The lines of a control input that is no terminal (a file, a pipe: `--control-tty`), each at
 * most MAX_CONTROL_LINE characters. A longer one is dropped as soon as it is that long, and the
 * rest of it skipped up to its end, so that an input without line ends (`/dev/zero`) costs neither
 * memory nor time beyond the limit.
 */

/** Longest command line taken: a `:reload` with a long regex fits (RE2 patterns stop at 16 KiB). */
export const MAX_CONTROL_LINE = 64 * 1024;

export interface Split {
  readonly lines: string[];
  /** Lines that reached the limit in this text (said once each, then skipped to their end). */
  readonly dropped: number;
}

export class LineSplitter {
  #partial = "";
  #skipping = false;

  constructor(private readonly max = MAX_CONTROL_LINE) {}

  /** The lines that `text` ends, without their "\n" (and a "\r" before it). */
  push(text: string): Split {
    const lines: string[] = [];
    let dropped = 0;
    for (let from = 0;;) {
      const nl = text.indexOf("\n", from);
      if (!this.#skipping) {
        const piece = text.slice(from, nl < 0 ? text.length : nl);
        if (this.#partial.length + piece.length > this.max) {
          this.#skipping = true;
          this.#partial = "";
          dropped++;
        } else this.#partial += piece;
      }
      if (nl < 0) return { lines, dropped };
      if (!this.#skipping) lines.push(this.#partial.replace(/\r$/, ""));
      this.#partial = "";
      this.#skipping = false;
      from = nl + 1;
    }
  }

  /** The last line when the input ended without its "\n"; null when there is none. */
  end(): string | null {
    const last = this.#skipping || this.#partial === "" ? null : this.#partial;
    this.#partial = "";
    this.#skipping = false;
    return last;
  }
}
