/** Streaming decompression: gzip through node:zlib, zstd natively or through fzstd. */
import * as zlib from "node:zlib";
import { Decompress as FzstdDecompress } from "fzstd";
import { CorruptInputError } from "./compression.ts";
import { type FramePiece, ZstdFrameSplitter } from "./zstd_frames.ts";

const OUTPUT_CHUNK = 256 * 1024;

/** True when this runtime's node:zlib decodes zstd natively (Deno ≥ 2.9); fzstd otherwise. */
export const nativeZstd = typeof (zlib as { createZstdDecompress?: unknown })
  .createZstdDecompress === "function";

/**
 * Decompresses a chunk stream. Input chunks are handed to zlib, which may keep them until it has
 * consumed them, so the input must be a `fresh` chunk stream (see chunks.ts).
 */
export function decompress(
  kind: "gzip" | "zstd",
  input: AsyncIterable<Uint8Array>,
  name: string,
  useNative = true,
): AsyncGenerator<Uint8Array> {
  if (kind === "zstd") {
    return useNative && nativeZstd ? zstdFrames(input, name) : fzstdStream(input, name);
  }
  return zlibStream(zlib.createGunzip({ chunkSize: OUTPUT_CHUNK }), input, kind, name);
}

function nativeZstdStream(): zlib.Gunzip {
  return (zlib as unknown as { createZstdDecompress(o: object): zlib.Gunzip })
    .createZstdDecompress({ chunkSize: OUTPUT_CHUNK });
}

/** Native zstd, one decoder per frame (see zstd_frames.ts for why). */
async function* zstdFrames(
  input: AsyncIterable<Uint8Array>,
  name: string,
): AsyncGenerator<Uint8Array> {
  const splitter = new ZstdFrameSplitter(name);
  const chunks = input[Symbol.asyncIterator]();
  const pending: FramePiece[] = [];
  let inputDone = false;
  /** Makes sure a piece is waiting, unless the input is exhausted; skips skippable frames. */
  const fill = async (): Promise<boolean> => {
    for (;;) {
      while (pending.length > 0 && pending[0]!.skip) pending.shift();
      if (pending.length > 0) return true;
      if (inputDone) return false;
      const r = await chunks.next();
      if (r.done) {
        inputDone = true;
        splitter.finish();
      } else pending.push(...splitter.push(r.value));
    }
  };
  async function* oneFrame(): AsyncGenerator<Uint8Array> {
    while (await fill()) {
      const piece = pending.shift()!;
      if (piece.bytes.length > 0) yield piece.bytes;
      if (piece.frameEnd) return;
    }
  }
  while (await fill()) yield* zlibStream(nativeZstdStream(), oneFrame(), "zstd", name);
}

async function* zlibStream(
  z: zlib.Gunzip,
  input: AsyncIterable<Uint8Array>,
  kind: string,
  name: string,
): AsyncGenerator<Uint8Array> {
  let feedError: unknown = null;
  const feed = (async () => {
    try {
      for await (const chunk of input) {
        if (z.destroyed) return;
        if (!z.write(chunk)) {
          await new Promise<void>((resolve) => {
            const done = () => {
              z.off("drain", done);
              z.off("close", done);
              resolve();
            };
            z.on("drain", done);
            z.on("close", done);
          });
        }
      }
      if (!z.destroyed) z.end();
    } catch (err) {
      feedError = err;
      z.destroy();
    }
  })();
  try {
    for await (const out of z as AsyncIterable<Uint8Array>) yield out;
  } catch (err) {
    if (feedError) throw feedError;
    throw new CorruptInputError(`${name}: corrupt ${kind} data (${describe(err)})`);
  } finally {
    z.destroy();
    await feed;
  }
  if (feedError) throw feedError;
}

async function* fzstdStream(
  input: AsyncIterable<Uint8Array>,
  name: string,
): AsyncGenerator<Uint8Array> {
  const out: Uint8Array[] = [];
  const d = new FzstdDecompress((chunk) => out.push(chunk));
  try {
    for await (const chunk of input) {
      d.push(chunk);
      while (out.length > 0) yield out.shift()!;
    }
    d.push(new Uint8Array(0), true);
  } catch (err) {
    throw new CorruptInputError(`${name}: corrupt zstd data (${describe(err)})`);
  }
  while (out.length > 0) yield out.shift()!;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
