/**
 * What the FFI decoders (libzstd.ts, libz.ts) share: binding a system library only where FFI is
 * permitted, and the address of a buffer they hand to it.
 */

/**
 * `name`'s symbols, or null on another system, without FFI permission (asked first: dlopen would
 * prompt on a terminal) or without the library.
 */
export function bindLibrary<S extends Deno.ForeignLibraryInterface>(
  name: string,
  symbols: S,
): Deno.DynamicLibrary<S>["symbols"] | null {
  try {
    if (
      Deno.build.os !== "linux" || Deno.permissions.querySync({ name: "ffi" }).state !== "granted"
    ) {
      return null;
    }
    return Deno.dlopen(name, symbols).symbols;
  } catch {
    return null;
  }
}

/** Views of buffers smaller than this are copied to a buffer of the caller's first (see address). */
export const PIN_MIN = 4096;

/**
 * The address of a view's first byte, for a library that keeps it across calls. Only for views of
 * large buffers: V8 may keep a small typed array inside its heap, where the garbage collector
 * moves it.
 */
export function address(view: Uint8Array, library: string): bigint {
  if (view.buffer.byteLength < PIN_MIN) throw new Error(`${library}: buffer too small to pin`);
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view)));
}
