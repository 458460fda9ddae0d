/**
 * Compression detection, by extension and by magic bytes. The decoders live in decompress.ts,
 * which is imported only when a compressed input shows up (node:zlib costs start-up time).
 */
import { InputError } from "./errors.ts";

export type Compression = "none" | "gzip" | "zstd";

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Compressed files at least this large are worth a worker's start-up (about 20 ms) for fzstd
 * (core/decompress_parallel.ts; here, so that a reader of smaller or plain files does not load it).
 */
export const PARALLEL_MIN_BYTES = 4 << 20;

export function compressionOfName(path: string): Compression {
  const lower = path.toLowerCase();
  if (lower.endsWith(".gz") || lower.endsWith(".gzip")) return "gzip";
  if (lower.endsWith(".zst") || lower.endsWith(".zstd")) return "zstd";
  return "none";
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);
}

export function compressionOfBytes(head: Uint8Array): Compression {
  if (startsWith(head, GZIP_MAGIC)) return "gzip";
  if (startsWith(head, ZSTD_MAGIC)) return "zstd";
  return "none";
}

/**
 * Decides how to read a source from its name and first bytes. The magic bytes win: a compressed
 * file without the usual extension is still decompressed. A name that promises compression but
 * content that lacks the magic is an error (a truncated or mislabelled file), except when empty.
 */
export function detectCompression(path: string, head: Uint8Array): Compression {
  const byBytes = compressionOfBytes(head);
  if (byBytes !== "none") return byBytes;
  const byName = compressionOfName(path);
  if (byName !== "none" && head.length > 0) {
    throw new CorruptInputError(`${path}: not in ${byName} format`);
  }
  return "none";
}

/**
 * Damaged compressed input, or a compressed name on plain content. `message` is one line that
 * names the file; `offset` is where in the compressed bytes the damage was found, when known.
 */
export class CorruptInputError extends InputError {
  override name = "CorruptInputError";
  constructor(message: string, readonly offset: number | null = null) {
    super(message);
  }
}

/** `app.log.gz: corrupt gzip data at byte 123 (trailing garbage)`. */
export function corruptData(
  name: string,
  kind: "gzip" | "zstd",
  offset: number,
  why: string,
): CorruptInputError {
  return new CorruptInputError(`${name}: corrupt ${kind} data at byte ${offset} (${why})`, offset);
}
