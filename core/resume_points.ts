/**
 * Where the files of one followed glob resume (docs/protocol.md#resume): the positions a client
 * sent, and the rules that turn a position and a file into the offset reading starts at.
 *
 * A position names a file by device and inode, so a file renamed while the client was away is
 * still found: the follower that opens an inode takes its position (each inode once). A file that
 * was rotated away from a followed path to a name the glob does not cover (`app.log.1`,
 * `app.log-20240501`) is looked for beside the path, with the caller's listing rights and opened
 * with the caller's (checked) open, never by inode alone; it is finished from its position before
 * the new file at the path is read from its start. A file without a position appeared while the
 * client was away: it is read from its start. No file is read further back than `maxGapBytes`.
 */
import { readFully } from "./fd_file.ts";
import { cleanPath, expandGlob, hasGlobMeta, segmentRegExp } from "./glob.ts";
import type { FileOpener, InputFile, OpenedFile } from "./open_file.ts";
import { type FilePosition, MARK_BYTES, markOf } from "./protocol/resume.ts";

export interface ResumeOptions {
  /** Server.ResumeMaxGapBytes: the most a file is read back from its end on resume. */
  readonly maxGapBytes: number;
  /** Tells the client what the resume could not do as asked (one line per case). */
  readonly notice: (message: string) => void;
  /** Whether the user may list a directory (the rotated-file search); default: yes. */
  readonly canList?: (dir: string) => boolean;
  /** A file the rotated-file search found could not be opened (for the server log only). */
  readonly onRefused?: (path: string, err: unknown) => void;
}

/** Names beside a path looked at for a rotated file, at most. */
const MAX_SIBLINGS = 1000;
/** How far past a cut a line start is looked for before reading starts mid-line. */
const LINE_SEARCH = 1 << 20;
const NL = 10;

export class ResumePoints {
  readonly #byInode = new Map<string, FilePosition>();
  readonly #byPath = new Map<string, FilePosition>();
  readonly #taken = new Set<string>();
  /** Inode → path of the glob's files when the follow started (each resumes as itself). */
  readonly #covered = new Map<string, string>();
  /** Paths covered whose inodes were not looked up yet. */
  readonly #uncovered: string[] = [];
  readonly #options: ResumeOptions;

  /** The positions of `pattern`'s files; a position of another file is ignored (one notice). */
  constructor(pattern: string, positions: readonly FilePosition[], options: ResumeOptions) {
    this.#options = options;
    const inPattern = globMatcher(pattern);
    let outside = 0;
    for (const p of positions) {
      if (!inPattern(p.path)) {
        outside++;
        continue;
      }
      const key = keyOf(p);
      const known = this.#byInode.get(key);
      if (known === undefined || p.offset > known.offset) this.#byInode.set(key, p);
      this.#byPath.set(clean(p.path), p);
    }
    if (outside > 0) {
      options.notice(`${outside} position(s) name files outside ${pattern}: ignored`);
    }
  }

  #notice(message: string): void {
    this.#options.notice(message);
  }

  /**
   * The glob's files as the follow starts: an inode found there is resumed under that name. Their
   * inodes are looked up only when a rotated file is looked for (most resumes never need them).
   */
  cover(paths: readonly string[]): void {
    this.#uncovered.push(...paths);
  }

  /** Inode → path of the covered files (stat'ed on first use). */
  #coveredInodes(): Map<string, string> {
    for (const path of this.#uncovered.splice(0)) {
      try {
        const info = Deno.statSync(path);
        this.#covered.set(keyOf({ dev: info.dev, ino: info.ino ?? -1 }), clean(path));
      } catch {
        // gone already: its follower waits for it
      }
    }
    return this.#covered;
  }

  /** The position of an inode, once: the follower that opened the file continues there. */
  take(dev: number, ino: number): FilePosition | undefined {
    const key = keyOf({ dev, ino });
    if (this.#taken.has(key)) return undefined;
    const position = this.#byInode.get(key);
    if (position !== undefined) this.#taken.add(key);
    return position;
  }

  /**
   * The file last followed at `path` when the path now leads elsewhere (or nowhere), opened with
   * `open` from among the names rotation gives it; null when there is none, or when the glob
   * follows that file under another name (its follower resumes it). Tells when it is lost.
   * `current`: what the path leads to now, when the caller just opened it (else it is stat'ed).
   */
  moved(
    path: string,
    open: FileOpener,
    signal: AbortSignal,
    current?: { readonly dev: number; readonly ino: number },
  ): Promise<{ opened: OpenedFile; position: FilePosition } | null> | null {
    // Synchronous while the path still leads to the file of its position (the usual case): a
    // thousand followers starting do not each wait a promise for nothing.
    const cleaned = clean(path);
    const position = this.#byPath.get(cleaned);
    if (position === undefined) return null;
    const now = current ?? statOrNull(path);
    if (now !== null && now.dev === position.dev && now.ino === position.ino) return null;
    return this.#moved(path, cleaned, position, open, signal);
  }

  async #moved(
    path: string,
    cleaned: string,
    position: FilePosition,
    open: FileOpener,
    signal: AbortSignal,
  ): Promise<{ opened: OpenedFile; position: FilePosition } | null> {
    const key = keyOf(position);
    if (this.#taken.has(key)) return null;
    const at = this.#coveredInodes().get(key);
    if (at !== undefined && at !== cleaned) return null;
    const best = this.#byInode.get(key) ?? position;
    const opened = await this.#findSibling(path, best, open, signal);
    if (opened === null) {
      this.#notice(
        `${path} was rotated or removed while disconnected and the file read before was not ` +
          `found: lines written to it after offset ${best.offset} are missing`,
      );
      return null;
    }
    return { opened, position: best };
  }

  /**
   * Where a file with a position continues: at the offset; from its start when it is shorter
   * than that (truncated) or the bytes before the offset changed (truncated and grown again, or
   * another file with the inode number); at most `maxGapBytes` before its end.
   */
  startAt(
    path: string,
    file: InputFile,
    size: number,
    position: FilePosition,
    /** The bytes before the offset (up to MARK_BYTES), when the caller read them already. */
    before?: Uint8Array,
  ): number {
    const { offset, mark } = position;
    if (size < offset) {
      this.#notice(
        `${path} is shorter than the position (${size} < ${offset} bytes): truncated while ` +
          `disconnected, reading it from its start`,
      );
      return this.#bounded(path, file, size, 0);
    }
    if (
      mark !== undefined &&
      markOf(before ?? readAt(file, Math.max(0, offset - MARK_BYTES), offset)) !== mark
    ) {
      this.#notice(
        `${path} changed before the position while disconnected (truncated or replaced): ` +
          `reading it from its start`,
      );
      return this.#bounded(path, file, size, 0);
    }
    return this.#bounded(path, file, size, offset);
  }

  /** A file without a position appeared while the client was away: from its start. */
  newFile(path: string, file: InputFile, size: number): number {
    return this.#bounded(path, file, size, 0);
  }

  /** `from`, or, when more than maxGapBytes follow it, the first line start in the last ones. */
  #bounded(path: string, file: InputFile, size: number, from: number): number {
    const max = this.#options.maxGapBytes;
    if (size - from <= max) return from;
    const start = lineStartFrom(file, size - max, size);
    this.#notice(
      `${path}: skipped ${start - from} bytes written while disconnected ` +
        `(more than Server.ResumeMaxGapBytes, ${max})`,
    );
    return start;
  }

  async #findSibling(
    path: string,
    position: FilePosition,
    open: FileOpener,
    signal: AbortSignal,
  ): Promise<OpenedFile | null> {
    const cleaned = clean(path);
    const slash = cleaned.lastIndexOf("/");
    const dir = slash < 0 ? "" : cleaned.slice(0, slash + 1);
    const name = cleaned.slice(slash + 1);
    const found = await expandGlob(`${dir}${name.replace(/[*?[\\]/g, "\\$&")}*`, {
      signal,
      maxDirs: 1,
      maxTargets: MAX_SIBLINGS,
      ...(this.#options.canList ? { canList: this.#options.canList } : {}),
    });
    for (const candidate of found.paths) {
      if (candidate === cleaned) continue;
      let info: Deno.FileInfo;
      try {
        info = Deno.lstatSync(candidate);
      } catch {
        continue;
      }
      if (!info.isFile || info.dev !== position.dev || info.ino !== position.ino) continue;
      try {
        const opened = open(candidate);
        if (opened.pin.dev === position.dev && opened.pin.ino === position.ino) return opened;
        opened.file.close();
      } catch (err) {
        this.#options.onRefused?.(candidate, err); // as if it were not there
      }
    }
    return null;
  }
}

/** Whether a path is one of the pattern's (a glob, or the path itself). */
export function globMatcher(pattern: string): (path: string) => boolean {
  const parts = clean(pattern).split("/");
  if (!hasGlobMeta(pattern)) {
    const whole = parts.join("/");
    return (path) => clean(path) === whole;
  }
  let segments: ((name: string) => boolean)[];
  try {
    segments = parts.map((part) => {
      if (!hasGlobMeta(part)) return (name: string) => name === part;
      const re = segmentRegExp(part);
      return (name: string) => re.test(name);
    });
  } catch {
    return () => false; // a bad pattern: its follow fails on its own
  }
  return (path) => {
    const names = clean(path).split("/");
    return names.length === segments.length && segments.every((test, i) => test(names[i]!));
  };
}

/** Not what cleanPath returns unchanged: "//", a "." or ".." name, a trailing "/". */
const NOT_CLEAN = /\/\/|(?:^|\/)\.\.?(?:\/|$)|.\/$/;

/** cleanPath, without its work for a path that is clean already (as glob matches are). */
function clean(path: string): string {
  return path !== "" && !NOT_CLEAN.test(path) ? path : cleanPath(path);
}

function keyOf(p: { dev: number; ino: number }): string {
  return `${p.dev}:${p.ino}`;
}

function statOrNull(path: string): { dev: number; ino: number } | null {
  try {
    const info = Deno.statSync(path);
    return { dev: info.dev, ino: info.ino ?? -1 };
  } catch {
    return null;
  }
}

/** The bytes of [start, end) of an open file. */
export function readAt(file: InputFile, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  return out.subarray(0, readFully(file, out, start));
}

/** The first line start at or after `from` (looked for within LINE_SEARCH), else `from`. */
function lineStartFrom(file: InputFile, from: number, size: number): number {
  const buf = new Uint8Array(64 * 1024);
  const first = Math.max(0, from - 1); // a "\n" just before `from` makes it a line start
  file.seekSync(first, Deno.SeekMode.Start);
  for (let at = first; at < size && at - first < LINE_SEARCH;) {
    const n = file.readSync(buf);
    if (n === null || n === 0) break;
    const nl = buf.subarray(0, n).indexOf(NL);
    if (nl >= 0) return at + nl + 1;
    at += n;
  }
  return from;
}
