/**
 * Decompression of a large file on a second thread: node:zlib inflates on the thread that calls
 * it, so running it in a Worker lets line splitting, filtering and output use the other core.
 */
import { CorruptInputError } from "./compression.ts";
import type { PinnedFile } from "./open_file.ts";
import { SourceError } from "./source_error.ts";
import type { FromWorker, ToWorker } from "./decompress_worker.ts";

/** Compressed files at least this large are worth a worker's start-up (about 20 ms). */
export const PARALLEL_MIN_BYTES = 4 << 20;

export async function* decompressInWorker(
  pin: PinnedFile,
  kind: "gzip" | "zstd",
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
  send({ type: "start", pin, kind });
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
