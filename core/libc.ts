/**
 * The few libc calls DTail needs (x86_64 glibc): user and group lookups, ACLs, and a
 * non-blocking open. `libc()` is null when FFI is not permitted or libc cannot be loaded;
 * callers then fall back to files or subprocesses.
 */

/** What opening a file needs: bound alone, as each symbol costs start-up time (~0.3 ms). */
const FILE_SYMBOLS = {
  // open(2) is variadic; the mode argument is passed explicitly so the call is well defined.
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

const SYMBOLS = {
  ...FILE_SYMBOLS,
  getpwnam_r: { parameters: ["buffer", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  getpwuid_r: { parameters: ["u32", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  getgrgid_r: { parameters: ["u32", "buffer", "buffer", "usize", "buffer"], result: "i32" },
  getgrouplist: { parameters: ["buffer", "u32", "buffer", "buffer"], result: "i32" },
  getxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
} as const;

export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
export type FileLibc = Deno.DynamicLibrary<typeof FILE_SYMBOLS>["symbols"];

export const ENOENT = 2;
export const ERANGE = 34;
export const ELOOP = 40;
export const ENODATA = 61;
export const ENOTSUP = 95;

let lib: Libc | null | undefined;
let fileLib: FileLibc | null | undefined;

export function libc(): Libc | null {
  if (lib === undefined) lib = bind(SYMBOLS);
  return lib;
}

/** The calls of `FILE_SYMBOLS` only (a process that only reads files binds no more). */
export function fileLibc(): FileLibc | null {
  if (fileLib === undefined) fileLib = lib ?? bind(FILE_SYMBOLS);
  return fileLib;
}

function bind<S extends Deno.ForeignLibraryInterface>(symbols: S) {
  try {
    return Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", symbols).symbols : null;
  } catch {
    return null;
  }
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
