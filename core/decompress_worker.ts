/**
 * Worker side of parallel decompression (see decompress_parallel.ts): reads a compressed file,
 * inflates it with node:zlib and posts the output chunks, pausing while too many are unread.
 */
/// <reference lib="deno.worker" />
import * as zlib from "node:zlib";

export type ToWorker =
  | { type: "start"; path: string; offset: number; kind: "gzip" | "zstd" }
  /** The consumer is done with a chunk and hands its buffer back for reuse. */
  | { type: "ack"; buffer: ArrayBuffer };
export type FromWorker =
  | { type: "data"; chunk: Uint8Array }
  | { type: "end" }
  | { type: "error"; message: string };

const OUTPUT_CHUNK = 256 * 1024;
const INPUT_CHUNK = 1 << 20;
const MAX_UNREAD = 8;

let unread = 0;
let stream: zlib.Gunzip | null = null;
/** Output buffers travel to the consumer and back, so steady state allocates nothing. */
const pool: ArrayBuffer[] = [];

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === "start") start(msg.path, msg.offset, msg.kind);
  else {
    pool.push(msg.buffer);
    if (--unread < MAX_UNREAD / 2 && stream?.isPaused()) stream.resume();
  }
};

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

function start(path: string, offset: number, kind: "gzip" | "zstd"): void {
  const z = kind === "gzip"
    ? zlib.createGunzip({ chunkSize: OUTPUT_CHUNK })
    : (zlib as unknown as { createZstdDecompress(o: object): zlib.Gunzip })
      .createZstdDecompress({ chunkSize: OUTPUT_CHUNK });
  stream = z;
  z.on("data", (chunk: Uint8Array) => {
    // zlib hands out views of an output buffer it goes on filling: send a copy.
    const buffer = pool.pop() ?? new ArrayBuffer(OUTPUT_CHUNK);
    const own = new Uint8Array(buffer, 0, chunk.length);
    own.set(chunk);
    post({ type: "data", chunk: own }, [buffer]);
    if (++unread >= MAX_UNREAD) z.pause();
  });
  z.on("end", () => post({ type: "end" }));
  z.on("error", (err: Error) => post({ type: "error", message: err.message }));
  feed(z, path, offset).catch((err) =>
    post({ type: "error", message: String(err?.message ?? err) })
  );
}

async function feed(z: zlib.Gunzip, path: string, offset: number): Promise<void> {
  using file = Deno.openSync(path, { read: true });
  file.seekSync(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(INPUT_CHUNK);
  for (;;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    // One input buffer, reused once zlib has consumed it.
    await new Promise<void>((resolve, reject) =>
      z.write(buf.subarray(0, n), (err) => err ? reject(err) : resolve())
    );
  }
  z.end();
}
