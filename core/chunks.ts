/**
 * Byte-chunk sources: the first stage of every pipeline.
 *
 * Contract shared by every stage of `core/`: a yielded `Uint8Array` stays valid only until the
 * consumer asks for the next one. Sources reuse one big buffer (sync reads into a reused buffer
 * reach GB/s in Deno; see docs/performance.md), so a stage that keeps bytes for longer copies them.
 * That buffer is one the byte search reads in place where it runs (byte_search.ts `readBuffer`).
 */
import { readBuffer, releaseBuffer } from "./byte_search.ts";
import type { InputFile } from "./fd_file.ts";

export const DEFAULT_CHUNK_SIZE = 1 << 20;
/** A file's first read: its first lines are printed once this much is read and filtered. */
export const FIRST_READ_SIZE = 64 * 1024;

export interface ChunkOptions {
  /** Size of the (reused) read buffer. */
  readonly chunkSize?: number;
  /** Yield a fresh buffer per chunk instead of reusing one (for consumers that keep chunks). */
  readonly fresh?: boolean;
  /** Stop after this many bytes (a byte range of a file); default: to EOF. */
  readonly limit?: number;
  /**
   * The first read's size when smaller than chunkSize: the first lines reach the printer before
   * a whole chunk is read and filtered (the time to the first line of a `--since` run).
   */
  readonly firstChunkSize?: number;
}

/** Reads an open file from its current position to EOF. Does not close it. */
export async function* readFileChunks(
  file: InputFile,
  options: ChunkOptions = {},
): AsyncGenerator<Uint8Array> {
  const size = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let buf = options.fresh ? new Uint8Array(size) : readBuffer(size);
  try {
    let left = options.limit ?? Infinity;
    let want = Math.min(size, options.firstChunkSize ?? size);
    while (left > 0) {
      const n = file.readSync(left < want ? buf.subarray(0, left) : buf.subarray(0, want));
      want = size;
      if (n === null || n === 0) return;
      left -= n;
      yield buf.subarray(0, n);
      if (options.fresh) buf = new Uint8Array(size);
    }
  } finally {
    if (!options.fresh) releaseBuffer(buf);
  }
}

/** Reads a stream (stdin, a pipe) to its end with large async reads. */
export async function* readStreamChunks(
  reader: { read(p: Uint8Array): Promise<number | null> },
  options: ChunkOptions = {},
): AsyncGenerator<Uint8Array> {
  const size = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  let buf = options.fresh ? new Uint8Array(size) : readBuffer(size);
  try {
    for (;;) {
      const n = await reader.read(buf);
      if (n === null) return;
      if (n === 0) continue;
      yield buf.subarray(0, n);
      if (options.fresh) buf = new Uint8Array(size);
    }
  } finally {
    if (!options.fresh) releaseBuffer(buf);
  }
}

/** Puts `first` back in front of the rest of a chunk stream (used after sniffing magic bytes). */
export async function* prepend(
  first: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.length > 0) yield first;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}
