/**
 * The few libc calls DTail needs (x86_64 glibc): user and group lookups, ACLs, and a
 * non-blocking open. `libc()` is null when FFI is not permitted or libc cannot be loaded;
 * callers then fall back to files or subprocesses.
 */

/**
 * What reading a file needs, and growing the pipe it is printed into: bound alone, in one call, as
 * each `Deno.dlopen` costs start-up time (~0.3 ms, and ~0.1 ms a symbol).
 */
const FILE_SYMBOLS = {
  // open(2) is variadic; the mode argument is passed explicitly so the call is well defined.
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
  sendfile: { parameters: ["i32", "i32", "buffer", "usize"], result: "isize" },
  __errno_location: { parameters: [], result: "pointer" },
  // fstat(2) as in STAT_SYMBOLS; null where libc has none (see fstatLibc).
  fstat: { parameters: ["i32", "buffer"], result: "i32", optional: true },
  // fcntl(2) is variadic: the int argument of the commands used is passed explicitly.
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
} as const;

const SYMBOLS = {
  ...FILE_SYMBOLS,
  getpwnam_r: { parameters: ["buffer", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  getpwuid_r: { parameters: ["u32", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  getgrgid_r: { parameters: ["u32", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  getgrouplist: { parameters: ["buffer", "u32", "buffer", "buffer"], result: "i32" },
  getxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  dup2: { parameters: ["i32", "i32"], result: "i32" },
} as const;

/**
 * fstat(2), stat(2) and lstat(2), which glibc exports only since 2.33 (before, `__fxstat`): bound on their
 * own, so that an older libc still has the calls above. Their structs are read with x86_64's
 * layout (`statLibc` is null on another architecture).
 */
const STAT_SYMBOLS = {
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  stat: { parameters: ["buffer", "buffer"], result: "i32" },
  lstat: { parameters: ["buffer", "buffer"], result: "i32" },
} as const;

/** getdents64(2), which glibc exports since 2.30: a directory's entries, many per call. */
const DIR_SYMBOLS = {
  getdents64: { parameters: ["i32", "buffer", "usize"], result: "isize" },
} as const;

export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
export type FileLibc = Deno.DynamicLibrary<typeof FILE_SYMBOLS>["symbols"];
export type StatLibc = Deno.DynamicLibrary<typeof STAT_SYMBOLS>["symbols"];
/** fstat(2), from the file calls or with stat(2) and lstat(2). */
export type FstatLibc = Pick<StatLibc, "fstat">;
export type DirLibc = Deno.DynamicLibrary<typeof DIR_SYMBOLS>["symbols"];

export const ENOENT = 2;
export const EINTR = 4;
export const EAGAIN = 11;
export const EPIPE = 32;
export const ERANGE = 34;
export const ELOOP = 40;
export const ENODATA = 61;
export const ENOTSUP = 95;
export const EINPROGRESS = 115;

let lib: Libc | null | undefined;
let fileLib: FileLibc | null | undefined;
let statLib: StatLibc | null | undefined;
let fstatLib: FstatLibc | null | undefined;
let dirLib: DirLibc | null | undefined;

export function libc(): Libc | null {
  if (lib === undefined) lib = bind(SYMBOLS);
  return lib;
}

/** The calls of `FILE_SYMBOLS` only (a process that only reads files binds no more). */
export function fileLibc(): FileLibc | null {
  if (fileLib === undefined) fileLib = lib ?? bind(FILE_SYMBOLS);
  return fileLib;
}

/**
 * fstat of the file calls (x86_64 only, as for statLibc), or null: a reader of files binds no
 * more than `fileLibc`'s symbols.
 */
export function fstatLibc(): FstatLibc | null {
  if (fstatLib === undefined) {
    const fstat = Deno.build.arch === "x86_64" ? fileLibc()?.fstat ?? null : null;
    fstatLib = fstat === null ? null : { fstat };
  }
  return fstatLib;
}

/** fstat, stat and lstat (x86_64 only), or null. */
export function statLibc(): StatLibc | null {
  if (statLib === undefined) statLib = Deno.build.arch === "x86_64" ? bind(STAT_SYMBOLS) : null;
  return statLib;
}

/** getdents64 (x86_64 only: its struct is read with that layout), or null. */
export function dirLibc(): DirLibc | null {
  if (dirLib === undefined) dirLib = Deno.build.arch === "x86_64" ? bind(DIR_SYMBOLS) : null;
  return dirLib;
}

/** What `fstat` tells of a file, as plain numbers (no `FileInfo` with its four `Date`s). */
export interface FdStat {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly size: number;
}

/** `struct stat` of x86_64 glibc: 144 bytes; one buffer, used within one call. */
const statBuf = new Uint8Array(144);
const statView = new DataView(statBuf.buffer);

/** fstat(2) of a file descriptor; null when it fails (errno tells why). */
export function fstatOf(c: FstatLibc, fd: number): FdStat | null {
  if (c.fstat(fd, statBuf) !== 0) return null;
  return {
    dev: u64(0),
    ino: u64(8),
    mode: statView.getUint32(24, true),
    size: u64(48),
  };
}

/**
 * The 64-bit field of statBuf at `offset` as a number, without a BigInt (a thousand followed files
 * are `stat`ed at every look): exact below 2^53, as Number(BigInt) is, for sizes, times and inodes.
 */
function u64(offset: number): number {
  return statView.getUint32(offset + 4, true) * 2 ** 32 + statView.getUint32(offset, true);
}

/** What the access checks need of a path's `stat`, with the fields of Deno's `FileInfo`. */
export interface PathStat {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  /** The ctime as "seconds.nanoseconds". */
  readonly ctime: string;
}

/** stat(2) (`follow` true) or lstat(2) of a path; null when it fails (errno tells why). */
export function statPath(c: StatLibc, path: string, follow: boolean): PathStat | null {
  if (path.includes("\0")) return null; // cut short at it, it would name another file
  const name = cPath(path);
  if ((follow ? c.stat(name, statBuf) : c.lstat(name, statBuf)) !== 0) return null;
  const mode = statView.getUint32(24, true);
  const type = mode & 0o170000;
  return {
    dev: u64(0),
    ino: u64(8),
    mode,
    uid: statView.getUint32(28, true),
    gid: statView.getUint32(32, true),
    size: u64(48),
    isFile: type === 0o100000,
    isDirectory: type === 0o040000,
    isSymlink: type === 0o120000,
    ctime: `${u64(104)}.${u64(112)}`,
  };
}

const encoder = new TextEncoder();
/** A NUL-terminated path, used within one call. */
const pathBuf = new Uint8Array(4096);

/**
 * `path` as a C string in a buffer shared by all callers, valid until the next call; a longer one
 * gets its own. A path with a NUL byte is cut there (callers refuse those first).
 */
export function cPath(path: string): Uint8Array<ArrayBuffer> {
  if (path.length * 3 >= pathBuf.length) return cString(path);
  const { written } = encoder.encodeInto(path, pathBuf);
  pathBuf[written] = 0;
  return pathBuf;
}

function bind<S extends Deno.ForeignLibraryInterface>(symbols: S) {
  try {
    return Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", symbols).symbols : null;
  } catch {
    return null;
  }
}

const ERRNO_TEXT: Record<number, string> = {
  1: "operation not permitted",
  5: "input/output error",
  13: "permission denied",
  20: "not a directory",
  21: "is a directory",
  23: "too many open files in the system",
  24: "too many open files",
  36: "file name too long",
  40: "too many levels of symbolic links",
};

/** What errno `code` means, for a message: its words, or "`call` failed (errno N)". */
export function errnoText(code: number, call: string): string {
  return ERRNO_TEXT[code] ?? `${call} failed (errno ${code})`;
}

/** errno of the last failed call; valid right after it, on the same thread. */
export function errno(c: FileLibc): number {
  const p = c.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text + "\0");
}

/** The NUL-terminated string a pointer-sized field of `struct` points to. */
export function readCStringField(struct: Uint8Array, offset: number): string {
  const address = new DataView(struct.buffer, struct.byteOffset).getBigUint64(offset, true);
  const p = Deno.UnsafePointer.create(address);
  return p === null ? "" : new Deno.UnsafePointerView(p).getCString();
}
