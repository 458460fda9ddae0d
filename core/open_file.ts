/**
 * The only place DTail opens a file for reading its content. A file is opened non-blocking
 * (a FIFO or a device swapped in can never hang the process), checked to be a regular file, and
 * pinned to its inode: workers that open the same file again (parallel decompression and map)
 * get exactly the inode that was opened first, or an error.
 *
 * Who may open what is decided by the caller's `FileOpener`: serverless mode opens as the user
 * running it (`openRegular`); dserver checks the SSH user's rights first (server/access/safe_open.ts).
 */
import { ENOENT, errno, fileLibc } from "./libc.ts";
import { reason, SourceError } from "./source_error.ts";

/** The inode a path was found to lead to when it was opened (for a second open elsewhere). */
export interface PinnedFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Refuse when the last path component is a symlink (the path was resolved already). */
  readonly noFollow: boolean;
}

export interface OpenedFile {
  readonly file: Deno.FsFile;
  readonly pin: PinnedFile;
}

/** Opens a path for reading on someone's behalf; throws SourceError (or a refusal). */
export type FileOpener = (path: string) => OpenedFile;

/** The file at the path is not the one that was checked or opened before. */
export class FileSwappedError extends SourceError {
  override name = "FileSwappedError";
}

/** Opens a regular file as the running user (serverless mode), following symlinks. */
export function openRegular(path: string): OpenedFile {
  const file = openNonBlocking(path, false, null);
  return { file, pin: pinOf(path, file, false) };
}

/** Opens exactly the pinned inode again, or throws FileSwappedError. */
export function openPinned(pin: PinnedFile): Deno.FsFile {
  return openNonBlocking(pin.path, pin.noFollow, pin);
}

function pinOf(path: string, file: Deno.FsFile, noFollow: boolean): PinnedFile {
  const info = file.statSync();
  return { path, dev: info.dev, ino: info.ino ?? -1, noFollow };
}

const O_NONBLOCK = 0o4000;
const O_NOFOLLOW = 0o400000;
const O_CLOEXEC = 0o2000000;
const O_NOCTTY = 0o400;
const ELOOP = 40;

/**
 * open(2) with O_NONBLOCK through FFI, then Deno's FsFile through /proc/self/fd, which reopens
 * the same inode with normal (blocking) reads once it is known to be a regular file.
 */
function openNonBlocking(path: string, noFollow: boolean, pin: PinnedFile | null): Deno.FsFile {
  const c = fileLibc();
  if (c === null) return openByStat(path, noFollow, pin);
  const flags = O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (noFollow ? O_NOFOLLOW : 0);
  const fd = c.open(new TextEncoder().encode(path + "\0"), flags, 0);
  if (fd < 0) {
    const code = errno(c);
    if (code === ENOENT) throw new SourceError(`${path}: no such file or directory`);
    if (code === ELOOP && noFollow) throw swapped(path, "became a symlink");
    throw new SourceError(`${path}: ${errnoText(code)}`);
  }
  try {
    const proc = `/proc/self/fd/${fd}`;
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(proc);
    } catch {
      return openByStat(path, noFollow, pin); // no /proc
    }
    verify(path, info, pin);
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(proc, { read: true });
    } catch (err) {
      throw new SourceError(`${path}: ${reason(err)}`);
    }
    return verifyOpen(path, file, pin);
  } finally {
    c.close(fd);
  }
}

/** Without FFI or /proc: stat, open, stat again (a FIFO swapped in between can still block). */
function openByStat(path: string, noFollow: boolean, pin: PinnedFile | null): Deno.FsFile {
  let info: Deno.FileInfo;
  try {
    info = noFollow ? Deno.lstatSync(path) : Deno.statSync(path);
  } catch (err) {
    throw new SourceError(`${path}: ${reason(err)}`);
  }
  verify(path, info, pin);
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(path, { read: true });
  } catch (err) {
    throw new SourceError(`${path}: ${reason(err)}`);
  }
  return verifyOpen(path, file, pin);
}

function verifyOpen(path: string, file: Deno.FsFile, pin: PinnedFile | null): Deno.FsFile {
  try {
    verify(path, file.statSync(), pin);
    return file;
  } catch (err) {
    file.close();
    throw err;
  }
}

function verify(path: string, info: Deno.FileInfo, pin: PinnedFile | null): void {
  if (pin !== null) {
    if (info.isSymlink) throw swapped(path, "became a symlink");
    if (!info.isFile) throw swapped(path, "is no longer a regular file");
    if (info.dev !== pin.dev || info.ino !== pin.ino) {
      throw swapped(path, "was replaced by another file");
    }
  }
  if (!info.isFile) {
    throw new SourceError(`${path}: ${info.isDirectory ? "is a directory" : "not a regular file"}`);
  }
}

function swapped(path: string, what: string): FileSwappedError {
  return new FileSwappedError(`${path} ${what} between check and open`);
}

const ERRNO_TEXT: Record<number, string> = {
  1: "operation not permitted",
  13: "permission denied",
  20: "not a directory",
  21: "is a directory",
  40: "too many levels of symbolic links",
  36: "file name too long",
};

function errnoText(code: number): string {
  return ERRNO_TEXT[code] ?? `open failed (errno ${code})`;
}
