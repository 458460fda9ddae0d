/**
 * node:zlib's native decoders driven synchronously through their handle, the way node:zlib's own
 * *Sync functions drive them (`handle.writeSync` with the caller's input and output buffers):
 * no stream, no events, no per-chunk buffers. Raw inflate reports a damaged deflate stream with
 * the output before the damage counted; a zstd handle throws, without its progress, which is why
 * decompress.ts feeds it one block per call.
 */
import * as zlib from "node:zlib";
import type { StreamDecoder } from "./stream_decoder.ts";
import type { Inflater } from "./gunzip.ts";

interface Handle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

/** The stream objects' handle and the [availOut, availIn] it writes after each call. */
interface WithHandle {
  _handle?: Handle;
  _writeState?: Uint32Array;
}

type ZlibWithZstd = typeof zlib & { createZstdDecompress?: (o?: object) => unknown };

export const crc32 = (zlib as unknown as { crc32(data: Uint8Array, value?: number): number })
  .crc32;

/** True when this runtime's node:zlib decodes zstd (Deno ≥ 2.9). */
export const nativeZstd = typeof (zlib as ZlibWithZstd).createZstdDecompress === "function";

function open(kind: "inflateRaw" | "zstd"): WithHandle {
  if (kind === "inflateRaw") return zlib.createInflateRaw() as unknown as WithHandle;
  return (zlib as ZlibWithZstd).createZstdDecompress!() as WithHandle;
}

/** Whether node:zlib's handle is there to drive (it is in every Deno 2; checked, not assumed). */
export function handleAvailable(kind: "inflateRaw" | "zstd"): boolean {
  if (kind === "zstd" && !nativeZstd) return false;
  const z = open(kind);
  const ok = typeof z._handle?.writeSync === "function" && z._writeState instanceof Uint32Array;
  z._handle?.close();
  return ok;
}

const Z_SYNC_FLUSH = 2;

export class ZlibHandle implements StreamDecoder {
  used = 0;
  produced = 0;
  readonly #handle: Handle;
  readonly #state: Uint32Array;
  #error: string | null = null;

  constructor(readonly kind: "inflateRaw" | "zstd") {
    const z = open(kind);
    if (z._handle === undefined || z._writeState === undefined) {
      throw new Error(`node:zlib has no ${kind} handle`);
    }
    this.#handle = z._handle;
    this.#state = z._writeState;
    this.#handle.onerror = (message) => {
      this.#error ??= message;
    };
  }

  decode(input: Uint8Array, from: number, out: Uint8Array, at: number): string | null {
    const inLen = input.length - from;
    const outLen = out.length - at;
    this.#error = null;
    try {
      this.#handle.writeSync(Z_SYNC_FLUSH, input, from, inLen, out, at, outLen);
    } catch (err) {
      this.used = 0;
      this.produced = 0;
      return reasonOf(err);
    }
    this.used = inLen - this.#state[1]!;
    this.produced = outLen - this.#state[0]!;
    return this.#error;
  }

  reset(): void {
    this.#error = null;
    this.#handle.reset();
  }

  close(): void {
    this.#handle.close();
  }
}

function reasonOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.replace(/^Zstd decompress error: /, "");
}

/** node:zlib's raw inflate and CRC-32, for gunzip.ts. */
export function nodeInflater(): Inflater {
  return { inflate: new ZlibHandle("inflateRaw"), crc32: (data, crc) => crc32(data, crc) };
}
