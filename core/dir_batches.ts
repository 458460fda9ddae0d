/**
 * A directory's entries in batches, as the kernel hands them out (getdents64(2) through libc): a
 * glob over a directory of 200,000 entries holds one 32 KiB buffer and the names it keeps, not
 * 200,000 entries (~200 MB as Deno's `DirEntry`s), and may return to the event loop between
 * batches. Without FFI, Deno's listing, whole (a large directory read off the event loop).
 */

import { cPath, dirLibc, EINTR, errno, fileLibc } from "./libc.ts";

/** d_type values (dirent.h); the file system may leave it unknown (then stat says). */
export const DT_UNKNOWN = 0;
export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;

export interface DirBatch {
  readonly names: string[];
  /** The d_type of each name (DT_*). */
  readonly types: number[];
}

export interface DirBatchOptions {
  /** Bytes of entries one call reads (tests make it small). */
  readonly bufferBytes?: number;
  /** The directory's size by stat(2): without getdents64, a large one is read off the loop. */
  readonly size?: number;
  /** false: Deno's listing even where libc's is there (tests). */
  readonly useLibc?: boolean;
}

/** Whether an entry of this d_type may be a directory to enter (a symlink may point to one). */
export function mayBeDirectory(type: number): boolean {
  return type === DT_DIR || type === DT_LNK || type === DT_UNKNOWN;
}

const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const BUFFER_BYTES = 32 * 1024;
/** One buffer for all listings: each batch is parsed into strings before it is handed out. */
let shared: Uint8Array<ArrayBuffer> | null = null;

/**
 * The entries of `dir` but "." and "..", in the order the file system keeps them. A directory that
 * cannot be opened or read yields nothing more (as Go's Glob, which ignores such errors); breaking
 * off the loop closes it.
 */
export async function* dirBatches(
  dir: string,
  options: DirBatchOptions = {},
): AsyncGenerator<DirBatch, void, undefined> {
  const f = fileLibc();
  const d = dirLibc();
  if (f === null || d === null || options.useLibc === false) {
    yield* denoBatches(dir, options.size ?? 0);
    return;
  }
  if (dir.includes("\0")) return;
  const fd = f.open(cPath(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0) return;
  const buffer = options.bufferBytes === undefined
    ? (shared ??= new Uint8Array(BUFFER_BYTES))
    : new Uint8Array(options.bufferBytes);
  const size = BigInt(buffer.length);
  try {
    for (;;) {
      const n = Number(d.getdents64(fd, buffer, size));
      if (n < 0 && errno(f) === EINTR) continue;
      if (n <= 0) return;
      yield parse(buffer, n);
    }
  } finally {
    f.close(fd);
  }
}

/** `struct linux_dirent64`s: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-ended). */
function parse(buffer: Uint8Array, length: number): DirBatch {
  const names: string[] = [];
  const types: number[] = [];
  for (let at = 0; at < length;) {
    const reclen = buffer[at + 16]! | (buffer[at + 17]! << 8);
    const start = at + 19;
    let end = buffer.indexOf(0, start);
    if (end < 0 || end > at + reclen) end = at + reclen;
    if (!isDots(buffer, start, end)) {
      names.push(nameOf(buffer, start, end));
      types.push(buffer[at + 18]!);
    }
    at += reclen;
  }
  return { names, types };
}

function isDots(b: Uint8Array, start: number, end: number): boolean {
  const n = end - start;
  return (n === 1 || n === 2) && b[start] === 0x2e && (n === 1 || b[start + 1] === 0x2e);
}

const decoder = new TextDecoder();

/** A name as text: ASCII directly, other bytes as UTF-8 (invalid sequences as U+FFFD). */
function nameOf(b: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end && ascii; i++) ascii = b[i]! < 0x80;
  const bytes = b.subarray(start, end);
  return ascii
    ? String.fromCharCode.apply(null, bytes as unknown as number[])
    : decoder.decode(bytes);
}

/** Deno's listing holds a directory whole; handed out in batches all the same. */
const DENO_BATCH = 1024;
/** A directory of more bytes than this is read off the event loop (a few thousand entries). */
const LARGE_DIR_BYTES = 64 * 1024;

/**
 * Deno's listing: a large directory off the event loop (`readDirSync` of 200,000 entries held it
 * for 0.72 s, `readDir` for ~30 ms at most), a small one in place (`readDir` costs ~65 µs of CPU
 * more a directory).
 */
async function* denoBatches(dir: string, size: number): AsyncGenerator<DirBatch, void, undefined> {
  const entries: Deno.DirEntry[] = [];
  try {
    if (size > LARGE_DIR_BYTES) {
      for await (const entry of Deno.readDir(dir)) entries.push(entry);
    } else for (const entry of Deno.readDirSync(dir)) entries.push(entry);
  } catch {
    return;
  }
  for (let at = 0; at < entries.length; at += DENO_BATCH) {
    const slice = entries.slice(at, at + DENO_BATCH);
    yield {
      names: slice.map((e) => e.name),
      types: slice.map((e) => e.isDirectory ? DT_DIR : e.isSymlink ? DT_LNK : DT_REG),
    };
  }
}
