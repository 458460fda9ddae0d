/**
 * Worker side of parallel decompression (see decompress_parallel.ts): runs the same
 * `decompress()` stage over a file and puts the output into the ring it shares with the
 * consumer (chunk_ring.ts), waiting while the ring is full.
 */
/// <reference lib="deno.worker" />
import { readFileChunks } from "./chunks.ts";
import { END_DONE, END_FAILED, type RingMemory, RingWriter, SLOT_BYTES } from "./chunk_ring.ts";
import { CorruptInputError } from "./compression.ts";
import { decompress, type ZstdEngine } from "./decompress.ts";
import { openPinned, type PinnedFile } from "./open_file.ts";

export type ToWorker = {
  type: "start";
  pin: PinnedFile;
  kind: "gzip" | "zstd";
  zstd: ZstdEngine;
  ring: RingMemory;
};
/** Only a failure is a message; chunks go through the ring. */
export type FromWorker =
  /** `offset`: where a CorruptInputError found the damage in the compressed file. */
  { type: "error"; message: string; corrupt: boolean; offset?: number | null };

const INPUT_CHUNK = 1 << 20;

self.onmessage = (e: MessageEvent<ToWorker>) => {
  const { pin, kind, zstd, ring } = e.data;
  const writer = new RingWriter(ring);
  run(pin, kind, zstd, writer, ring.slots).then(
    () => writer.end(END_DONE),
    (err: unknown) => {
      const corrupt = err instanceof CorruptInputError;
      const message = err instanceof Error ? err.message : String(err);
      self.postMessage(
        {
          type: "error",
          message,
          corrupt,
          offset: corrupt ? err.offset : null,
        } satisfies FromWorker,
      );
      writer.end(END_FAILED);
    },
  );
};

/** The consumer gave up: the decoding stops. */
class Cancelled extends Error {}

async function run(
  pin: PinnedFile,
  kind: "gzip" | "zstd",
  zstd: ZstdEngine,
  writer: RingWriter,
  slots: SharedArrayBuffer,
): Promise<void> {
  const path = pin.path;
  using file = openPinned(pin);
  const input = readFileChunks(file, { chunkSize: INPUT_CHUNK });
  // The native decoders write into the ring's slots (claimed one after another), put as each
  // fills; fzstd's pieces (a zstd block each) are gathered into a buffer first.
  const claim = () => {
    const slot = writer.claim();
    if (slot === null) throw new Cancelled();
    return slot;
  };
  const buffer = new Uint8Array(SLOT_BYTES);
  let filled = 0;
  const put = (bytes: Uint8Array) => {
    if (!writer.put(bytes)) throw new Cancelled();
  };
  const flush = () => {
    if (filled > 0) put(buffer.subarray(0, filled));
    filled = 0;
  };
  try {
    for await (const out of decompress(kind, input, path, { zstd, buffers: claim })) {
      if (out.buffer === slots) {
        put(out); // a decoder's own output: nothing is gathered then
        continue;
      }
      for (let at = 0; at < out.length;) {
        const n = Math.min(SLOT_BYTES - filled, out.length - at);
        buffer.set(out.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === SLOT_BYTES) flush();
      }
    }
  } catch (err) {
    if (err instanceof Cancelled) return;
    flush(); // what decoded before damaged input goes out before the error
    throw err;
  }
  flush();
}
