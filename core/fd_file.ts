/**
 * A file read straight through the descriptor open(2) gave (core/open_file.ts): read(2), lseek(2),
 * fstat(2) and close(2) over FFI. No second open through /proc/self/fd, no Deno resource, no
 * `FileInfo` with its four `Date`s per `stat`: a dserver that follows a thousand files opens and
 * looks at each of them often.
 */
import { EINTR, errno, errnoText, type FileLibc, type FstatLibc, fstatOf } from "./libc.ts";
import { SourceError } from "./source_error.ts";

/** What DTail does with a file it reads: `Deno.FsFile` has it, and so has {@link FdFile}. */
export interface InputFile extends Disposable {
  /** Reads into `p`; the number of bytes read, null at the end of the file. */
  readSync(p: Uint8Array): number | null;
  seekSync(offset: number, whence: Deno.SeekMode): number;
  /**
   * Reads into `p` from `offset` without moving the read position (pread(2)); the number of bytes
   * read, null at the end of the file. Only where one call does it (FdFile).
   */
  preadSync?(p: Uint8Array, offset: number): number | null;
  /**
   * Hands up to `count` bytes from `offset` to the descriptor `out` inside the kernel
   * (sendfile(2)), without moving the read position: the number of bytes sent (0 at the end of
   * the file), or minus the errno of a failure. Only where one call does it (FdFile).
   */
  sendSync?(out: number, offset: number, count: number): number;
  statSync(): InputStat;
  close(): void;
}

/** What the readers need of a file's `stat`. */
export interface InputStat {
  readonly dev: number;
  readonly ino: number | null;
  readonly size: number;
}

/**
 * Reads `out.length` bytes from `start` (fewer at the file's end); how many were read. One pread
 * where the file has it, else a seek and reads (the read position is then after them).
 */
export function readFully(file: InputFile, out: Uint8Array, start: number): number {
  let got = 0;
  if (file.preadSync !== undefined) {
    while (got < out.length) {
      const n = file.preadSync(out.subarray(got), start + got);
      if (n === null || n === 0) break;
      got += n;
    }
    return got;
  }
  file.seekSync(start, Deno.SeekMode.Start);
  while (got < out.length) {
    const n = file.readSync(out.subarray(got));
    if (n === null || n === 0) break;
    got += n;
  }
  return got;
}

/** sendfile(2)'s `off_t *offset`, used within one call. */
const sendOffset = new BigInt64Array(1);
const sendOffsetBytes = new Uint8Array(sendOffset.buffer);

export class FdFile implements InputFile {
  #fd: number;

  constructor(
    private readonly libc: FileLibc,
    private readonly stat: FstatLibc,
    fd: number,
    /** For error messages. */
    private readonly path: string,
  ) {
    this.#fd = fd;
  }

  readSync(p: Uint8Array): number | null {
    if (p.length === 0) return 0;
    for (;;) {
      const n = Number(this.libc.read(this.#open(), p, BigInt(p.length)));
      if (n > 0) return n;
      if (n === 0) return null;
      this.#fail("read", EINTR);
    }
  }

  preadSync(p: Uint8Array, offset: number): number | null {
    if (p.length === 0) return 0;
    for (;;) {
      const n = Number(this.libc.pread(this.#open(), p, BigInt(p.length), BigInt(offset)));
      if (n > 0) return n;
      if (n === 0) return null;
      this.#fail("read", EINTR);
    }
  }

  sendSync(out: number, offset: number, count: number): number {
    sendOffset[0] = BigInt(offset);
    for (;;) {
      const n = Number(this.libc.sendfile(out, this.#open(), sendOffsetBytes, BigInt(count)));
      if (n >= 0) return n;
      const code = errno(this.libc);
      if (code !== EINTR) return -code;
    }
  }

  seekSync(offset: number, whence: Deno.SeekMode): number {
    const at = Number(this.libc.lseek(this.#open(), BigInt(offset), whence));
    if (at < 0) this.#fail("seek");
    return at;
  }

  statSync(): InputStat {
    const info = fstatOf(this.stat, this.#open());
    if (info === null) this.#fail("stat");
    return info!;
  }

  close(): void {
    const fd = this.#fd;
    if (fd < 0) throw new Deno.errors.BadResource(`${this.path}: closed already`);
    this.#fd = -1;
    this.libc.close(fd);
  }

  [Symbol.dispose](): void {
    if (this.#fd >= 0) this.close();
  }

  #open(): number {
    if (this.#fd < 0) throw new Deno.errors.BadResource(`${this.path}: closed already`);
    return this.#fd;
  }

  /** Throws the failure of the last call, unless its errno is `retry` (the caller tries again). */
  #fail(what: string, retry = -1): void {
    const code = errno(this.libc);
    if (code === retry) return;
    throw new SourceError(`${this.path}: ${errnoText(code, what)}`);
  }
}
