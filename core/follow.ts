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
import type { FileOpener } from "./open_file.ts";
import type { FilePosition } from "./protocol/resume.ts";
import type { ResumePoints } from "./resume_points.ts";
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
  /** Safety-net poll interval when no event arrives. */
  readonly pollMs?: number;
  /** Told when the path is missing and being waited for. */
  readonly onNotice?: (message: string) => void;
  /**
   * Where the first file at the path starts, from a client's positions
   * (docs/protocol.md#resume): instead of its end (or `fromStart`).
   */
  readonly resume?: ResumePoints;
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
/** The read buffer of a followed file starts this small (ReadBuffer). */
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
  const pollMs = options.pollMs ?? 250;
  const waker = options.watchers.waker(dirname(path));
  let fromStart = options.fromStart ?? false;
  let waitingNoticed = false;
  const opener = new PathOpener(path, options);
  const chain = new PathChain(path, opener);
  /** The client's positions, until the file at the path was started from them. */
  let resume = options.resume ?? null;
  try {
    // A file rotated away from the path while the client was away is finished first.
    let moved = resume === null ? null : await resume.moved(path, options.open, signal);
    while (!signal.aborted) {
      const rotated = moved;
      moved = null;
      const opened = rotated?.file ?? chain.shift() ?? opener.open();
      if (opened === null) {
        if (!waitingNoticed) options.onNotice?.(`${path}: waiting for the file to appear`);
        waitingNoticed = true;
        fromStart = true; // whatever appears later is new
        resume = null;
        await waker.wait(pollMs);
        continue;
      }
      waitingNoticed = false;
      const info = opened.statSync();
      const key = inodeKey(info);
      const known = options.inodes?.claim(key);
      if (known === "busy") {
        // Another follower still reads this inode (it was renamed to this path): let it finish.
        opened.close();
        if (rotated === null) await waker.wait(pollMs);
        continue;
      }
      let start: number;
      if (known !== undefined && known <= info.size) start = known;
      else if (resume !== null) start = resumeStart(path, opened, info, resume, rotated?.position);
      else start = fromStart ? 0 : info.size;
      if (rotated === null) resume = null; // the file at the path has started
      let incarnation: Incarnation;
      try {
        incarnation = new Incarnation(path, opened, start, chain);
      } catch (err) {
        opened.close();
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
    chain.close();
    waker.close();
  }
}

/** Where a file opened first on resume starts: from its position, or as a new file. */
function resumeStart(
  path: string,
  file: Deno.FsFile,
  info: Deno.FileInfo,
  resume: ResumePoints,
  rotatedFrom: FilePosition | undefined,
): number {
  const position = resume.take(info.dev, info.ino ?? -1) ?? rotatedFrom;
  return position === undefined
    ? resume.newFile(path, file, info.size)
    : resume.startAt(path, file, info.size, position);
}

/**
 * The files that appeared at the path after the one being read, in order, each held open so
 * that quick successive rotations cannot take one away before it is read.
 */
class PathChain {
  readonly #path: string;
  readonly #opener: PathOpener;
  readonly #files: { file: Deno.FsFile; ino: number }[] = [];
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
    let ino: number;
    try {
      ino = Deno.statSync(this.#path).ino ?? -1;
    } catch {
      return true;
    }
    if (ino === this.#currentIno) return false;
    const last = this.#files[this.#files.length - 1];
    if (last?.ino !== ino) {
      const file = this.#opener.open();
      const opened = file?.statSync().ino ?? undefined;
      if (file !== null && opened !== this.#currentIno && opened !== last?.ino) {
        this.#files.push({ file, ino: opened! });
      } else file?.close();
    }
    return true;
  }

  /** True when a later file exists and has data (its writer has moved on to it). */
  nextHasData(): boolean {
    const next = this.#files[0];
    return next !== undefined && next.file.statSync().size > 0;
  }

  shift(): Deno.FsFile | null {
    return this.#files.shift()?.file ?? null;
  }

  close(): void {
    for (const { file } of this.#files.splice(0)) file.close();
  }
}

class Incarnation {
  readonly #chain: PathChain;
  readonly #file: Deno.FsFile;
  readonly #dev: number;
  readonly #ino: number;
  #offset: number;
  /** The last bytes read before #offset, to notice a truncation hidden by regrowth. */
  #mark: Uint8Array = new Uint8Array(0);
  /** When the path stopped leading to this inode (0: it still does). */
  #replacedAt = 0;
  #lastDataAt = 0;
  /** Set when this inode is done: replaced, drained and quiet. */
  finished = false;

  constructor(
    private readonly path: string,
    file: Deno.FsFile,
    start: number,
    chain: PathChain,
  ) {
    this.#chain = chain;
    this.#file = file;
    const info = file.statSync();
    this.#dev = info.dev;
    this.#ino = info.ino ?? -1;
    chain.current = this.#ino;
    this.#offset = start;
    if (start > 0) this.#mark = this.#readAt(Math.max(0, start - MARK_SIZE), start);
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
    try {
      yield* this.#chunks(waker, pollMs, signal);
    } catch (err) {
      throw asSourceError(this.path, err); // e.g. EPERM reading a /proc file
    }
  }

  async *#chunks(waker: Waker, pollMs: number, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const buf = new ReadBuffer();
    for (;;) {
      if (this.#truncated()) {
        this.#offset = 0;
        this.#mark = new Uint8Array(0);
        return;
      }
      yield* this.#drain(buf);
      if (this.#chain.observe() && this.#replacedAt === 0) this.#replacedAt = Date.now();
      if (this.#replacedAt !== 0 && this.#doneAfterReplacement()) {
        this.finished = true;
        return;
      }
      if (signal.aborted) return;
      await waker.wait(this.#replacedAt !== 0 ? DRAIN_POLL_MS : pollMs);
      if (signal.aborted) {
        yield* this.#drain(buf); // what was written before the stop was asked for
        return;
      }
    }
  }

  #doneAfterReplacement(): boolean {
    const quiet = Date.now() - Math.max(this.#lastDataAt, this.#replacedAt);
    if (quiet >= QUIET_ALONE_MS) return true;
    return quiet >= QUIET_AFTER_SUCCESSOR_MS && this.#chain.nextHasData();
  }

  *#drain(buf: ReadBuffer): Generator<Uint8Array> {
    this.#file.seekSync(this.#offset, Deno.SeekMode.Start);
    for (;;) {
      const n = this.#file.readSync(buf.bytes);
      if (n === null || n === 0) return;
      this.#offset += n;
      this.#lastDataAt = Date.now();
      const chunk = buf.bytes.subarray(0, n);
      this.#remember(chunk);
      yield chunk;
      buf.filled(n);
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

  #readAt(start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    this.#file.seekSync(start, Deno.SeekMode.Start);
    let got = 0;
    while (got < out.length) {
      const n = this.#file.readSync(out.subarray(got));
      if (n === null || n === 0) break;
      got += n;
    }
    return out.subarray(0, got);
  }

  /** Smaller than what we read, or the bytes before our offset changed (truncate + regrow). */
  #truncated(): boolean {
    const size = this.#file.statSync().size;
    if (size < this.#offset) return true;
    if (this.#mark.length === 0) return false;
    const now = this.#readAt(this.#offset - this.#mark.length, this.#offset);
    return !equal(now, this.#mark);
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
 * The read buffer of a followed file: small while the file grows by a few lines (a glob may
 * follow thousands of files, each with its own), 1 MiB once a read filled it (a burst).
 */
class ReadBuffer {
  bytes = new Uint8Array(FIRST_CHUNK_SIZE);

  /** A read returned `n` bytes (the chunk handed out before is no longer in use). */
  filled(n: number): void {
    if (n === this.bytes.length && n < DEFAULT_CHUNK_SIZE) {
      this.bytes = new Uint8Array(DEFAULT_CHUNK_SIZE);
    }
  }
}

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

export function inodeKey(info: Deno.FileInfo): string {
  return `${info.dev}:${info.ino}`;
}

/** Opens the followed path with the caller's opener; null while it is missing or refused. */
class PathOpener {
  #refused = false;

  constructor(
    private readonly path: string,
    private readonly options: Pick<FollowOptions, "open" | "onRefused">,
  ) {}

  open(): Deno.FsFile | null {
    try {
      const { file } = this.options.open(this.path);
      this.#refused = false;
      return file;
    } catch (err) {
      if (!this.#refused && exists(this.path)) {
        this.#refused = true;
        this.options.onRefused?.(this.path, err);
      }
      return null;
    }
  }
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
