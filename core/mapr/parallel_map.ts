/**
 * dmap over a big plain file on two cores: a worker maps the second half of the file while this
 * thread maps the first, then the worker's groups are merged after ours — in file order, so
 * `last` keeps the value of the last line. Compressed files, CSV (a header per source) and small
 * files are mapped in one piece by the caller.
 */
import { readFileChunks } from "../chunks.ts";
import { detectCompression } from "../compression.ts";
import { selectInto } from "../pipeline.ts";
import type { OpenedFile } from "../open_file.ts";
import { SourceError } from "../source_error.ts";
import type { GroupColumns } from "./aggregate.ts";
import type { Mapper } from "./mapper.ts";
import { type LineRegex, mapFilter, type MapRange } from "./map_filter.ts";

export { type LineRegex, mapFilter, type MapRange } from "./map_filter.ts";

/** Below this a worker's start-up (~40 ms) costs more than it saves. */
export const PARALLEL_MAP_MIN_BYTES = 32 * 1024 * 1024;
const SPLIT_SEARCH_BYTES = 256 * 1024;
const HEAD_START_BYTES = 6 * 1024 * 1024;

type WorkerReply =
  | { ok: true; columns: GroupColumns; malformed: number }
  | { ok: false; message: string };

export interface HalvesOptions {
  readonly serverLogFormat: string;
  readonly hostname: string;
  readonly maxLineLength: number;
  readonly signal?: AbortSignal;
  /** The read command's line filter (dserver); default: the query's table. */
  readonly regex?: LineRegex | null;
  /** Smallest file worth splitting; default PARALLEL_MAP_MIN_BYTES. */
  readonly minBytes?: number;
}

/**
 * Maps the whole opened file in two halves when that pays; returns false (having read nothing)
 * when it does not, and the caller reads the file as usual.
 */
export async function mapFileInHalves(
  opened: OpenedFile,
  sourceId: string,
  mapper: Mapper,
  options: HalvesOptions,
): Promise<boolean> {
  if (typeof Worker !== "function" || !mapper.splittable) return false;
  const { file, pin } = opened;
  const path = pin.path;
  const info = file.statSync();
  if (!info.isFile || info.size < (options.minBytes ?? PARALLEL_MAP_MIN_BYTES)) return false;
  const split = splitPoint(file, path, info.size);
  file.seekSync(0, Deno.SeekMode.Start);
  if (split === null) return false;

  const worker = new Worker(new URL("./map_worker.ts", import.meta.url).href, { type: "module" });
  const reply = new Promise<WorkerReply>((resolve) => {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      resolve({ ok: false, message: e.message });
    };
  });
  try {
    const range: MapRange = {
      query: mapper.query.raw,
      serverLogFormat: options.serverLogFormat,
      hostname: options.hostname,
      pin,
      start: split,
      end: info.size,
      maxLineLength: options.maxLineLength,
      sourceId,
      regex: options.regex ?? null,
    };
    worker.postMessage(range);
    const chunks = readFileChunks(file, { limit: split });
    let batches = 0;
    const filter = {
      ...mapFilter(mapper.query, options.maxLineLength, range.regex),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    await selectInto(chunks, filter, {
      selection: (sel, id) => mapper.selection(sel, id),
      // Let timers (interval flushes) and aborts run between batches.
      batchDone: () =>
        ++batches % 16 === 0 ? new Promise((resolve) => setTimeout(resolve, 0)) : undefined,
    }, sourceId);
    if (options.signal?.aborted) return true;
    const done = await reply;
    if (!done.ok) {
      throw new SourceError(
        done.message.startsWith(path) ? done.message : `${path}: ${done.message}`,
      );
    }
    mapper.absorb(done.columns, done.malformed);
    return true;
  } finally {
    worker.terminate();
  }
}

/** The start of a line near the middle of a plain file; null when not splittable. */
function splitPoint(file: Deno.FsFile, path: string, size: number): number | null {
  const head = new Uint8Array(4);
  file.seekSync(0, Deno.SeekMode.Start);
  const n = file.readSync(head) ?? 0;
  if (detectCompression(path, head.subarray(0, n)) !== "none") return null;
  // The worker starts ~50 ms late (its own module loading): this thread takes a bit more.
  const middle = Math.floor(size / 2 + Math.min(size / 16, HEAD_START_BYTES));
  const window = new Uint8Array(SPLIT_SEARCH_BYTES);
  file.seekSync(middle, Deno.SeekMode.Start);
  const got = file.readSync(window) ?? 0;
  const newline = window.subarray(0, got).indexOf(10);
  return newline < 0 ? null : middle + newline + 1;
}
