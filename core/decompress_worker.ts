/**
 * Worker side of parallel decompression (see decompress_parallel.ts): runs the same
 * `decompress()` stage over a file and posts the output, pausing while too much is unread.
 */
/// <reference lib="deno.worker" />
import { readFileChunks } from "./chunks.ts";
import { CorruptInputError } from "./compression.ts";
import { decompress } from "./decompress.ts";
import { openPinned, type PinnedFile } from "./open_file.ts";

export type ToWorker =
  | { type: "start"; pin: PinnedFile; kind: "gzip" | "zstd" }
  /** The consumer is done with a chunk and hands its buffer back for reuse. */
  | { type: "ack"; buffer: ArrayBuffer };
export type FromWorker =
  | { type: "data"; chunk: Uint8Array }
  | { type: "end" }
  /** `offset`: where a CorruptInputError found the damage in the compressed file. */
  | { type: "error"; message: string; corrupt: boolean; offset?: number | null };

const OUTPUT_CHUNK = 256 * 1024;
const INPUT_CHUNK = 256 * 1024;
const MAX_UNREAD = 8;

let unread = 0;
let posted = 0;
const collectGarbage = (globalThis as { gc?: () => void }).gc;
let wakeWriter: (() => void) | null = null;
/** Output buffers travel to the consumer and back, so steady state allocates little. */
const pool: ArrayBuffer[] = [];

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "start") {
    run(msg.pin, msg.kind).catch((err: unknown) => {
      const corrupt = err instanceof CorruptInputError;
      const message = err instanceof Error ? err.message : String(err);
      post({ type: "error", message, corrupt, offset: corrupt ? err.offset : null });
    });
    return;
  }
  pool.push(msg.buffer);
  unread--;
  wakeWriter?.();
};

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

async function run(pin: PinnedFile, kind: "gzip" | "zstd"): Promise<void> {
  const path = pin.path;
  using file = openPinned(pin);
  const input = readFileChunks(file, { chunkSize: INPUT_CHUNK, fresh: true });
  // Decoders hand out pieces of any size (a zstd block each, 128 KiB): they are gathered into
  // full buffers, so the consumer gets few, large messages.
  let buffer: ArrayBuffer | null = null;
  let filled = 0;
  const send = async () => {
    if (buffer === null || filled === 0) return;
    while (unread >= MAX_UNREAD) await new Promise<void>((resolve) => (wakeWriter = resolve));
    wakeWriter = null;
    unread++;
    post({ type: "data", chunk: new Uint8Array(buffer, 0, filled) }, [buffer]);
    buffer = null;
    filled = 0;
    // zlib's output buffers are garbage at once; V8 lets dead external memory pile up to
    // tens of MB per isolate before it collects, so collect early when allowed to.
    if (++posted % 64 === 0) collectGarbage?.();
  };
  try {
    for await (const out of decompress(kind, input, path)) {
      for (let at = 0; at < out.length;) {
        buffer ??= pool.pop() ?? new ArrayBuffer(OUTPUT_CHUNK);
        const n = Math.min(OUTPUT_CHUNK - filled, out.length - at);
        new Uint8Array(buffer, filled, n).set(out.subarray(at, at + n));
        filled += n;
        at += n;
        if (filled === OUTPUT_CHUNK) await send();
      }
    }
  } finally {
    await send(); // what decoded before damaged input goes out before the error
  }
  post({ type: "end" });
}
