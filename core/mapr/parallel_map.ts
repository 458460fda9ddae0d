/**
 * dmap over a big plain file on two cores when that pays. The file is cut into pieces at line
 * starts (piece_claims.ts). This thread maps pieces from the front; once it has mapped
 * PROBE_BYTES it estimates the rest from the CPU time of the last quarter of them (the rest
 * warms the JIT up), and when the rest would take over SPLIT_MIN_MS it starts a worker that maps
 * pieces from the back. Each side claims the next piece when done with one, so neither waits for
 * the other for more than a piece, however slow the worker's start or busy the machine. The
 * worker's groups are merged after ours, theirs in file order too, so `last` keeps the value of
 * the last line. Compressed files, CSV (a header per source), small files, and every file on a
 * single core are mapped in one piece by the caller (docs/performance.md, MapReduce).
 */
import { readFileChunks } from "../chunks.ts";
import { detectCompression } from "../compression.ts";
import { loopTurn } from "../turns.ts";
import { selectInto } from "../pipeline.ts";
import type { InputFile, OpenedFile } from "../open_file.ts";
import { SourceError } from "../source_error.ts";
import { type GroupColumns, MAX_HELD_CHARS } from "./aggregate.ts";
import type { Mapper } from "./mapper.ts";
import type { SkippedCounts } from "./skipped_values.ts";
import { type LineRegex, mapFilter, type MapRange } from "./map_filter.ts";
import { lineStartAt, PieceClaims } from "./piece_claims.ts";

export { type LineRegex, mapFilter, type MapRange } from "./map_filter.ts";

/** Smaller files are mapped by the caller: the rest after a probe could never pay for a worker. */
export const PARALLEL_MAP_MIN_BYTES = 32 * 1024 * 1024;
/** The size of a piece: a thread waits for the other's last piece at most (~10–20 ms). */
const PIECE_BYTES = 4 * 1024 * 1024;
/** What this thread maps before it decides whether a worker pays (the last quarter timed). */
const PROBE_BYTES = 16 * 1024 * 1024;
/**
 * A worker pays when the rest would take longer than this on one thread, in CPU time (see
 * threadClock): a worker costs ~0.2 s of CPU (its creation blocks this thread ~50 ms; it loads its
 * modules and warms its own JIT up), so 100 MB of 50 groups (~0.25 s) maps faster on one core,
 * while 400 MB or a million groups in 80 MB (~2 s) map faster on two (docs/performance.md,
 * MapReduce).
 */
const SPLIT_MIN_MS = 500;

type WorkerReply =
  | { ok: true; columns: GroupColumns; malformed: number; skipped: SkippedCounts; pieces: number }
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
  /** The size of a piece; default PIECE_BYTES (tests). */
  readonly pieceBytes?: number;
  /** Bytes mapped before deciding, default PROBE_BYTES; 0: a worker at once (tests). */
  readonly probeBytes?: number;
  /** This thread claims nothing more once it started the worker until it is done (tests). */
  readonly workerFirst?: boolean;
  /** Gets how many pieces each side mapped. */
  readonly onPieces?: (here: number, worker: number) => void;
  /**
   * The most groups either thread holds (a dserver, whose groups go to a client): this thread
   * calls `onManyGroups` between batches once it has that many or MAX_HELD_CHARS of keys and
   * strings (it sends them), and the worker stops claiming pieces then (this thread maps the rest).
   */
  readonly maxGroups?: number;
  readonly onManyGroups?: () => void | Promise<void>;
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
  if (info.size < (options.minBytes ?? PARALLEL_MAP_MIN_BYTES)) return false;
  if (compressed(file, opened.pin.path)) return false;
  await mapInPieces(opened, sourceId, mapper, options, info.size);
  return true;
}

/** A worker mapping pieces from the back, and its reply. */
interface Helper {
  readonly worker: Worker;
  readonly reply: Promise<WorkerReply>;
}

/** Maps pieces from the front here, and from the back on a worker once it pays. */
async function mapInPieces(
  opened: OpenedFile,
  sourceId: string,
  mapper: Mapper,
  options: HalvesOptions,
  size: number,
): Promise<void> {
  const { file, pin } = opened;
  const claims = PieceClaims.create(size, options.pieceBytes ?? PIECE_BYTES);
  const filter = {
    ...await mapFilter(mapper.query, options.maxLineLength, options.regex ?? null),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  const probe = Math.min(options.probeBytes ?? PROBE_BYTES, size);
  let helper: Helper | null = null;
  let here = 0;
  let timedFrom = -1;
  let timedBytes = 0;
  let oneThread = false;
  const clock = threadClock();
  try {
    for (let piece = claims.front(); piece >= 0; piece = claims.front()) {
      const start = lineStartAt(file, piece * claims.pieceBytes, size);
      const end = lineStartAt(file, (piece + 1) * claims.pieceBytes, size);
      const began = clock();
      await mapRange(file, start, end, sourceId, mapper, filter, options);
      here++;
      if (options.signal?.aborted) {
        claims.closeAll();
        return;
      }
      if (helper !== null || oneThread) continue;
      if (probe > 0) {
        // The last quarter of the probe is timed; then the rest is estimated, once.
        if (end <= probe * 0.75) continue;
        if (timedFrom < 0) timedFrom = began;
        timedBytes += end - start;
        if (end < probe) continue;
        const restMs = (clock() - timedFrom) / Math.max(1, timedBytes) * (size - end);
        oneThread = restMs < SPLIT_MIN_MS;
        if (oneThread) continue;
      }
      if (end >= size) continue;
      helper = startWorker(mapper, options, pin, claims, sourceId, size);
      if (options.workerFirst) await helper.reply;
    }
    if (helper === null || claims.backClaimed === 0) {
      // The worker claimed nothing (it was not ready in time) and can claim nothing more.
      options.onPieces?.(here, 0);
      return;
    }
    const done = await helper.reply;
    // Its heap goes before its groups are merged here (a million groups: ~100 MB less at peak).
    helper.worker.terminate();
    if (!done.ok) {
      const path = pin.path;
      throw new SourceError(
        done.message.startsWith(path) ? done.message : `${path}: ${done.message}`,
      );
    }
    mapper.absorb(done.columns, done.malformed, done.skipped);
    options.onPieces?.(here, done.pieces);
  } finally {
    helper?.worker.terminate();
  }
}

/** Starts a worker claiming pieces from the back. */
function startWorker(
  mapper: Mapper,
  options: HalvesOptions,
  pin: OpenedFile["pin"],
  claims: PieceClaims,
  sourceId: string,
  size: number,
): Helper {
  const worker = new Worker(new URL("./map_worker.ts", import.meta.url).href, { type: "module" });
  const reply = new Promise<WorkerReply>((resolve) => {
    worker.onmessage = (e: MessageEvent<WorkerReply>) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      resolve({ ok: false, message: e.message });
    };
  });
  const range: MapRange = {
    query: mapper.query.raw,
    serverLogFormat: options.serverLogFormat,
    hostname: options.hostname,
    pin,
    claims: claims.buffer,
    size,
    pieceBytes: claims.pieceBytes,
    maxLineLength: options.maxLineLength,
    sourceId,
    regex: options.regex ?? null,
    maxGroups: options.maxGroups ?? null,
  };
  worker.postMessage(range);
  return { worker, reply };
}

/** Maps the lines of `file[start, end)` here, letting timers and aborts run between batches. */
async function mapRange(
  file: InputFile,
  start: number,
  end: number,
  sourceId: string,
  mapper: Mapper,
  filter: Awaited<ReturnType<typeof mapFilter>>,
  options: HalvesOptions,
): Promise<void> {
  if (end <= start) return;
  file.seekSync(start, Deno.SeekMode.Start);
  let batches = 0;
  const { maxGroups, onManyGroups } = options;
  await selectInto(readFileChunks(file, { limit: end - start }), filter, {
    selection: (sel, id) => mapper.selection(sel, id),
    batchDone: () => {
      const groups = mapper.groups;
      if (maxGroups !== undefined && (groups.size >= maxGroups || groups.chars >= MAX_HELD_CHARS)) {
        return onManyGroups?.();
      }
      // Let timers (interval flushes) and aborts run between batches.
      return ++batches % 16 === 0 ? loopTurn().then(() => {}) : undefined;
    },
  }, sourceId);
}

/** Whether the open file is compressed, from its first bytes and name. */
function compressed(file: InputFile, path: string): boolean {
  const head = new Uint8Array(4);
  file.seekSync(0, Deno.SeekMode.Start);
  const n = file.readSync(head) ?? 0;
  return detectCompression(path, head.subarray(0, n)) !== "none";
}

const SCHEDSTAT = "/proc/thread-self/schedstat";

/**
 * Milliseconds of this thread's CPU time (Linux: its run time in /proc), else of the wall clock:
 * on a busy machine the wall clock would make the probe look slow and start a worker that costs
 * more than it saves (docs/performance.md, MapReduce).
 */
function threadClock(): () => number {
  const cpu = () => Number(Deno.readTextFileSync(SCHEDSTAT).split(" ", 1)[0]) / 1e6;
  try {
    return Number.isFinite(cpu()) ? cpu : () => performance.now();
  } catch {
    return () => performance.now();
  }
}

function cores(): number {
  return navigator.hardwareConcurrency ?? 1;
}
