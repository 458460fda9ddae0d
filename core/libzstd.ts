/**
 * zstd decoding through the system's libzstd.so.1 (FFI): the fastest decoder measured here
 * (docs/performance.md, "zstd and gzip decoding"), and it needs no node:zlib (40 ms to load).
 * `libzstd()` is null when FFI is not permitted or the library is missing; decompress.ts then
 * falls back to node:zlib, then to fzstd.
 */
import { address, bindLibrary, PIN_MIN } from "./ffi_library.ts";
import type { StreamDecoder } from "./stream_decoder.ts";

const SYMBOLS = {
  ZSTD_createDCtx: { parameters: [], result: "pointer" },
  ZSTD_freeDCtx: { parameters: ["pointer"], result: "usize" },
  // (dctx, ZSTD_outBuffer*, ZSTD_inBuffer*): both structs are { pointer, size, pos }.
  ZSTD_decompressStream: { parameters: ["pointer", "buffer", "buffer"], result: "usize" },
  ZSTD_DCtx_reset: { parameters: ["pointer", "i32"], result: "usize" },
  ZSTD_isError: { parameters: ["usize"], result: "u32" },
  ZSTD_getErrorName: { parameters: ["usize"], result: "pointer" },
} as const;

export type LibZstd = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: LibZstd | null | undefined;

export function libzstd(): LibZstd | null {
  if (lib === undefined) lib = bindLibrary("libzstd.so.1", SYMBOLS);
  return lib;
}

/** ZSTD_reset_session_only: a new frame, same parameters. */
const SESSION_ONLY = 1;

/**
 * One ZSTD_DStream. decompress.ts feeds it a block per call, so that a damaged block costs no output of the blocks before it (ZSTD_decompressStream
 * reports no progress for a call that fails).
 */
export class LibZstdDecoder implements StreamDecoder {
  used = 0;
  produced = 0;
  readonly #lib: LibZstd;
  #dctx: Deno.PointerValue;
  /** ZSTD_inBuffer and ZSTD_outBuffer: { pointer, size, pos }. */
  readonly #in = new BigUint64Array(new ArrayBuffer(24));
  readonly #out = new BigUint64Array(new ArrayBuffer(24));
  readonly #stage = new Uint8Array(new ArrayBuffer(PIN_MIN));

  constructor(lib: LibZstd) {
    this.#lib = lib;
    this.#dctx = lib.ZSTD_createDCtx();
    if (this.#dctx === null) throw new Error("libzstd: ZSTD_createDCtx failed");
  }

  decode(input: Uint8Array, from: number, out: Uint8Array, at: number): string | null {
    if (this.#dctx === null) throw new Error("libzstd: decoder closed");
    let src = input;
    if (input.buffer.byteLength < PIN_MIN) {
      this.#stage.set(input);
      src = this.#stage.subarray(0, input.length);
    }
    const inb = this.#in;
    const outb = this.#out;
    inb[0] = address(src, "libzstd");
    inb[1] = BigInt(src.length);
    inb[2] = BigInt(from);
    outb[0] = address(out, "libzstd");
    outb[1] = BigInt(out.length);
    outb[2] = BigInt(at);
    const r = this.#lib.ZSTD_decompressStream(this.#dctx, outb, inb);
    if (this.#lib.ZSTD_isError(r) !== 0) {
      this.used = 0;
      this.produced = 0;
      const name = this.#lib.ZSTD_getErrorName(r);
      return name === null ? "zstd error" : new Deno.UnsafePointerView(name).getCString();
    }
    this.used = Number(inb[2]) - from;
    this.produced = Number(outb[2]) - at;
    return null;
  }

  reset(): void {
    if (this.#dctx !== null) this.#lib.ZSTD_DCtx_reset(this.#dctx, SESSION_ONLY);
  }

  close(): void {
    if (this.#dctx === null) return;
    this.#lib.ZSTD_freeDCtx(this.#dctx);
    this.#dctx = null;
  }
}
