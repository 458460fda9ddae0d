/**
 * Decompression of a large file, on this thread or on a Worker. A native decoder (libzstd
 * through FFI, node:zlib's inflate and zstd) decodes on this thread: a worker's hop costs more
 * than it saves then (docs/performance.md, "zstd and gzip decoding": 0.1 to 0.2 s of CPU per
 * 100 MB and 15 MB of memory for the messages, and no faster on two cores). fzstd, pure
 * JavaScript and 15 times slower, runs on a worker so that line splitting, filtering and output
 * use the other core.
 */
import { readFileChunks } from "./chunks.ts";
import { CorruptInputError } from "./compression.ts";
import type { ZstdEngine } from "./decompress.ts";
import { openPinned, type PinnedFile } from "./open_file.ts";
import { SourceError } from "./source_error.ts";
import type { FromWorker, ToWorker } from "./decompress_worker.ts";

/** Compressed files at least this large are worth a worker's start-up (about 20 ms). */
export const PARALLEL_MIN_BYTES = 4 << 20;

/** Where the decoding runs: "auto" is this thread for a native decoder, else a worker. */
export type DecodeThread = "auto" | "this" | "worker";

/** The content of a compressed file, opened again by its pin (the exact inode the caller has). */
export async function* decompressFile(
  pin: PinnedFile,
  kind: "gzip" | "zstd",
  where: DecodeThread = "auto",
  zstd: ZstdEngine = "auto",
): AsyncGenerator<Uint8Array> {
  const { decompress, nativeDecoder } = await import("./decompress.ts");
  if (where === "this" || (where === "auto" && await nativeDecoder(kind, zstd))) {
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
  const queue: FromWorker[] = [];
  let wake: (() => void) | null = null;
  worker.onmessage = (e: MessageEvent<FromWorker>) => {
    queue.push(e.data);
    wake?.();
  };
  worker.onerror = (e) => {
    e.preventDefault();
    queue.push({ type: "error", message: e.message, corrupt: false });
    wake?.();
  };
  const send = (msg: ToWorker) => worker.postMessage(msg);
  send({ type: "start", pin, kind, zstd });
  try {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      const msg = queue.shift()!;
      if (msg.type === "end") return;
      if (msg.type === "error") {
        if (msg.corrupt) throw new CorruptInputError(msg.message, msg.offset ?? null);
        const named = msg.message.startsWith(`${pin.path}`);
        throw new SourceError(named ? msg.message : `${pin.path}: ${msg.message}`);
      }
      yield msg.chunk;
      const buffer = msg.chunk.buffer as ArrayBuffer;
      worker.postMessage({ type: "ack", buffer } satisfies ToWorker, [buffer]);
    }
  } finally {
    worker.terminate();
  }
}
