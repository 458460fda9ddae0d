/**
 * The only place DTail opens a file for reading its content. A file is opened non-blocking
 * (a FIFO or a device swapped in can never hang the process), checked to be a regular file, and
 * pinned to its inode: workers that open the same file again (parallel decompression and map)
 * get exactly the inode that was opened first, or an error.
 *
 * Who may open what is decided by the caller's `FileOpener`: serverless mode opens as the user
 * running it (`openRegular`); dserver checks the SSH user's rights first (server/access/safe_open.ts).
 */
import { FdFile, type InputFile } from "./fd_file.ts";
import {
  cPath,
  ENOENT,
  errno,
  errnoText,
  type FdStat,
  fileLibc,
  fstatLibc,
  fstatOf,
} from "./libc.ts";
import { reason, SourceError } from "./source_error.ts";

export type { InputFile, InputStat } from "./fd_file.ts";

/** The inode a path was found to lead to when it was opened (for a second open elsewhere). */
export interface PinnedFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Refuse when the last path component is a symlink (the path was resolved already). */
  readonly noFollow: boolean;
}

export interface OpenedFile {
  readonly file: InputFile;
  readonly pin: PinnedFile;
  /** The file's size when it was opened (its `fstat` then), when the opener saw it. */
  readonly size?: number;
}

/** Opens a path for reading on someone's behalf; throws SourceError (or a refusal). */
export type FileOpener = (path: string) => OpenedFile;

/** The file at the path is not the one that was checked or opened before. */
export class FileSwappedError extends SourceError {
  override name = "FileSwappedError";
}

/** Opens a regular file as the running user (serverless mode), following symlinks. */
export function openRegular(path: string): OpenedFile {
  const { file, stat } = openNonBlocking(path, false, null);
  return { file, pin: { path, dev: stat.dev, ino: stat.ino, noFollow: false }, size: stat.size };
}

/** Opens exactly the pinned inode again, or throws FileSwappedError. */
export function openPinned(pin: PinnedFile): InputFile {
  return openNonBlocking(pin.path, pin.noFollow, pin).file;
}

/** openPinned, with the file's size when it was opened. */
export function openPinnedSized(pin: PinnedFile): { file: InputFile; size: number } {
  const { file, stat } = openNonBlocking(pin.path, pin.noFollow, pin);
  return { file, size: stat.size };
}

interface Opened {
  readonly file: InputFile;
  /** The opened inode's fstat, taken on the file descriptor that was checked. */
  readonly stat: FdStat;
}

const O_NONBLOCK = 0o4000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const O_NOCTTY = 0o400;
const ELOOP = 40;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/**
 * open(2) with O_NONBLOCK through FFI; the descriptor is read as it is (core/fd_file.ts) once its
 * `fstat` says it is a regular file (for which O_NONBLOCK changes nothing). Without `fstat` through
 * FFI, Deno's FsFile through /proc/self/fd, which reopens the same inode, `stat`ed again as well.
 */
function openNonBlocking(path: string, noFollow: boolean, pin: PinnedFile | null): Opened {
  const c = fileLibc();
  if (c === null) return openByStat(path, noFollow, pin);
  if (path.includes("\0")) throw new SourceError(`${JSON.stringify(path)}: a NUL byte in the name`);
  const flags = O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (noFollow ? O_NOFOLLOW : 0);
  const fd = c.open(cPath(path), flags, 0);
  if (fd < 0) {
    const code = errno(c);
    if (code === ENOENT) throw new SourceError(`${path}: no such file or directory`);
    if (code === ELOOP && noFollow) throw swapped(path, "became a symlink");
    throw new SourceError(`${path}: ${errnoText(code, "open")}`);
  }
  const s = fstatLibc();
  let kept = false;
  try {
    if (s === null) return reopenByStat(path, fd, noFollow, pin);
    const stat = fstatOf(s, fd);
    if (stat === null) throw new SourceError(`${path}: ${errnoText(errno(c), "fstat")}`);
    verify(path, kindOfMode(stat.mode), stat, pin);
    kept = true;
    return { file: new FdFile(c, s, fd, path), stat };
  } finally {
    if (!kept) c.close(fd);
  }
}

/** The reopen through /proc/self/fd with a `stat` before and after (see openNonBlocking). */
function reopenByStat(
  path: string,
  fd: number,
  noFollow: boolean,
  pin: PinnedFile | null,
): Opened {
  const proc = `/proc/self/fd/${fd}`;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(proc);
  } catch {
    return openByStat(path, noFollow, pin); // no /proc
  }
  verify(path, kindOfInfo(info), statOfInfo(info), pin);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(proc, { read: true });
  } catch (err) {
    throw new SourceError(`${path}: ${reason(err)}`);
  }
  return verifyOpen(path, file, pin);
}

/** Without FFI or /proc: stat, open, stat again (a FIFO swapped in between can still block). */
function openByStat(path: string, noFollow: boolean, pin: PinnedFile | null): Opened {
  let info: Deno.FileInfo;
  try {
    info = noFollow ? Deno.lstatSync(path) : Deno.statSync(path);
  } catch (err) {
    throw new SourceError(`${path}: ${reason(err)}`);
  }
  verify(path, kindOfInfo(info), statOfInfo(info), pin);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    throw new SourceError(`${path}: ${reason(err)}`);
  }
  return verifyOpen(path, file, pin);
}

function verifyOpen(path: string, file: Deno.FsFile, pin: PinnedFile | null): Opened {
  try {
    const info = file.statSync();
    const stat = statOfInfo(info);
    verify(path, kindOfInfo(info), stat, pin);
    return { file, stat };
  } catch (err) {
    file.close();
    throw err;
  }
}

type Kind = "file" | "directory" | "symlink" | "other";

function verify(
  path: string,
  kind: Kind,
  at: { readonly dev: number; readonly ino: number },
  pin: PinnedFile | null,
): void {
  if (pin !== null) {
    if (kind === "symlink") throw swapped(path, "became a symlink");
    if (kind !== "file") throw swapped(path, "is no longer a regular file");
    if (at.dev !== pin.dev || at.ino !== pin.ino) {
      throw swapped(path, "was replaced by another file");
    }
  }
  if (kind !== "file") {
    throw new SourceError(
      `${path}: ${kind === "directory" ? "is a directory" : "not a regular file"}`,
    );
  }
}

function kindOfMode(mode: number): Kind {
  const type = mode & S_IFMT;
  if (type === S_IFREG) return "file";
  if (type === S_IFDIR) return "directory";
  return type === S_IFLNK ? "symlink" : "other";
}

function kindOfInfo(info: Deno.FileInfo): Kind {
  if (info.isSymlink) return "symlink";
  if (info.isFile) return "file";
  return info.isDirectory ? "directory" : "other";
}

function statOfInfo(info: Deno.FileInfo): FdStat {
  return { dev: info.dev, ino: info.ino ?? -1, mode: info.mode ?? 0, size: info.size };
}

function swapped(path: string, what: string): FileSwappedError {
  return new FileSwappedError(`${path} ${what} between check and open`);
}
