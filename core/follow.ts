/**
 * The follow stage (`dtail`): yields the bytes appended to a file, losslessly, across rename
 * rotation, truncation, copy-truncate and delete + re-create
 * (docs/compatibility.md#lossless-follow).
 *
 * A followed path goes through "incarnations" (inodes, or restarts after truncation). Each one is
 * yielded as its own chunk stream, so a partial last line never glues onto the next file.
 *
 * Rotation: when the path stops leading to the inode being read, the file now at the path is
 * opened at once (so a second quick rotation cannot take it away unseen), and the old inode is
 * still read until it has been quiet for a moment, because writers keep appending to it until
 * they reopen their log.
 */
import { DEFAULT_CHUNK_SIZE } from "./chunks.ts";
import { readFully } from "./fd_file.ts";
import { statLibc, statPath } from "./libc.ts";
import type { FileOpener, InputFile, OpenedFile } from "./open_file.ts";
import type { FilePosition } from "./protocol/resume.ts";
import { readAt, type ResumePoints } from "./resume_points.ts";
import { reason, SourceError } from "./source_error.ts";
import type { DirectoryWatchers, Waker } from "./waker.ts";

export interface FollowOptions {
  readonly signal: AbortSignal;
  /**
   * Every open of the followed path goes through this (first open, reopen after rotation,
   * truncation or re-creation): dserver passes its checked open, serverless `openRegular`.
   */
  readonly open: FileOpener;
  /** Told when the path exists but may not or cannot be opened (once until it opens again). */
  readonly onRefused?: (path: string, err: unknown) => void;
  readonly watchers: DirectoryWatchers;
  /** Read the file from its start instead of its end (files that appear while following). */
  readonly fromStart?: boolean;
  /** Shared by the followers of one glob so that a renamed file is never read twice. */
  readonly inodes?: InodeRegistry;
  /**
   * Safety-net poll interval when no event arrives (where inotify watches the directory; without
   * it the waker polls every 50 ms). Default 1 s: a thousand followed files polled every 250 ms
   * cost a dserver ~9% of a core doing nothing.
   */
  readonly pollMs?: number;
  /** Told when the path is missing and being waited for. */
  readonly onNotice?: (message: string) => void;
  /**
   * Where the first file at the path starts, from a client's positions
   * (docs/protocol.md#resume): instead of its end (or `fromStart`).
   */
  readonly resume?: ResumePoints;
  /**
   * Opens the path before anything else and reads that very file: when the open fails, the first
   * `next()` throws a FirstOpenError instead of waiting for the file (dserver reports a file it
   * cannot read at once). One open, reused: the check is not paid twice.
   */
  readonly openFirst?: boolean;
  /**
   * Where the first file at the path starts instead of its end, given the file and its size
   * (`--since`: at the range's first line); not for a file read from its start or resumed.
   */
  readonly startAt?: (path: string, file: InputFile, size: number) => number;
}

/** The first open of an `openFirst` follow failed; `cause` is the opener's error. */
export class FirstOpenError extends SourceError {
  override name = "FirstOpenError";
  constructor(path: string, override readonly cause: unknown) {
    super(`${path}: ${reason(cause)}`);
  }
}

/** The chunks of one incarnation, and where in which file they start. */
export interface IncarnationStream extends AsyncGenerator<Uint8Array> {
  readonly origin: {
    readonly dev: number;
    readonly ino: number;
    /** The file offset of the first byte. */
    readonly start: number;
    /** The last bytes before `start` (up to 64). */
    readonly before: Uint8Array;
  };
}

const MARK_SIZE = 64;
/** A followed file's read buffer for a burst starts this large (ReadBuffer)… */
const FIRST_CHUNK_SIZE = 64 * 1024;
/** A replaced file is finished once its successor has data and it was quiet this long… */
const QUIET_AFTER_SUCCESSOR_MS = 50;
/** …or, without a successor with data, once it was quiet this long. */
const QUIET_ALONE_MS = 2000;
const DRAIN_POLL_MS = 25;

/** Yields one chunk stream per incarnation of `path`, until the signal aborts. */
export async function* followFile(
  path: string,
  options: FollowOptions,
): AsyncGenerator<IncarnationStream> {
  const { signal } = options;
  const pollMs = options.pollMs ?? 1000;
  const waker = options.watchers.waker(dirname(path));
  let fromStart = options.fromStart ?? false;
  let waitingNoticed = false;
  const opener = new PathOpener(path, options);
  const chain = new PathChain(path, opener);
  /** The client's positions, until the file at the path was started from them. */
  let resume = options.resume ?? null;
  /** The file `openFirst` opened, until it is read. */
  let held: OpenedFile | null = null;
  try {
    if (options.openFirst) {
      try {
        held = options.open(path);
      } catch (err) {
        throw new FirstOpenError(path, err);
      }
    }
    // A file rotated away from the path while the client was away is finished first.
    const looked = resume?.moved(path, options.open, signal, held?.pin) ?? null;
    let moved = looked === null ? null : await looked;
    while (!signal.aborted) {
      const rotated = moved;
      moved = null;
      if (rotated !== null && held !== null) {
        held.file.close(); // the path is opened again once the rotated file is finished
        held = null;
      }
      const first = held;
      held = null;
      const chained = rotated === null ? chain.shift() : null;
      const opened = rotated?.opened ?? chained ?? first ?? opener.open();
      if (opened === null) {
        // A file that is there but was refused was told so (onRefused): it is tried again.
        if (!waitingNoticed && !opener.refused) {
          options.onNotice?.(`${path}: waiting for the file to appear`);
        }
        waitingNoticed = true;
        fromStart = true; // whatever appears later is new
        resume = null;
        await waker.wait(pollMs);
        continue;
      }
      waitingNoticed = false;
      let info: FileStat;
      try {
        // A file the chain held may have changed since it was opened: its fstat now.
        info = statOf(opened, chained !== null);
      } catch (err) {
        opened.file.close();
        throw asSourceError(path, err);
      }
      const key = inodeKey(info);
      const known = options.inodes?.claim(key);
      if (known === "busy") {
        // Another follower still reads this inode (it was renamed to this path): let it finish.
        opened.file.close();
        if (rotated === null) await waker.wait(pollMs);
        continue;
      }
      let started: ResumeStart;
      if (known !== undefined && known <= info.size) started = { start: known };
      else if (resume !== null) {
        started = resumeStart(path, opened.file, info, resume, rotated?.position);
      } else if (fromStart || options.startAt === undefined) {
        started = { start: fromStart ? 0 : info.size };
      } else {
        try {
          started = { start: options.startAt(path, opened.file, info.size) };
        } catch (err) {
          opened.file.close();
          throw asSourceError(path, err);
        }
      }
      if (rotated === null) resume = null; // the file at the path has started
      let incarnation: Incarnation;
      try {
        // Opened from the path just now (not a rotated file, not one the chain held): the path led
        // to it then, and a rotation since wakes the waker.
        const fresh = rotated === null && chained === null;
        incarnation = new Incarnation(path, opened.file, info, started, chain, fresh);
      } catch (err) {
        opened.file.close();
        throw asSourceError(path, err);
      }
      fromStart = true;
      try {
        while (!signal.aborted && !incarnation.finished) {
          yield incarnation.stream(waker, pollMs, signal);
        }
      } finally {
        options.inodes?.release(key, incarnation.offset);
        incarnation.close();
      }
    }
  } finally {
    held?.file.close();
    chain.close();
    waker.close();
  }
}

/**
 * Where a file opened first on resume starts: from its position, or as a new file; with the bytes
 * before that start when they were read to check the position's mark.
 */
function resumeStart(
  path: string,
  file: InputFile,
  info: FileStat,
  resume: ResumePoints,
  rotatedFrom: FilePosition | undefined,
): ResumeStart {
  const position = resume.take(info.dev, info.ino) ?? rotatedFrom;
  if (position === undefined) return { start: resume.newFile(path, file, info.size) };
  const { offset } = position;
  if (offset > info.size) return { start: resume.startAt(path, file, info.size, position) };
  // The mark's bytes and, when they are few, the missed ones after them in one read.
  const from = Math.max(0, offset - MARK_SIZE);
  const missed = info.size - offset;
  const bytes = readAt(file, from, missed < SMALL_READ ? info.size : offset);
  const before = bytes.subarray(0, offset - from);
  const start = resume.startAt(path, file, info.size, position, before);
  // All of the mark read (the file is then past `bytes`): the follower neither reads nor seeks
  // them again.
  if (start !== offset || before.length !== offset - from) return { start };
  const ahead = bytes.subarray(offset - from);
  return ahead.length > 0 ? { start, before, ahead } : { start, before };
}

/** Where a resumed file starts, and what of it was read on the way. */
interface ResumeStart {
  readonly start: number;
  /** The bytes before `start` (up to MARK_SIZE). */
  readonly before?: Uint8Array;
  /** The bytes from `start` on that were read with `before` (the file is after them). */
  readonly ahead?: Uint8Array;
}

/**
 * The files that appeared at the path after the one being read, in order, each held open so
 * that quick successive rotations cannot take one away before it is read.
 */
class PathChain {
  readonly #path: string;
  readonly #opener: PathOpener;
  readonly #files: OpenedFile[] = [];
  #currentIno: number | null = null;

  constructor(path: string, opener: PathOpener) {
    this.#path = path;
    this.#opener = opener;
  }

  /** The inode being read now (the chain holds what came after it). */
  set current(ino: number) {
    this.#currentIno = ino;
  }

  /** Looks at the path: true when it no longer leads to the inode being read. */
  observe(): boolean {
    const ino = inodeAt(this.#path);
    if (ino === null) return true;
    if (ino === this.#currentIno) return false;
    const last = this.#files[this.#files.length - 1];
    if (last?.pin.ino !== ino) {
      const opened = this.#opener.open();
      if (opened !== null) {
        const at = statOf(opened).ino;
        if (at !== this.#currentIno && at !== last?.pin.ino) this.#files.push(opened);
        else opened.file.close();
      }
    }
    return true;
  }

  /** True when a later file exists and has data (its writer has moved on to it). */
  nextHasData(): boolean {
    const next = this.#files[0];
    return next !== undefined && next.file.statSync().size > 0;
  }

  shift(): OpenedFile | null {
    return this.#files.shift() ?? null;
  }

  close(): void {
    for (const { file } of this.#files.splice(0)) file.close();
  }
}

class Incarnation {
  readonly #chain: PathChain;
  readonly #file: InputFile;
  readonly #dev: number;
  readonly #ino: number;
  #offset: number;
  /** Where the file's read position is (null: not known), to skip a seek that would not move. */
  #at: number | null = null;
  /** The last bytes read before #offset, to notice a truncation hidden by regrowth. */
  #mark: Uint8Array = NO_BYTES;
  /**
   * The file's size when it was opened, taken for its size when the first stream starts: a
   * change since then woke the follower's waker, which then looks again at once.
   */
  #openedSize: number | null;
  /** Bytes after #offset read already (with the mark, on resume): the first to hand out. */
  #ahead: Uint8Array | null = null;
  /** When the path stopped leading to this inode (0: it still does). */
  #replacedAt = 0;
  #lastDataAt = 0;
  /** Set when this inode is done: replaced, drained and quiet. */
  finished = false;

  constructor(
    private readonly path: string,
    file: InputFile,
    info: FileStat,
    { start, before, ahead }: ResumeStart,
    chain: PathChain,
    /** Opened from the path just now: the first look need not see whether the path moved on. */
    private readonly fresh: boolean,
  ) {
    this.#chain = chain;
    this.#file = file;
    this.#dev = info.dev;
    this.#ino = info.ino;
    chain.current = this.#ino;
    this.#offset = start;
    this.#openedSize = info.size;
    if (before !== undefined) {
      this.#mark = before;
      this.#at = start + (ahead?.length ?? 0);
      this.#ahead = ahead ?? null;
    } else if (start > 0) {
      const mark = new Uint8Array(Math.min(MARK_SIZE, start));
      this.#mark = mark.subarray(0, this.#readAt(start - mark.length, mark));
    }
  }

  get offset(): number {
    return this.#offset;
  }

  /** `chunks`, with where they start (for positions, core/follow_position.ts). */
  stream(waker: Waker, pollMs: number, signal: AbortSignal): IncarnationStream {
    const origin = { dev: this.#dev, ino: this.#ino, start: this.#offset, before: this.#mark };
    return Object.assign(this.chunks(waker, pollMs, signal), { origin });
  }

  /**
   * Bytes of this incarnation until it is finished; a truncation ends the stream early so the
   * caller restarts line splitting at offset 0 (the next stream starts there).
   */
  async *chunks(waker: Waker, pollMs: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    // One generator (not one wrapping another): a glob's thousand followers each hold it.
    try {
      const buf = new ReadBuffer();
      for (;;) {
        // The first round has the size and mark taken as the file was opened: they cannot disagree
        // yet. A truncation (or, for a fresh open, a rotation) since woke the waker: the next round
        // looks.
        const opened = this.#openedSize !== null;
        const size = this.#openedSize ?? this.#file.statSync().size;
        this.#openedSize = null;
        if (opened ? size < this.#offset : this.#truncated(size)) {
          this.#offset = 0;
          this.#mark = NO_BYTES;
          return;
        }
        yield* this.#drain(buf, size);
        const moved = !(opened && this.fresh) && this.#chain.observe();
        if (moved && this.#replacedAt === 0) this.#replacedAt = Date.now();
        if (this.#replacedAt !== 0 && this.#doneAfterReplacement()) {
          this.finished = true;
          return;
        }
        if (signal.aborted) return;
        await waker.wait(this.#replacedAt !== 0 ? DRAIN_POLL_MS : pollMs);
        if (signal.aborted) {
          yield* this.#drain(buf, this.#file.statSync().size); // written before the stop was asked
          return;
        }
      }
    } catch (err) {
      throw asSourceError(this.path, err); // e.g. EPERM reading a /proc file
    }
  }

  #doneAfterReplacement(): boolean {
    const quiet = Date.now() - Math.max(this.#lastDataAt, this.#replacedAt);
    if (quiet >= QUIET_ALONE_MS) return true;
    return quiet >= QUIET_AFTER_SUCCESSOR_MS && this.#chain.nextHasData();
  }

  /**
   * The bytes after #offset: at least up to `size` (the file's size a moment ago), and on while
   * reads fill the buffer (the file grows fast). A file that did not grow is not read at all.
   */
  *#drain(buf: ReadBuffer, size: number): Generator<Uint8Array> {
    if (size <= this.#offset) return;
    const ahead = this.#ahead;
    if (ahead !== null) {
      this.#ahead = null;
      this.#offset += ahead.length; // the file is there already (#at)
      this.#lastDataAt = Date.now();
      this.#remember(ahead);
      yield ahead;
      if (this.#offset >= size) return;
    }
    const positional = this.#file.preadSync !== undefined;
    if (!positional) this.#seek(this.#offset);
    for (;;) {
      let chunk: Uint8Array | null;
      try {
        chunk = buf.read(this.#file, size - this.#offset, positional ? this.#offset : -1);
      } catch (err) {
        this.#at = null;
        throw err;
      }
      if (chunk === null) {
        this.#at = null;
        return;
      }
      const n = chunk.length;
      this.#offset += n;
      this.#at = this.#offset;
      this.#lastDataAt = Date.now();
      this.#remember(chunk);
      const full = buf.full(chunk);
      yield chunk;
      if (this.#offset >= size && !full) return;
      buf.done(chunk);
    }
  }

  #remember(chunk: Uint8Array): void {
    if (chunk.length >= MARK_SIZE) {
      this.#mark = chunk.slice(chunk.length - MARK_SIZE);
      return;
    }
    const joined = new Uint8Array(Math.min(MARK_SIZE, this.#mark.length + chunk.length));
    const keep = joined.length - chunk.length;
    joined.set(this.#mark.subarray(this.#mark.length - keep));
    joined.set(chunk, keep);
    this.#mark = joined;
  }

  #seek(offset: number): void {
    if (this.#at === offset) return;
    this.#at = null; // unknown until the seek is done
    this.#file.seekSync(offset, Deno.SeekMode.Start);
    this.#at = offset;
  }

  /** Reads into `out` from `start`; how many bytes were read (fewer at the file's end). */
  #readAt(start: number, out: Uint8Array): number {
    if (this.#file.preadSync !== undefined) return readFully(this.#file, out, start);
    this.#seek(start);
    let got = 0;
    try {
      while (got < out.length) {
        const n = this.#file.readSync(out.subarray(got));
        if (n === null || n === 0) break;
        got += n;
      }
    } finally {
      this.#at = got === out.length ? start + got : null;
    }
    return got;
  }

  /**
   * Smaller than what we read (`size`: its size now), or the bytes before our offset changed
   * (truncate + regrow).
   */
  #truncated(size: number): boolean {
    if (size < this.#offset) return true;
    const mark = this.#mark;
    if (mark.length === 0) return false;
    const now = markScratch.subarray(0, mark.length);
    return this.#readAt(this.#offset - mark.length, now) !== mark.length || !equal(now, mark);
  }

  close(): void {
    try {
      this.#file.close();
    } catch {
      // already closed
    }
  }
}

/**
 * The read buffer of a followed file. A few lines (what a followed file mostly has) are read into
 * one scratch buffer shared by all followers and copied out: a glob may follow thousands of files,
 * and a buffer of their own would be allocated for each. A file with more to read gets its own
 * buffer, 64 KiB, and 1 MiB once a read filled that (a burst).
 */
class ReadBuffer {
  #own: Uint8Array | null = null;

  /**
   * Reads from `file` when `waiting` bytes (at least one) are known to wait; null at its end. From
   * `offset` with a positional read, or from the read position when `offset` is -1.
   */
  read(file: InputFile, waiting: number, offset: number): Uint8Array | null {
    if (this.#own === null && waiting < SMALL_READ) {
      const n = readOnce(file, scratch, offset);
      if (n === null || n === 0) return null;
      // Filled: the file grew since its size was taken; the next read is a big one.
      if (n === scratch.length) this.#own = new Uint8Array(FIRST_CHUNK_SIZE);
      return scratch.slice(0, n);
    }
    this.#own ??= new Uint8Array(FIRST_CHUNK_SIZE);
    const n = readOnce(file, this.#own, offset);
    if (n === null || n === 0) return null;
    return this.#own.subarray(0, n);
  }

  /** Whether the last read filled what it read into (more may follow at once). */
  full(chunk: Uint8Array): boolean {
    return chunk.length === (chunk.buffer === this.#own?.buffer ? this.#own.length : SMALL_READ);
  }

  /** A read returned `chunk`, which is no longer in use. */
  done(chunk: Uint8Array): void {
    const own = this.#own;
    if (own !== null && chunk.buffer === own.buffer && chunk.length === own.length) {
      if (own.length < DEFAULT_CHUNK_SIZE) this.#own = new Uint8Array(DEFAULT_CHUNK_SIZE);
    }
  }
}

function readOnce(file: InputFile, into: Uint8Array, offset: number): number | null {
  return offset < 0 ? file.readSync(into) : file.preadSync!(into, offset);
}

/** An empty mark, shared (each of a thousand followers would hold its own otherwise). */
const NO_BYTES = new Uint8Array(0);
/** Reads of fewer bytes than this go through the shared scratch buffer. */
const SMALL_READ = 16 * 1024;
const scratch = new Uint8Array(SMALL_READ);
/** The bytes at a mark's place read again (a truncation check; used within one call). */
const markScratch = new Uint8Array(MARK_SIZE);

/**
 * Which inodes are being read and how far finished ones were read: with a glob such as
 * `app.log*`, rotation renames a followed file to a path that newly matches the glob, and that
 * file must continue where its reader stopped instead of being read again.
 */
export class InodeRegistry {
  readonly #busy = new Set<string>();
  readonly #finished = new Map<string, number>();

  /** Takes ownership of an inode: "busy" if someone reads it, else the offset read so far. */
  claim(key: string): number | "busy" | undefined {
    if (this.#busy.has(key)) return "busy";
    this.#busy.add(key);
    return this.#finished.get(key);
  }

  release(key: string, offset: number): void {
    this.#busy.delete(key);
    this.#finished.set(key, offset);
  }
}

export function inodeKey(info: { readonly dev: number; readonly ino: number | null }): string {
  return `${info.dev}:${info.ino}`;
}

/** Opens the followed path with the caller's opener; null while it is missing or refused. */
class PathOpener {
  #refused = false;

  /** Whether the last open failed for a file that is there (told through onRefused). */
  get refused(): boolean {
    return this.#refused;
  }

  constructor(
    private readonly path: string,
    private readonly options: Pick<FollowOptions, "open" | "onRefused">,
  ) {}

  open(): OpenedFile | null {
    try {
      const opened = this.options.open(this.path);
      this.#refused = false;
      return opened;
    } catch (err) {
      if (!this.#refused && exists(this.path)) {
        this.#refused = true;
        this.options.onRefused?.(this.path, err);
      }
      return null;
    }
  }
}

/**
 * The inode a path leads to now, null when it leads nowhere: through FFI where it can (a thousand
 * followers look at every poll; Deno's `stat` makes a FileInfo with four Dates each time).
 */
function inodeAt(path: string): number | null {
  const c = statLibc();
  if (c !== null) return statPath(c, path, true)?.ino ?? statFallback(path);
  return statFallback(path);
}

function statFallback(path: string): number | null {
  try {
    return Deno.statSync(path).ino ?? -1;
  } catch {
    return null;
  }
}

/** What a follower needs of a file's `stat`, as plain numbers. */
interface FileStat {
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
}

/** The opened file's inode and size: what its open saw (unless `now`), else its `fstat`. */
function statOf(opened: OpenedFile, now = false): FileStat {
  if (opened.size !== undefined && !now) {
    return { dev: opened.pin.dev, ino: opened.pin.ino, size: opened.size };
  }
  const info = opened.file.statSync();
  return { dev: info.dev, ino: info.ino ?? -1, size: info.size };
}

function asSourceError(path: string, err: unknown): SourceError {
  return err instanceof SourceError ? err : new SourceError(`${path}: ${reason(err)}`);
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : path.slice(0, i);
}
