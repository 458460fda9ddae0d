/**
 * Bytes read as Latin-1: one character (U+0000–U+00FF) per byte, a one-byte string in V8, which
 * an asciiOnly matcher (matcher_types.ts) searches as fast as ASCII text whatever the bytes.
 *
 * `node:buffer` makes one (`toString("latin1")`) at ~0.1 ns a byte, but loading it costs 9–17 ms,
 * more than decoding a few MB as UTF-8 does. So batches are decoded as UTF-8 as before until
 * LOAD_AFTER_BYTES went that way that the Latin-1 reading could have served, or would with the
 * bytes of the source still to come (a file's size); then the pipeline loads the module
 * (`latin1LoadDue`, `loadLatin1Slicer`) and later batches are read as Latin-1 (`latin1Ready`). Without it (the load failed), `latin1Of` goes through base64 (`atob`, ~1 ns
 * a byte; `TextDecoder("latin1")` is windows-1252, whose 0x80–0x9F make a two-byte string).
 */

type Latin1Slicer = (bytes: Uint8Array) => string;

/**
 * Decoding text that is not ASCII as UTF-8 and searching that costs a `dgrep` ~3 ms per MB more
 * than the Latin-1 reading does (docs/performance.md): 8 MiB, about two loads.
 */
const LOAD_AFTER_BYTES = 8 << 20;

let slicer: Latin1Slicer | null = null;
let wanted = 0;
let loading = false;

export function latin1Of(bytes: Uint8Array): string {
  return slicer !== null ? slicer(bytes) : atob(bytes.toBase64());
}

/** Whether batches are read as Latin-1 now (see above). */
export function latin1Ready(): boolean {
  return slicer !== null;
}

/** Notes bytes decoded as UTF-8 where the Latin-1 reading would have served, had it been ready. */
export function noteLatin1Wanted(bytes: number): void {
  wanted += bytes;
}

/**
 * Whether the pipeline should load the Latin-1 reading now (await `loadLatin1Slicer`): some batch
 * wanted it, and `ahead` (bytes the source has still to come, as far as known) will too.
 */
export function latin1LoadDue(ahead = 0): boolean {
  return slicer === null && !loading && wanted > 0 && wanted + ahead >= LOAD_AFTER_BYTES;
}

/** Loads `node:buffer` for latin1Of; once only (a failed load leaves batches to UTF-8). */
export async function loadLatin1Slicer(): Promise<void> {
  if (loading) return;
  loading = true;
  try {
    const { Buffer } = await import("node:buffer");
    slicer = (bytes) =>
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  } catch {
    // UTF-8 goes on serving
  }
}
