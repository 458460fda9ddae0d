/**
 * Walks the frame and block headers of a zstd stream (RFC 8878) without decoding it, to cut
 * the stream at frame boundaries. Deno's native zstd decoder stops after the first frame
 * ("Unknown frame descriptor" on concatenated files) and ends silently on truncated input, so
 * we feed it one frame at a time and notice truncation ourselves.
 */
import { CorruptInputError } from "./compression.ts";

export interface FramePiece {
  /** Input bytes (a view of the pushed chunk). */
  readonly bytes: Uint8Array;
  /** True for the last piece of a frame. */
  readonly frameEnd: boolean;
  /** Part of a skippable frame: not for the decoder. */
  readonly skip: boolean;
}

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type State =
  | { kind: "magic" } // before a frame
  | { kind: "header"; skippable: boolean } // reading a (skippable) frame header
  | { kind: "block-header" }
  | { kind: "data"; left: number; then: "block-header" | "checksum" | "frame-end"; skip: boolean }
  | { kind: "checksum"; left: number };

export class ZstdFrameSplitter {
  #state: State = { kind: "magic" };
  #checksum = false;
  /** Header bytes gathered across chunks. */
  #head: number[] = [];
  #headNeed = 4;
  #skipping = false;

  constructor(readonly name: string) {}

  /** Splits a chunk into pieces at frame boundaries. */
  push(chunk: Uint8Array): FramePiece[] {
    const pieces: FramePiece[] = [];
    let pos = 0;
    let pieceStart = 0;
    const cut = (end: number, frameEnd: boolean) => {
      if (end > pieceStart || frameEnd) {
        pieces.push({ bytes: chunk.subarray(pieceStart, end), frameEnd, skip: this.#skipping });
      }
      pieceStart = end;
    };
    while (pos < chunk.length) {
      const s = this.#state;
      if (s.kind === "data" || s.kind === "checksum") {
        const take = Math.min(s.left, chunk.length - pos);
        pos += take;
        s.left -= take;
        if (s.left > 0) break;
        if (s.kind === "checksum" || s.then === "frame-end") {
          cut(pos, true);
          this.#skipping = false;
          this.#state = { kind: "magic" };
          this.#headNeed = 4;
        } else if (s.then === "checksum") {
          this.#state = { kind: "checksum", left: 4 };
        } else {
          this.#state = { kind: "block-header" };
          this.#headNeed = 3;
        }
        continue;
      }
      if (s.kind === "magic" && this.#head.length === 0) cut(pos, false); // between frames
      this.#head.push(chunk[pos++]!);
      if (this.#head.length < this.#headNeed) continue;
      if (s.kind === "magic") {
        // The magic decides whether the frame is skipped; its bytes may have started in the
        // previous chunk, where they were held back.
        const inChunk = Math.min(this.#head.length, pos);
        this.#recognize();
        pieceStart = pos - inChunk;
        const held = this.#head.length - inChunk;
        if (held > 0) {
          pieces.push({
            bytes: Uint8Array.from(this.#head.slice(0, held)),
            frameEnd: false,
            skip: this.#skipping,
          });
        }
      } else this.#headerComplete();
    }
    if (this.#state.kind === "magic") {
      // Hold back a magic number cut by the chunk's end until we know what it starts.
      cut(pos - this.#head.length, false);
      pieceStart = pos;
    } else cut(pos, false);
    return pieces;
  }

  /** Called at the end of input: a frame cut short is corrupt input. */
  finish(): void {
    const s = this.#state;
    if (s.kind === "data" && s.left === 0 && s.then === "frame-end") return;
    if (s.kind !== "magic" || this.#head.length > 0) {
      throw new CorruptInputError(`${this.name}: corrupt zstd data (truncated)`);
    }
  }

  /** The four magic bytes are in: a zstd frame or a skippable one. */
  #recognize(): void {
    const h = this.#head;
    const magic = (h[0]! | (h[1]! << 8) | (h[2]! << 16) | (h[3]! << 24)) >>> 0;
    if (magic === ZSTD_MAGIC) {
      this.#state = { kind: "header", skippable: false };
      this.#headNeed = 5; // magic + descriptor
    } else if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      this.#skipping = true;
      this.#state = { kind: "header", skippable: true };
      this.#headNeed = 8; // magic + size
    } else {
      throw new CorruptInputError(`${this.name}: corrupt zstd data (bad frame magic)`);
    }
  }

  #headerComplete(): void {
    const h = this.#head;
    const s = this.#state;
    if (s.kind === "header" && s.skippable) {
      const size = (h[4]! | (h[5]! << 8) | (h[6]! << 16) | (h[7]! << 24)) >>> 0;
      this.#head = [];
      this.#state = { kind: "data", left: size, then: "frame-end", skip: true };
      return;
    }
    if (s.kind === "header") {
      const d = h[4]!;
      const fcsFlag = d >> 6;
      const single = (d >> 5) & 1;
      this.#checksum = ((d >> 2) & 1) === 1;
      const didSize = [0, 1, 2, 4][d & 3]!;
      const fcsSize = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
      const need = 5 + (single ? 0 : 1) + didSize + fcsSize;
      if (h.length < need) {
        this.#headNeed = need;
        return;
      }
      this.#head = [];
      this.#state = { kind: "block-header" };
      this.#headNeed = 3;
      return;
    }
    // block header
    const bits = h[0]! | (h[1]! << 8) | (h[2]! << 16);
    this.#head = [];
    const last = (bits & 1) === 1;
    const type = (bits >> 1) & 3;
    const size = bits >>> 3;
    if (type === 3) {
      throw new CorruptInputError(`${this.name}: corrupt zstd data (reserved block type)`);
    }
    const then = last ? (this.#checksum ? "checksum" : "frame-end") : "block-header";
    this.#state = { kind: "data", left: type === 1 ? 1 : size, then, skip: false };
  }
}
