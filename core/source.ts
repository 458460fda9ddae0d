/** Opening a source (file or stdin) as a stream of decompressed byte chunks. */
import { concatBytes } from "./bytes.ts";
import { readBuffer, releaseBuffer } from "./byte_search.ts";
import {
  type ChunkOptions,
  DEFAULT_CHUNK_SIZE,
  FIRST_READ_SIZE,
  prepend,
  readFileChunks,
  readStreamChunks,
} from "./chunks.ts";
import { CorruptInputError, detectCompression, PARALLEL_MIN_BYTES } from "./compression.ts";
import type { ReaderWork } from "./decompress_parallel.ts";
import { readFully } from "./fd_file.ts";
import { growStdinPipe } from "./pipe_size.ts";
import { type InputFile, type OpenedFile, openRegular } from "./open_file.ts";
import { reason, SourceError } from "./source_error.ts";

export { openRegular };

export { reason, SourceError };

export const STDIN_ID = "-";

/** Decompresses when the name or the first bytes say so; otherwise passes chunks through. */
export async function* decodeChunks(
  name: string,
  open: (options: ChunkOptions) => AsyncGenerator<Uint8Array>,
  useNativeZstd = true,
): AsyncGenerator<Uint8Array> {
  const plain = open({ firstChunkSize: FIRST_READ_SIZE });
  const first = await plain.next();
  let head: Uint8Array = first.done ? new Uint8Array(0) : first.value;
  // A pipe may deliver fewer bytes than a magic number in its first read. (Copy before reading
  // on: the source reuses its buffer.)
  while (!first.done && head.length < 4) {
    head = head.slice();
    const next = await plain.next();
    if (next.done) break;
    head = concatBytes(head, next.value);
  }
  const kind = detectCompression(name, head);
  if (kind === "none") {
    yield* prepend(head, plain);
    return;
  }
  // The decoders keep no input chunk (decompress.ts), so the source reuses its buffer.
  const headCopy = head.slice();
  await plain.return(undefined);
  const rest = open({});
  const { decompress } = await import("./decompress.ts");
  yield* decompress(kind, prepend(headCopy, rest), name, useNativeZstd);
}

/** The decompressed content of a regular file (opened here, closed when done). */
export async function* fileChunks(path: string, useNativeZstd = true): AsyncGenerator<Uint8Array> {
  const opened = openRegular(path);
  try {
    yield* openedFileChunks(path, opened, useNativeZstd);
  } finally {
    opened.file.close();
  }
}

/**
 * The decompressed content of a file the caller opened (and closes): big gzip and zstd files are
 * decompressed on a worker (decompress_parallel.ts), which opens exactly the pinned inode again.
 */
export async function* openedFileChunks(
  path: string,
  opened: OpenedFile,
  useNativeZstd = true,
  work: ReaderWork = "heavy",
): AsyncGenerator<Uint8Array> {
  const { file, pin } = opened;
  try {
    const size = opened.size ?? file.statSync().size;
    if (size < DEFAULT_CHUNK_SIZE) {
      // Read whole at once: one chunk, without the layers of a chunked read, which cost more
      // than reading a file of a few lines (a glob of a thousand small logs). One that grew to a
      // buffer's size meanwhile is read as any other.
      const buffer = readBuffer(DEFAULT_CHUNK_SIZE);
      try {
        const got = readFully(file, buffer, 0);
        if (got < buffer.length) {
          const bytes = buffer.subarray(0, got);
          const kind = detectCompression(path, bytes);
          if (kind === "none") {
            if (got > 0) yield bytes;
          } else {
            const { decompress } = await import("./decompress.ts");
            // Small: gzip through libz, if it is there, without loading node:zlib.
            const zstd = useNativeZstd ? "auto" : "fzstd";
            yield* decompress(kind, once(bytes), path, { zstd, gzip: "libz" });
          }
          return;
        }
      } finally {
        releaseBuffer(buffer);
      }
    }
    const parallel = useNativeZstd && size >= PARALLEL_MIN_BYTES && typeof Worker === "function"
      ? sniff(path, file)
      : "none";
    // decompressFile decodes on a worker, or on this thread when that is sooner.
    if (parallel === "gzip" || parallel === "zstd") {
      const { decompressFile } = await import("./decompress_parallel.ts");
      yield* decompressFile(pin, parallel, size, "auto", "auto", work);
      return;
    }
    file.seekSync(0, Deno.SeekMode.Start);
    yield* decodeChunks(path, (o) => readFileChunks(file, o), useNativeZstd);
  } catch (err) {
    if (err instanceof CorruptInputError || err instanceof SourceError) throw err;
    throw new SourceError(`${path}: ${reason(err)}`);
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** The compression of an open file, from its first bytes and name. */
function sniff(path: string, file: InputFile): ReturnType<typeof detectCompression> {
  const head = new Uint8Array(4);
  const n = file.readSync(head) ?? 0;
  return detectCompression(path, head.subarray(0, n));
}

/** The decompressed content of standard input. */
export async function* stdinChunks(): AsyncGenerator<Uint8Array> {
  growStdinPipe();
  try {
    yield* decodeChunks("stdin", (o) => readStreamChunks(Deno.stdin, o));
  } catch (err) {
    if (err instanceof CorruptInputError) throw err;
    throw new SourceError(`stdin: ${reason(err)}`);
  }
}
