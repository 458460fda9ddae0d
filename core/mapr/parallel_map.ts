/**
 * dmap over a big plain file on two cores. This thread maps the first PROBE_BYTES, timing the
 * second half of them; when the rest would take long enough to pay for a worker (its start and its
 * own JIT warm-up cost ~0.15 s of CPU), a worker maps the back half of the rest while this thread
 * maps the front half, and the worker's groups are merged after ours — in file order, so `last`
 * keeps the value of the last line. Compressed files, CSV (a header per source), small files, and
 * every file on a single core are mapped in one piece by the caller (docs/performance.md,
 * MapReduce).
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

/** Smaller files are mapped by the caller: the rest after a probe could never pay for a worker. */
export const PARALLEL_MAP_MIN_BYTES = 32 * 1024 * 1024;
/** What this thread maps before it decides whether a worker pays (the second half timed). */
const PROBE_BYTES = 16 * 1024 * 1024;
/**
 * A worker pays when the rest would take longer than this on one thread: 100 MB of 50 groups
 * (~0.25 s) maps as fast on one core as on two, 400 MB 20% faster on two, and a million groups in
 * 80 MB (~2 s) 35% faster (docs/performance.md, MapReduce).
 */
const SPLIT_MIN_MS = 400;
const SPLIT_SEARCH_BYTES = 256 * 1024;

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
  /** Smallest file taken over; default PARALLEL_MAP_MIN_BYTES. */
  readonly minBytes?: number;
  /** Bytes mapped before deciding, default PROBE_BYTES; 0 splits at once (tests). */
  readonly probeBytes?: number;
}

/**
 * Maps the whole opened file, on two cores when that pays; returns false (having read nothing)
 * when the file is not one to take over, and the caller reads it as usual.
 */
export async function mapFileInHalves(
  opened: OpenedFile,
  sourceId: string,
  mapper: Mapper,
  options: HalvesOptions,
): Promise<boolean> {
  if (typeof Worker !== "function" || !mapper.splittable || cores() < 2) return false;
  const { file } = opened;
  const info = file.statSync();
  if (!info.isFile || info.size < (options.minBytes ?? PARALLEL_MAP_MIN_BYTES)) return false;
  if (compressed(file, opened.pin.path)) return false;
  const size = info.size;
  const probeBytes = Math.min(options.probeBytes ?? PROBE_BYTES, size);
  const warm = lineStartAfter(file, Math.floor(probeBytes / 2));
  const probe = lineStartAfter(file, probeBytes);
  if (warm === null || probe === null) return false;
  // The first half of the probe warms the JIT up (it maps at half speed or less); the second
  // half is timed.
  await mapRange(file, 0, warm, sourceId, mapper, options);
  const started = performance.now();
  await mapRange(file, warm, probe, sourceId, mapper, options);
  if (options.signal?.aborted) return true;
  const rest = size - probe;
  const restMs = probe === warm ? Infinity : (performance.now() - started) / (probe - warm) * rest;
  const split = restMs < SPLIT_MIN_MS ? null : lineStartAfter(file, probe + Math.floor(rest / 2));
  if (split === null || split >= size) {
    await mapRange(file, probe, size, sourceId, mapper, options);
    return true;
  }
  await mapWithWorker(opened, sourceId, mapper, options, { start: probe, split, end: size });
  return true;
}

/** Maps [start, split) here and [split, end) on a worker, whose groups are merged after ours. */
async function mapWithWorker(
  opened: OpenedFile,
  sourceId: string,
  mapper: Mapper,
  options: HalvesOptions,
  at: { start: number; split: number; end: number },
): Promise<void> {
  const { file, pin } = opened;
  const path = pin.path;
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
      start: at.split,
      end: at.end,
      maxLineLength: options.maxLineLength,
      sourceId,
      regex: options.regex ?? null,
    };
    worker.postMessage(range);
    await mapRange(file, at.start, at.split, sourceId, mapper, options);
    if (options.signal?.aborted) return;
    const done = await reply;
    if (!done.ok) {
      throw new SourceError(
        done.message.startsWith(path) ? done.message : `${path}: ${done.message}`,
      );
    }
    mapper.absorb(done.columns, done.malformed);
  } finally {
    worker.terminate();
  }
}

/** Maps the lines of `file[start, end)` here, letting timers and aborts run between batches. */
async function mapRange(
  file: Deno.FsFile,
  start: number,
  end: number,
  sourceId: string,
  mapper: Mapper,
  options: HalvesOptions,
): Promise<void> {
  file.seekSync(start, Deno.SeekMode.Start);
  const filter = {
    ...mapFilter(mapper.query, options.maxLineLength, options.regex ?? null),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  let batches = 0;
  await selectInto(readFileChunks(file, { limit: end - start }), filter, {
    selection: (sel, id) => mapper.selection(sel, id),
    // Let timers (interval flushes) and aborts run between batches.
    batchDone: () =>
      ++batches % 16 === 0 ? new Promise((resolve) => setTimeout(resolve, 0)) : undefined,
  }, sourceId);
}

/** Whether the open file is compressed, from its first bytes and name. */
function compressed(file: Deno.FsFile, path: string): boolean {
  const head = new Uint8Array(4);
  file.seekSync(0, Deno.SeekMode.Start);
  const n = file.readSync(head) ?? 0;
  return detectCompression(path, head.subarray(0, n)) !== "none";
}

/**
 * The start of the first line at or after `at` (0 at 0, `size` at the end of the file); null
 * when no line starts within SPLIT_SEARCH_BYTES.
 */
function lineStartAfter(file: Deno.FsFile, at: number): number | null {
  if (at === 0) return 0;
  const window = new Uint8Array(SPLIT_SEARCH_BYTES);
  file.seekSync(at - 1, Deno.SeekMode.Start);
  const got = file.readSync(window) ?? 0;
  if (got === 0) return at;
  const newline = window.subarray(0, got).indexOf(10);
  return newline < 0 ? null : at + newline;
}

function cores(): number {
  return navigator.hardwareConcurrency ?? 1;
}
