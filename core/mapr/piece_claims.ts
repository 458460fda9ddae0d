/**
 * The pieces of a file two threads map from both ends (parallel_map.ts, map_worker.ts): piece k
 * is the lines starting in [k × pieceBytes, (k + 1) × pieceBytes). One thread claims pieces from
 * the front, the other from the back, through one shared word (front count | back count << 16)
 * changed by compare-and-swap, so each piece is claimed exactly once and the front thread's pieces
 * all come before the back thread's.
 */

import type { InputFile } from "../fd_file.ts";

/** At most this many pieces (16 bits a count): bigger files get bigger pieces. */
const MAX_PIECES = 0xffff;
const FIRST_WINDOW = 4096;
const WINDOW = 64 * 1024;

export class PieceClaims {
  readonly #word: Int32Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly pieces: number,
    readonly pieceBytes: number,
  ) {
    this.#word = new Int32Array(buffer);
  }

  /** Claims for a file of `size` bytes in pieces of `pieceBytes` (or more, see MAX_PIECES). */
  static create(size: number, pieceBytes: number): PieceClaims {
    const bytes = Math.max(1, pieceBytes, Math.ceil(size / MAX_PIECES));
    return new PieceClaims(new SharedArrayBuffer(4), Math.ceil(size / bytes), bytes);
  }

  /** The next piece from the front, or -1 when none is left. */
  front(): number {
    return this.#claim(1);
  }

  /** The next piece from the back, or -1 when none is left. */
  back(): number {
    return this.#claim(1 << 16);
  }

  /** How many pieces were claimed from the back. */
  get backClaimed(): number {
    return Atomics.load(this.#word, 0) >>> 16;
  }

  /** Lets no more pieces be claimed (the front side claims the rest without mapping them). */
  closeAll(): void {
    while (this.front() >= 0);
  }

  #claim(step: number): number {
    const word = this.#word;
    for (;;) {
      const seen = Atomics.load(word, 0);
      const front = seen & 0xffff;
      const back = seen >>> 16;
      if (front + back >= this.pieces) return -1;
      if (Atomics.compareExchange(word, 0, seen, (seen + step) | 0) === seen) {
        return step === 1 ? front : this.pieces - 1 - back;
      }
    }
  }
}

/**
 * The start of the first line at or after `at`: 0 at 0, `size` at or past the end, and the end of
 * the file when no line starts after `at`.
 */
export function lineStartAt(file: InputFile, at: number, size: number): number {
  if (at <= 0) return 0;
  if (at >= size) return size;
  // Most lines are short: a small read first.
  let window = new Uint8Array(FIRST_WINDOW);
  for (let from = at - 1; from < size; from += window.length) {
    file.seekSync(from, Deno.SeekMode.Start);
    const got = file.readSync(window) ?? 0;
    if (got === 0) break;
    const newline = window.subarray(0, got).indexOf(10);
    if (newline >= 0) return Math.min(from + newline + 1, size);
    if (got < window.length) break;
    if (window.length < WINDOW) window = new Uint8Array(WINDOW);
  }
  return size;
}
