/**
 * Worker side of parallel decompression (see decompress_parallel.ts): runs the same
 * `decompress()` stage over a file and posts the output, pausing while too much is unread.
 */
/// <reference lib="deno.worker" />
import { readFileChunks } from "./chunks.ts";
import { CorruptInputError } from "./compression.ts";
import { decompress, type ZstdEngine } from "./decompress.ts";
import { openPinned, type PinnedFile } from "./open_file.ts";

export type ToWorker =
  | { type: "start"; pin: PinnedFile; kind: "gzip" | "zstd"; zstd: ZstdEngine }
  /** The consumer is done with a chunk and hands its buffer back for reuse. */
  | { type: "ack"; buffer: ArrayBuffer };
export type FromWorker =
  | { type: "data"; chunk: Uint8Array }
  | { type: "end" }
  /** `offset`: where a CorruptInputError found the damage in the compressed file. */
  | { type: "error"; message: string; corrupt: boolean; offset?: number | null };

const OUTPUT_CHUNK = 256 * 1024;
const INPUT_CHUNK = 1 << 20;
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
    run(msg.pin, msg.kind, msg.zstd).catch((err: unknown) => {
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

async function run(pin: PinnedFile, kind: "gzip" | "zstd", zstd: ZstdEngine): Promise<void> {
  const path = pin.path;
  using file = openPinned(pin);
  const input = readFileChunks(file, { chunkSize: INPUT_CHUNK });
  // The decoders write into pool buffers, which travel to the consumer as they are; only fzstd's
  // pieces (a zstd block each) are gathered into pool buffers first.
  const ours = new WeakSet<ArrayBuffer>();
  const take = () => {
    const buffer = pool.pop() ?? new ArrayBuffer(OUTPUT_CHUNK);
    ours.add(buffer);
    return new Uint8Array(buffer);
  };
  let gathering: Uint8Array | null = null;
  let filled = 0;
  const send = async (chunk: Uint8Array) => {
    while (unread >= MAX_UNREAD) await new Promise<void>((resolve) => (wakeWriter = resolve));
    wakeWriter = null;
    unread++;
    post({ type: "data", chunk }, [chunk.buffer as ArrayBuffer]);
    // The input chunks are garbage at once; V8 lets dead external memory pile up to tens of MB
    // per isolate before it collects, so collect early when allowed to.
    if (++posted % 64 === 0) collectGarbage?.();
  };
  const flush = async () => {
    if (gathering === null || filled === 0) return;
    const chunk = gathering.subarray(0, filled);
    gathering = null;
    filled = 0;
    await send(chunk);
  };
  try {
    for await (const out of decompress(kind, input, path, { zstd, buffers: take })) {
      if (ours.has(out.buffer as ArrayBuffer) && out.byteOffset === 0) {
        await flush();
        await send(out);
        continue;
      }
      for (let at = 0; at < out.length;) {
        gathering ??= take();
        const n = Math.min(OUTPUT_CHUNK - filled, out.length - at);
        gathering.set(out.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === OUTPUT_CHUNK) await flush();
      }
    }
  } finally {
    await flush(); // what decoded before damaged input goes out before the error
  }
  post({ type: "end" });
}
