/**
 * Streaming decompression of gzip and zstd into reused output buffers.
 *
 * zstd: the system's libzstd through FFI (libzstd.ts), else node:zlib's native decoder
 * (zlib_handle.ts), else fzstd (pure JavaScript); gzip: node:zlib's raw inflate, or for small
 * input the system's libz (libz.ts), under gunzip.ts.
 * Measurements and the choice: docs/performance.md, "zstd and gzip decoding". node:zlib and
 * fzstd are loaded only when used (node:zlib costs about 45 ms of CPU to load).
 *
 * Damaged input (docs/decisions.md, "Damaged compressed files"): every byte decoded before the
 * damage is yielded, then a CorruptInputError names the file and the offset of the damage in the
 * compressed input. Nothing after the first damage is read, as `gzip -dc` and `zstd -dc` do.
 */
import { readBuffer, releaseBuffer } from "./byte_search.ts";
import { corruptData } from "./compression.ts";
import { libzstd, LibZstdDecoder } from "./libzstd.ts";
import { libz, libzInflater } from "./libz.ts";
import type { Inflater } from "./gunzip.ts";
import {
  type BufferSupply,
  DecodeFailure,
  decodeInto,
  Output,
  OUTPUT_CHUNK,
  type StreamDecoder,
} from "./stream_decoder.ts";
import { type FramePiece, ZstdFrameSplitter } from "./zstd_frames.ts";

/** Which zstd decoder: "auto" is the first of "libzstd", "node", "fzstd" that is available. */
export type ZstdEngine = "auto" | "libzstd" | "node" | "fzstd";

export interface DecompressOptions {
  /** Default "auto"; an engine that is not available falls back to the next in that order. */
  readonly zstd?: ZstdEngine;
  /**
   * gzip's raw inflate: node:zlib's (default: the faster for large input), or the system's libz
   * where it is bound (for small input: it spares the ~16 ms of loading node:zlib), else node's.
   */
  readonly gzip?: "node" | "libz";
  /**
   * Where the native decoders put their output: each chunk they yield is a view of a buffer from
   * here, from its start, not written again before the consumer asks for the next chunk (fzstd
   * yields arrays of its own). Default: one 256 KiB read buffer (byte_search.ts), reused.
   */
  readonly buffers?: BufferSupply;
}

/**
 * Decompresses a chunk stream. An input chunk need stay valid only until the next is asked for
 * (the source may reuse its buffer: fresh buffers cost more than the decoding, see
 * docs/performance.md). `options` false is `{ zstd: "fzstd" }` and true the default.
 */
export async function* decompress(
  kind: "gzip" | "zstd",
  input: AsyncIterable<Uint8Array>,
  name: string,
  options: DecompressOptions | boolean = {},
): AsyncGenerator<Uint8Array> {
  const o = typeof options === "boolean" ? (options ? {} : { zstd: "fzstd" as const }) : options;
  // By default a read buffer: where this thread searches bytes, its batches are searched and
  // printed where they are (byte_search.ts), as a plain file's are.
  const own = o.buffers === undefined ? readBuffer(OUTPUT_CHUNK) : null;
  const buffers = o.buffers ?? (() => own!);
  try {
    if (kind === "zstd") yield* zstdStream(input, name, o.zstd ?? "auto", buffers);
    else yield* gunzipLazily(input, name, buffers, o.gzip ?? "node");
  } finally {
    if (own !== null) releaseBuffer(own);
  }
}

async function* gunzipLazily(
  input: AsyncIterable<Uint8Array>,
  name: string,
  buffers: BufferSupply,
  engine: "node" | "libz",
): AsyncGenerator<Uint8Array> {
  const { gunzip } = await import("./gunzip.ts");
  const z = engine === "libz" && libzInflated < LIBZ_BUDGET ? libz() : null;
  let inflater: Inflater;
  if (z !== null) inflater = libzInflater(z);
  else {
    const { nodeInflater } = await import("./zlib_handle.ts");
    inflater = nodeInflater();
  }
  if (z === null) return yield* gunzip(input, name, buffers, inflater);
  for await (const chunk of gunzip(input, name, buffers, inflater)) {
    libzInflated += chunk.length;
    yield chunk;
  }
}

/**
 * Output inflated through libz after which small files too go through node:zlib. Its inflate is
 * ~0.75 ms per MB faster here (100 MB: 0.09 s against 0.165 s), which pays for its ~16 ms of
 * loading after ~21 MB; a run does not know how much its glob holds, so libz is used for the
 * first MiB only (and the file it ends in): one or two small files gain ~13 ms, a glob of many
 * loses ~1–2 ms.
 */
const LIBZ_BUDGET = 1 << 20;
let libzInflated = 0;

/** Whether a native decoder (not fzstd) would decode `kind` with the engine asked for. */
export async function nativeDecoder(kind: "gzip" | "zstd", engine: ZstdEngine): Promise<boolean> {
  if (kind === "gzip") return true;
  if (engine === "fzstd") return false;
  if (libzstd() !== null && engine !== "node") return true;
  const { handleAvailable } = await import("./zlib_handle.ts");
  return handleAvailable("zstd");
}

/** A decoder for the engine asked for, or the next one available; null for fzstd. */
async function zstdDecoder(engine: ZstdEngine): Promise<StreamDecoder | null> {
  if (engine === "auto" || engine === "libzstd") {
    const lib = libzstd();
    if (lib !== null) return new LibZstdDecoder(lib);
  }
  if (engine !== "fzstd") {
    const { handleAvailable, ZlibHandle } = await import("./zlib_handle.ts");
    if (handleAvailable("zstd")) return new ZlibHandle("zstd");
  }
  return null;
}

/** zstd: the frame walker cuts frames and blocks, a native decoder or fzstd does the rest. */
async function* zstdStream(
  input: AsyncIterable<Uint8Array>,
  name: string,
  engine: ZstdEngine,
  buffers: BufferSupply,
): AsyncGenerator<Uint8Array> {
  const splitter = new ZstdFrameSplitter(name);
  const chunks = input[Symbol.asyncIterator]();
  const pending: FramePiece[] = [];
  let inputDone = false;
  /** Makes sure a piece is waiting, unless the input is exhausted or damaged. */
  const fill = async (): Promise<boolean> => {
    for (;;) {
      if (pending.length > 0) return true;
      if (inputDone || splitter.damage !== null) return false;
      const r = await chunks.next();
      if (r.done) {
        inputDone = true;
        splitter.finish();
      } else {
        for (const piece of splitter.push(r.value)) if (!piece.skip) pending.push(piece);
      }
    }
  };
  let decoder: StreamDecoder | null = null;
  try {
    decoder = await zstdDecoder(engine);
    if (decoder !== null) yield* nativeBlocks(decoder, pending, fill, name, buffers);
    else yield* fzstdBlocks(pending, fill, name);
    const damage = splitter.damage;
    if (damage !== null) throw damage;
  } finally {
    decoder?.close();
    await chunks.return?.();
  }
}

/**
 * All frames through a native decoder, one block per call: a call that fails reports no output
 * (libzstd's and node:zlib's zstd alike), so the output of the blocks before it is all out.
 */
async function* nativeBlocks(
  decoder: StreamDecoder,
  pending: FramePiece[],
  fill: () => Promise<boolean>,
  name: string,
  buffers: BufferSupply,
): AsyncGenerator<Uint8Array> {
  const out = new Output(buffers);
  try {
    for (;;) {
      if (pending.length === 0) {
        // Before waiting for input, what decoded goes out (a slow pipe still shows its lines).
        if (out.at > 0) yield out.take();
        if (!(await fill())) break;
      }
      const piece = pending.shift()!;
      try {
        yield* decodeInto(decoder, piece.bytes, out);
      } catch (err) {
        if (!(err instanceof DecodeFailure)) throw err;
        throw corruptData(name, "zstd", piece.block, err.reason);
      }
      if (piece.frameEnd) decoder.reset(); // node:zlib's would stop after the frame
    }
  } catch (err) {
    if (out.at > 0) yield out.take();
    throw err;
  }
}

/** All frames through fzstd (pure JavaScript), one block per push. */
async function* fzstdBlocks(
  pending: FramePiece[],
  fill: () => Promise<boolean>,
  name: string,
): AsyncGenerator<Uint8Array> {
  const { Decompress } = await import("fzstd");
  const out: Uint8Array[] = [];
  const d = new Decompress((chunk) => out.push(chunk));
  const push = (piece: FramePiece | null): Error | null => {
    try {
      if (piece === null) d.push(new Uint8Array(0), true);
      else d.push(piece.bytes);
      return null;
    } catch (err) {
      const m = err instanceof Error ? err.message : String(err);
      const why = m.charAt(0).toLowerCase() + m.slice(1);
      return corruptData(name, "zstd", piece?.block ?? 0, why);
    }
  };
  let last: FramePiece | null = null;
  while (await fill()) {
    last = pending.shift()!;
    // fzstd keeps pieces of a block cut by the chunk's end; the source may reuse its buffer.
    const failure = push({ ...last, bytes: last.bytes.slice() });
    while (out.length > 0) yield out.shift()!; // what decoded before the damage, too
    if (failure !== null) throw failure;
  }
  // fzstd wants to be told of the end; not after a frame cut short (the walker reports that).
  const failure = last === null || last.frameEnd ? push(null) : null;
  while (out.length > 0) yield out.shift()!;
  if (failure !== null) throw failure;
}
