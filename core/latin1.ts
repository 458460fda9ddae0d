/**
 * Bytes read as Latin-1: one character (U+0000–U+00FF) per byte, a one-byte string in V8, which
 * an asciiOnly matcher (matcher_types.ts) searches as fast as ASCII text whatever the bytes.
 *
 * `node:buffer` makes one (`toString("latin1")`) at ~0.1 ns a byte, but loading it costs ~13 ms of
 * start-up; through base64 (`atob`, native both ways, no import) costs ~1 ns a byte on 64 KB
 * pieces (`TextDecoder("latin1")` is windows-1252, whose 0x80–0x9F make a two-byte string, also
 * at ~1 ns a byte). So base64 serves first, and once LOAD_AFTER_BYTES went through it the module
 * is loaded in the background (a dserver has it loaded already: ssh2 uses it).
 */

type Latin1Slicer = (bytes: Uint8Array) => string;

/** Bytes read through base64 before `node:buffer` is asked for: ~4 ms of base64, 1/3 of a load. */
const LOAD_AFTER_BYTES = 4 << 20;

let slicer: Latin1Slicer | null = null;
let viaBase64 = 0;
let loading = false;

export function latin1Of(bytes: Uint8Array): string {
  if (slicer !== null) return slicer(bytes);
  viaBase64 += bytes.length;
  if (viaBase64 >= LOAD_AFTER_BYTES && !loading) void loadLatin1Slicer();
  return atob(bytes.toBase64());
}

/** Loads `node:buffer` for latin1Of (it serves through base64 until then, and if that fails). */
export async function loadLatin1Slicer(): Promise<void> {
  if (loading) return;
  loading = true;
  try {
    const { Buffer } = await import("node:buffer");
    slicer = (bytes) =>
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  } catch {
    // base64 goes on serving
  }
}

/** Whether latin1Of has `node:buffer` (for tests). */
export function latin1SlicerLoaded(): boolean {
  return slicer !== null;
}
