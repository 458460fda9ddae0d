/**
 * Raw inflate and CRC-32 through the system's libz.so.1 (FFI), for small gzip files: loading
 * node:zlib costs ~16 ms of a run (docs/performance.md, "Standard input", at its end), more than
 * inflating a small file, while for large ones node:zlib's inflate is 1.7× faster than this
 * (docs/performance.md, "zstd and gzip decoding"). `libz()` is null without FFI or the library.
 */
import { address, bindLibrary, PIN_MIN } from "./ffi_library.ts";
import type { Inflater } from "./gunzip.ts";
import type { StreamDecoder } from "./stream_decoder.ts";

const SYMBOLS = {
  inflateInit2_: { parameters: ["pointer", "i32", "buffer", "i32"], result: "i32" },
  inflate: { parameters: ["pointer", "i32"], result: "i32" },
  inflateReset: { parameters: ["pointer"], result: "i32" },
  inflateEnd: { parameters: ["pointer"], result: "i32" },
  crc32: { parameters: ["u64", "buffer", "u32"], result: "u64" },
} as const;

type Libz = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let lib: Libz | null | undefined;

export function libz(): Libz | null {
  if (lib === undefined) lib = bindLibrary("libz.so.1", SYMBOLS);
  return lib;
}

/** x86_64's `z_stream`: where its fields are, and its size (inflateInit2_ checks it). */
const NEXT_IN = 0;
const AVAIL_IN = 8;
const NEXT_OUT = 24;
const AVAIL_OUT = 32;
const MSG = 48;
const Z_STREAM_BYTES = 112;
const Z_SYNC_FLUSH = 2;
const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_BUF_ERROR = -5;
/** Only the major version is compared. */
const VERSION = new TextEncoder().encode("1\0");

/** CRC-32 of `data`, continuing `crc`, as node:zlib's `crc32`. */
export function libzCrc32(z: Libz, data: Uint8Array, crc = 0): number {
  return Number(z.crc32(BigInt(crc >>> 0), data, data.length));
}

/**
 * One raw-inflate stream. A damaged stream's error comes with the output before the damage
 * counted (zlib updates the stream before it returns), as node:zlib's handle does.
 */
export class LibzInflate implements StreamDecoder {
  used = 0;
  produced = 0;
  readonly #z: Libz;
  /** The z_stream, in memory that never moves: zlib keeps its address. */
  readonly #stream = new Uint8Array(new ArrayBuffer(PIN_MIN));
  readonly #view = new DataView(this.#stream.buffer);
  readonly #pointer: Deno.PointerValue;
  readonly #stage = new Uint8Array(new ArrayBuffer(PIN_MIN));
  #open: boolean;

  constructor(z: Libz) {
    this.#z = z;
    this.#pointer = Deno.UnsafePointer.of(this.#stream);
    const r = z.inflateInit2_(this.#pointer, -15, VERSION, Z_STREAM_BYTES);
    if (r !== Z_OK) throw new Error(`libz: inflateInit2 failed (${r})`);
    this.#open = true;
  }

  decode(input: Uint8Array, from: number, out: Uint8Array, at: number): string | null {
    if (!this.#open) throw new Error("libz: inflate closed");
    let src = input;
    if (input.buffer.byteLength < PIN_MIN) {
      this.#stage.set(input);
      src = this.#stage.subarray(0, input.length);
    }
    const inLen = src.length - from;
    const outLen = out.length - at;
    const v = this.#view;
    v.setBigUint64(NEXT_IN, address(src, "libz") + BigInt(from), true);
    v.setUint32(AVAIL_IN, inLen, true);
    v.setBigUint64(NEXT_OUT, address(out, "libz") + BigInt(at), true);
    v.setUint32(AVAIL_OUT, outLen, true);
    const r = this.#z.inflate(this.#pointer, Z_SYNC_FLUSH);
    this.used = inLen - v.getUint32(AVAIL_IN, true);
    this.produced = outLen - v.getUint32(AVAIL_OUT, true);
    if (r === Z_OK || r === Z_STREAM_END || r === Z_BUF_ERROR) return null;
    const msg = v.getBigUint64(MSG, true);
    return msg === 0n
      ? `zlib error ${r}`
      : new Deno.UnsafePointerView(Deno.UnsafePointer.create(msg)!).getCString();
  }

  reset(): void {
    if (this.#open) this.#z.inflateReset(this.#pointer);
  }

  close(): void {
    if (!this.#open || spares.includes(this)) return; // closed already: not handed out twice
    if (spares.length < MAX_SPARES) {
      this.#z.inflateReset(this.#pointer);
      spares.push(this);
      return;
    }
    this.#open = false;
    this.#z.inflateEnd(this.#pointer);
  }
}

/** Streams closed and reset, for the next file (a glob of small files: no set-up per file). */
const spares: LibzInflate[] = [];
const MAX_SPARES = 2;

/** A raw-inflate stream: a spare one, or a new one. */
export function libzInflate(z: Libz): LibzInflate {
  return spares.pop() ?? new LibzInflate(z);
}

/** libz's raw inflate (a spare stream where there is one) and CRC-32, for gunzip.ts. */
export function libzInflater(z: Libz): Inflater {
  return { inflate: libzInflate(z), crc32: (data, crc) => libzCrc32(z, data, crc) };
}
