/**
 * Decompression of a large file, on a Worker or on this thread. On a machine with two cores or
 * more a worker decodes a big file while this thread splits, filters and prints: the decoded
 * bytes come back through a ring in shared memory (chunk_ring.ts), not as messages, which cost
 * more than the decoding (docs/performance.md, "zstd and gzip decoding"). A native decoder
 * (libzstd through FFI, node:zlib's inflate and zstd) decodes smaller files, and every file on
 * one core, on this thread; fzstd, pure JavaScript, always on a worker. A dserver decodes on the
 * session's thread (it serves many).
 */
import { readFileChunks } from "./chunks.ts";
import { CorruptInputError } from "./compression.ts";
import type { ZstdEngine } from "./decompress.ts";
import { openPinned, type PinnedFile } from "./open_file.ts";
import { SourceError } from "./source_error.ts";
import type { FromWorker, ToWorker } from "./decompress_worker.ts";
import { readBuffer, releaseBuffer } from "./byte_search.ts";
import { END_DONE, END_FAILED, newRingMemory, RingReader, SLOT_BYTES } from "./chunk_ring.ts";

export { PARALLEL_MIN_BYTES } from "./compression.ts";
/**
 * For a native decoder, which is fast: smaller files decode on this thread sooner than a worker
 * starts (docs/performance.md, "A worker with a shared ring").
 */
const NATIVE_WORKER_MIN_BYTES = 16 << 20;
/**
 * The same when the reader's work is light (printing, a literal search): the worker's start (~50
 * ms of this thread) then outweighs what it overlaps up to about this size (docs/performance.md,
 * "Which thread decodes").
 */
const LIGHT_WORKER_MIN_BYTES = 32 << 20;

/**
 * What the reader of the decoded bytes does with them: "light" (print them, search a literal) or
 * "heavy" (a regex, anything else), which a worker's decoding overlaps with more.
 */
export type ReaderWork = "light" | "heavy";

/** Where the decoding runs: "auto" is a worker, but this thread for a native decoder that a
 * worker would not pay for (`workerPays`). */
export type DecodeThread = "auto" | "this" | "worker";

/**
 * Whether a native decoder pays for a worker beside this thread: with two cores or more, for a
 * file of `bytes` (compressed) large enough.
 */
export function workerPays(
  bytes: number,
  cores: number = navigator.hardwareConcurrency,
  work: ReaderWork = "heavy",
): boolean {
  return cores >= 2 &&
    bytes >= (work === "light" ? LIGHT_WORKER_MIN_BYTES : NATIVE_WORKER_MIN_BYTES);
}

/**
 * The content of a compressed file of `bytes`, opened again by its pin (the exact inode the
 * caller has).
 */
export async function* decompressFile(
  pin: PinnedFile,
  kind: "gzip" | "zstd",
  bytes: number,
  where: DecodeThread = "auto",
  zstd: ZstdEngine = "auto",
  work: ReaderWork = "heavy",
): AsyncGenerator<Uint8Array> {
  // The worker loads the decoders; this thread only when it decodes.
  const here = where === "this" ||
    (where === "auto" && !workerPays(bytes, navigator.hardwareConcurrency, work) &&
      await (await import("./decompress.ts")).nativeDecoder(kind, zstd));
  if (here) {
    const { decompress } = await import("./decompress.ts");
    using file = openPinned(pin);
    yield* decompress(kind, readFileChunks(file), pin.path, { zstd });
    return;
  }
  yield* onWorker(pin, kind, zstd);
}

async function* onWorker(
  pin: PinnedFile,
  kind: "gzip" | "zstd",
  zstd: ZstdEngine,
): AsyncGenerator<Uint8Array> {
  const worker = new Worker(new URL("./decompress_worker.ts", import.meta.url), { type: "module" });
  let failure: FromWorker | null = null;
  let onFailure: (() => void) | null = null;
  const fail = (message: FromWorker) => {
    failure ??= message;
    onFailure?.();
  };
  worker.onmessage = (e: MessageEvent<FromWorker>) => fail(e.data);
  worker.onerror = (e) => {
    e.preventDefault();
    fail({ type: "error", message: e.message, corrupt: false });
  };
  const memory = newRingMemory();
  const ring = new RingReader(memory);
  worker.postMessage({ type: "start", pin, kind, zstd, ring: memory } satisfies ToWorker);
  // A worker that dies of an uncaught error ends nothing in the ring: its error ends the wait.
  const failed = new Promise<number>((resolve) => (onFailure = () => resolve(-END_FAILED)));
  const buffer = readBuffer(SLOT_BYTES);
  try {
    for (;;) {
      const length = await Promise.race([ring.take(buffer), failed]);
      if (length === -END_DONE) return;
      if (length >= 0) {
        yield buffer.subarray(0, length);
        continue;
      }
      await failed; // the ring ended as failed: its message is on the way
      const msg = failure as FromWorker | null;
      if (msg === null) throw new SourceError(`${pin.path}: the decompression worker failed`);
      if (msg.corrupt) throw new CorruptInputError(msg.message, msg.offset ?? null);
      const named = msg.message.startsWith(`${pin.path}`);
      throw new SourceError(named ? msg.message : `${pin.path}: ${msg.message}`);
    }
  } finally {
    ring.cancel();
    worker.terminate();
    releaseBuffer(buffer);
  }
}
