/**
 * Writes the output's full buffers into the pipe on standard output on another thread while this
 * one goes on (glibc's POSIX AIO: `aio_write`, on a helper thread of its own): writing 100 MB into
 * a pipe costs ~16 ms here. One write is under way at a time, of a buffer its writer leaves
 * unchanged until `settle` returned (core/output.ts); every other write settles it first, so the
 * bytes keep their order. Only into a pipe: glibc writes with `pwrite` at a given offset, so a
 * regular file would be written where its offset would not move.
 */
import { EAGAIN, EINPROGRESS, EPIPE, errnoText, fstatLibc, fstatOf } from "./libc.ts";
import { OutputError } from "./errors.ts";
import { type BehindSink, OutputClosedError, type SyncSink } from "./output.ts";

const AIO_SYMBOLS = {
  aio_write: { parameters: ["buffer"], result: "i32" },
  aio_error: { parameters: ["buffer"], result: "i32" },
  aio_return: { parameters: ["buffer"], result: "isize" },
  aio_suspend: { parameters: ["buffer", "i32", "pointer"], result: "i32" },
} as const;
type Aio = Deno.DynamicLibrary<typeof AIO_SYMBOLS>["symbols"];

const S_IFMT = 0o170000;
const S_IFIFO = 0o010000;
/** `struct aiocb` of x86_64 glibc: 168 bytes; the fields set are the descriptor, buffer, size. */
const AIOCB_BYTES = 168;
const FILDES_AT = 0;
const BUF_AT = 16;
const NBYTES_AT = 24;

/** Pieces written on this thread before the helper thread is set up: small outputs never pay. */
const BEHIND_AFTER = 1 << 20;

export class WriteBehind implements BehindSink {
  #aio: Aio | null | undefined;
  readonly #cb = new Uint8Array(AIOCB_BYTES);
  readonly #view = new DataView(this.#cb.buffer);
  /** aio_suspend's list: the one control block's address. */
  readonly #list = new BigUint64Array(1);
  /** The piece under way (kept reachable until it is written), or null. */
  #piece: Uint8Array | null = null;
  #before = 0;
  #wroteBehind = 0;

  /**
   * `fd` must be a pipe for writes to go behind (checked at the first); `sync` writes a piece on
   * this thread (the rest of a partial write too), as the output does without this.
   */
  constructor(
    private readonly fd: number,
    private readonly sync: SyncSink,
    private readonly after = BEHIND_AFTER,
  ) {}

  start(piece: Uint8Array): boolean {
    this.settle();
    if (this.#before < this.after) {
      this.#before += piece.length;
      return false;
    }
    const aio = this.#aio ??= bindFor(this.fd);
    if (aio === null || piece.length === 0) return false;
    const view = this.#view;
    this.#cb.fill(0);
    view.setInt32(FILDES_AT, this.fd, true);
    view.setBigUint64(BUF_AT, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(piece))), true);
    view.setBigUint64(NBYTES_AT, BigInt(piece.length), true);
    if (this.#list[0] === 0n) {
      this.#list[0] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.#cb)));
    }
    if (aio.aio_write(this.#cb) !== 0) return false; // no thread to be had: written here
    this.#piece = piece;
    this.#wroteBehind++;
    return true;
  }

  /** Pieces written behind so far. */
  get wroteBehind(): number {
    return this.#wroteBehind;
  }

  settle(): void {
    const piece = this.#piece;
    if (piece === null) return;
    const aio = this.#aio!;
    let error = aio.aio_error(this.#cb);
    while (error === EINPROGRESS) {
      aio.aio_suspend(this.#list, 1, null); // EINTR on a signal: asked again
      error = aio.aio_error(this.#cb);
    }
    const written = Number(aio.aio_return(this.#cb));
    this.#piece = null;
    if (error === EPIPE) throw new OutputClosedError("output closed");
    if (error === EAGAIN) return this.sync(piece); // a non-blocking pipe: as without this
    if (error !== 0) throw new OutputError(`write error: ${errnoText(error, "write")}`);
    if (written < piece.length) this.sync(piece.subarray(written));
  }
}

/** The AIO calls when `fd` is a pipe and glibc has them (2.34 and later: in libc.so.6), or null. */
function bindFor(fd: number): Aio | null {
  if (Deno.build.os !== "linux") return null;
  const fstat = fstatLibc();
  const stat = fstat === null ? null : fstatOf(fstat, fd);
  if (stat === null || (stat.mode & S_IFMT) !== S_IFIFO) return null;
  try {
    return Deno.dlopen("libc.so.6", AIO_SYMBOLS).symbols;
  } catch {
    return null;
  }
}
