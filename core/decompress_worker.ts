/**
 * Worker side of parallel decompression (see decompress_parallel.ts): runs the same
 * `decompress()` stage over a file and posts the output, pausing while too much is unread.
 */
/// <reference lib="deno.worker" />
import { readFileChunks } from "./chunks.ts";
import { decompress } from "./decompress.ts";

export type ToWorker =
  | { type: "start"; path: string; kind: "gzip" | "zstd" }
  /** The consumer is done with a chunk and hands its buffer back for reuse. */
  | { type: "ack"; buffer: ArrayBuffer };
export type FromWorker =
  | { type: "data"; chunk: Uint8Array }
  | { type: "end" }
  | { type: "error"; message: string; corrupt: boolean };

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
    run(msg.path, msg.kind).catch((err: unknown) => {
      const corrupt = err instanceof Error && err.name === "CorruptInputError";
      post({ type: "error", message: err instanceof Error ? err.message : String(err), corrupt });
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

async function run(path: string, kind: "gzip" | "zstd"): Promise<void> {
  using file = Deno.openSync(path, { read: true });
  const input = readFileChunks(file, { chunkSize: INPUT_CHUNK, fresh: true });
  for await (const out of decompress(kind, input, path)) {
    for (let at = 0; at < out.length; at += OUTPUT_CHUNK) {
      while (unread >= MAX_UNREAD) await new Promise<void>((resolve) => (wakeWriter = resolve));
      wakeWriter = null;
      const part = out.subarray(at, at + OUTPUT_CHUNK);
      const buffer = pool.pop() ?? new ArrayBuffer(OUTPUT_CHUNK);
      const copy = new Uint8Array(buffer, 0, part.length);
      copy.set(part);
      unread++;
      post({ type: "data", chunk: copy }, [buffer]);
      // zlib's output buffers are garbage at once; V8 lets dead external memory pile up to
      // tens of MB per isolate before it collects, so collect early when allowed to.
      if (++posted % 64 === 0) collectGarbage?.();
    }
  }
  post({ type: "end" });
}
