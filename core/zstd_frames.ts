/**
 * Walks the frame and block headers of a zstd stream (RFC 8878) without decoding it, to cut
 * the stream into pieces that the decoder is fed one at a time:
 * - at frame boundaries: Deno's native zstd decoder stops after the first frame ("Unknown frame
 *   descriptor" on concatenated files) and ends silently on truncated input, so each frame gets
 *   its own decoder and truncation is noticed here;
 * - after every block and before the checksum: a node:zlib decoder that fails drops the output
 *   of the write it failed in, so with one block per write nothing decoded before the damage is
 *   lost. And Deno 2.9 throws an error met after the first output buffer of a write filled up (a
 *   damaged block, a checksum mismatch) as an uncaught error, which ends the process; one block
 *   per write, and the checksum alone, meet every error in a write's first call, where it is a
 *   stream error.
 * Bytes that are not a frame, a bad header, or input that ends inside a frame set `damage` (with
 * the offset of the damage); no pieces come after it.
 */
import { corruptData, type CorruptInputError } from "./compression.ts";

export interface FramePiece {
  /** Input bytes (a view of the pushed chunk). */
  readonly bytes: Uint8Array;
  /** Offset of the first byte in the whole input. */
  readonly offset: number;
  /** Offset of the block (its header), or of the checksum, that the piece belongs to. */
  readonly block: number;
  /** True for the last piece of a frame. */
  readonly frameEnd: boolean;
  /** Part of a skippable frame: not for the decoder. */
  readonly skip: boolean;
}

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** Block_Maximum_Size: no block, compressed or not, is larger (RFC 8878 §3.1.1.2.4). */
const MAX_BLOCK = 128 * 1024;

type State =
  | { kind: "magic" } // before a frame
  | { kind: "header"; skippable: boolean } // reading a (skippable) frame header
  | { kind: "block-header" }
  | { kind: "data"; left: number; then: "block-header" | "checksum" | "frame-end"; skip: boolean }
  | { kind: "checksum"; left: number };

export class ZstdFrameSplitter {
  #state: State = { kind: "magic" };
  #checksum = false;
  /** Header bytes gathered across chunks, and the offset of the first one. */
  #head: number[] = [];
  #headStart = 0;
  #headNeed = 4;
  #skipping = false;
  /** Offset of the current block header or checksum (the frame's start before its first block). */
  #unit = 0;
  /** Bytes pushed before the current chunk. */
  #base = 0;
  #damage: CorruptInputError | null = null;

  constructor(readonly name: string) {}

  /** The first damage found; the pieces returned before it are all there is. */
  get damage(): CorruptInputError | null {
    return this.#damage;
  }

  /** Splits a chunk into pieces at frame and block boundaries. */
  push(chunk: Uint8Array): FramePiece[] {
    const pieces: FramePiece[] = [];
    if (this.#damage !== null) return pieces;
    const base = this.#base;
    this.#base += chunk.length;
    let pos = 0;
    let pieceStart = 0;
    const cut = (end: number, frameEnd: boolean) => {
      if (end > pieceStart || frameEnd) {
        pieces.push({
          bytes: chunk.subarray(pieceStart, end),
          offset: base + pieceStart,
          block: this.#unit,
          frameEnd,
          skip: this.#skipping,
        });
      }
      pieceStart = end;
    };
    for (;;) {
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
        } else {
          cut(pos, false); // one block per piece, and the checksum on its own
          if (s.then === "checksum") {
            this.#state = { kind: "checksum", left: 4 };
            this.#unit = base + pos;
          } else {
            this.#state = { kind: "block-header" };
            this.#headNeed = 3;
          }
        }
        continue;
      }
      if (pos >= chunk.length) break;
      if (this.#head.length === 0) {
        if (s.kind === "magic") cut(pos, false); // between frames
        this.#headStart = base + pos;
        this.#unit = this.#headStart;
      }
      this.#head.push(chunk[pos++]!);
      if (this.#head.length < this.#headNeed) continue;
      if (s.kind === "magic") {
        // The magic decides whether the frame is skipped; its bytes may have started in the
        // previous chunk, where they were held back.
        const inChunk = Math.min(this.#head.length, pos);
        if (!this.#recognize()) return pieces;
        pieceStart = pos - inChunk;
        const held = this.#head.length - inChunk;
        if (held > 0) {
          pieces.push({
            bytes: Uint8Array.from(this.#head.slice(0, held)),
            offset: this.#headStart,
            block: this.#headStart,
            frameEnd: false,
            skip: this.#skipping,
          });
        }
      } else if (!this.#headerComplete()) {
        // The bad header is not handed on; what came before it is.
        cut(Math.max(pieceStart, this.#headStart - base), false);
        return pieces;
      }
    }
    if (this.#state.kind === "magic") {
      // Hold back a magic number cut by the chunk's end until we know what it starts.
      cut(pos - this.#head.length, false);
      pieceStart = pos;
    } else cut(pos, false);
    return pieces;
  }

  /** Called at the end of input: a frame cut short is damage. Returns the damage, if any. */
  finish(): CorruptInputError | null {
    if (this.#damage !== null) return this.#damage;
    const s = this.#state;
    if (s.kind === "magic" && this.#head.length === 0) return null;
    if (s.kind === "magic") this.#fail(this.#headStart, "trailing garbage");
    else this.#fail(this.#base, "unexpected end of file");
    return this.#damage;
  }

  #fail(offset: number, why: string): false {
    this.#damage = corruptData(this.name, "zstd", offset, why);
    return false;
  }

  /** The four magic bytes are in: a zstd frame or a skippable one. */
  #recognize(): boolean {
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
      return this.#fail(
        this.#headStart,
        this.#headStart === 0 ? "not a zstd frame" : "trailing garbage",
      );
    }
    return true;
  }

  #headerComplete(): boolean {
    const h = this.#head;
    const s = this.#state;
    if (s.kind === "header" && s.skippable) {
      const size = (h[4]! | (h[5]! << 8) | (h[6]! << 16) | (h[7]! << 24)) >>> 0;
      this.#head = [];
      this.#state = { kind: "data", left: size, then: "frame-end", skip: true };
      return true;
    }
    if (s.kind === "header") {
      const d = h[4]!;
      if ((d & 0x08) !== 0) return this.#fail(this.#headStart + 4, "reserved frame header bit");
      const fcsFlag = d >> 6;
      const single = (d >> 5) & 1;
      this.#checksum = ((d >> 2) & 1) === 1;
      const didSize = [0, 1, 2, 4][d & 3]!;
      const fcsSize = [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
      const need = 5 + (single ? 0 : 1) + didSize + fcsSize;
      if (h.length < need) {
        this.#headNeed = need;
        return true;
      }
      this.#head = [];
      this.#state = { kind: "block-header" };
      this.#headNeed = 3;
      return true;
    }
    // block header
    const bits = h[0]! | (h[1]! << 8) | (h[2]! << 16);
    this.#head = [];
    const last = (bits & 1) === 1;
    const type = (bits >> 1) & 3;
    const size = bits >>> 3;
    if (type === 3) return this.#fail(this.#headStart, "reserved block type");
    if (size > MAX_BLOCK) return this.#fail(this.#headStart, "block too large");
    const then = last ? (this.#checksum ? "checksum" : "frame-end") : "block-header";
    this.#state = { kind: "data", left: type === 1 ? 1 : size, then, skip: false };
    return true;
  }
}
