/**
 * Serverless mode: the core pipeline wired straight to stdout, for cat, grep and tail.
 */
import { expandGlob, globLimitNotice, hasGlobMeta, sourceId } from "../core/glob.ts";
import { openRegular } from "../core/open_file.ts";
import { filterChunks, type FilterOptions, SourceFilter } from "../core/pipeline.ts";
import { type FrameOptions, SelectionPrinter } from "../core/frame.ts";
import type { BufferedOutput } from "../core/output.ts";
import { fileChunks, SourceError, STDIN_ID, stdinChunks } from "../core/source.ts";
import { CorruptInputError } from "../core/compression.ts";
import { followGlob } from "../core/follow_glob.ts";
import { DirectoryWatchers } from "../core/waker.ts";
import type { Selection } from "../core/select.ts";

/** This thread serves only this run: irregexp matchers match here (FilterOptions.offload). */
const SERVES_NOBODY = "re2js" as const;

export type ReadMode = "cat" | "grep" | "tail";

export interface ReadJob {
  readonly mode: ReadMode;
  /** Files or globs; "-" is standard input. */
  readonly targets: readonly string[];
  readonly filter: Omit<FilterOptions, "onLongLine" | "flushPartial">;
  readonly frame: FrameOptions;
  readonly maxGlobTargets: number;
  /** Directories one glob may list (Server.MaxGlobDirs). */
  readonly maxGlobDirs: number;
}

export interface RunIO {
  readonly out: BufferedOutput;
  /** One diagnostic line for the user (stderr). */
  readonly warn: (message: string) => void;
  /** Aborts a follow (timeout, shutdownAfter, signals). */
  readonly signal: AbortSignal;
}

/** Outcome counts that decide the exit status (Fix 4). */
export interface RunResult {
  ok: number;
  failed: number;
}

export function exitCodeOf(result: RunResult): number {
  if (result.failed === 0) return 0;
  return result.ok === 0 ? 1 : 3;
}

/** Where selected lines go: a printer to stdout, or the map stage of a query. */
export interface SelectionSink {
  print(sel: Selection, sourceId: string): void;
  /** May take a whole file over (dmap maps big files on two cores); true when it did. */
  wholeFile?(path: string, sourceId: string, signal: AbortSignal): Promise<boolean>;
}

export async function runServerless(
  job: ReadJob,
  io: RunIO,
  sink: SelectionSink = new SelectionPrinter(io.out, job.frame),
): Promise<RunResult> {
  return job.mode === "tail" ? await runFollow(job, io, sink) : await runWhole(job, io, sink);
}

/**
 * The files of one target with their source ids: stdin, a path, or a glob (lexical order, at
 * most `maxTargets` files, at most `maxDirs` directories listed). Says why when there are none.
 */
export async function filesOf(
  target: string,
  bounds: { maxTargets: number; maxDirs: number; signal?: AbortSignal },
  warn: (message: string) => void,
): Promise<{ path: string; id: string }[]> {
  if (target === STDIN_ID) return [{ path: STDIN_ID, id: STDIN_ID }];
  const found = await expandGlob(target, bounds);
  const files = found.paths.map((path) => ({ path, id: sourceId(target, path) }));
  if (found.limit !== null) warn(globLimitNotice(target, found.limit, bounds));
  else if (files.length === 0) {
    warn(`${target}: ${hasGlobMeta(target) ? "no file matches" : "no such file or directory"}`);
  }
  return files;
}

/** cat and grep: every file once, in the order given, globs in lexical order. */
async function runWhole(job: ReadJob, io: RunIO, printer: SelectionSink): Promise<RunResult> {
  const result: RunResult = { ok: 0, failed: 0 };
  for (const target of job.targets) {
    if (io.signal.aborted) break;
    const files = await filesOf(target, {
      maxTargets: job.maxGlobTargets,
      maxDirs: job.maxGlobDirs,
      signal: io.signal,
    }, io.warn);
    if (files.length === 0) {
      result.failed++;
      continue;
    }
    for (const { path, id } of files) {
      if (io.signal.aborted) break;
      const long = () => io.warn(`${path}: long log line, splitting into multiple lines`);
      let selected = false;
      try {
        if (path !== STDIN_ID && await printer.wholeFile?.(path, id, io.signal)) {
          result.ok++;
          continue;
        }
        const chunks = path === STDIN_ID ? stdinChunks() : fileChunks(path);
        // filterChunks returns to the event loop now and then, where signal listeners run, and
        // stops after whole lines once Ctrl-C or SIGTERM aborted the signal.
        const filter = {
          ...job.filter,
          onLongLine: long,
          signal: io.signal,
          offload: SERVES_NOBODY,
        };
        for await (const sel of filterChunks(chunks, filter)) {
          selected ||= sel.regions.length > 0;
          printer.print(sel, id);
        }
        result.ok++;
      } catch (err) {
        if (!(err instanceof SourceError || err instanceof CorruptInputError)) throw err;
        io.out.flush();
        io.warn(err.message);
        result.failed++;
        // A damaged compressed file whose whole lines before the damage were printed was read
        // in part: the run is partial (exit 3), also when it is the only file.
        if (err instanceof CorruptInputError && selected) result.ok++;
      }
    }
  }
  io.out.flush();
  return result;
}

/** tail: follow every target until the signal aborts; output is flushed after every batch. */
async function runFollow(job: ReadJob, io: RunIO, printer: SelectionSink): Promise<RunResult> {
  const result: RunResult = { ok: 0, failed: 0 };
  const watchers = new DirectoryWatchers(io.signal);
  const followed = new Set<string>();
  await Promise.all(job.targets.map(async (target) => {
    if (target === STDIN_ID) {
      await followStdin(job, io, printer);
      result.ok++;
      return;
    }
    await followGlob(target, {
      signal: io.signal,
      open: openRegular,
      onRefused: (path, err) => io.warn(err instanceof Error ? err.message : `${path}: ${err}`),
      watchers,
      maxTargets: job.maxGlobTargets,
      maxDirs: job.maxGlobDirs,
      onNotice: io.warn,
    }, async (file) => {
      const long = () => io.warn(`${file.path}: long log line, splitting into multiple lines`);
      const options = { ...job.filter, onLongLine: long, offload: SERVES_NOBODY };
      const source = new SourceFilter(options); // one selection state across incarnations
      try {
        for await (const incarnation of file.incarnations) {
          followed.add(file.path);
          for await (const sel of filterChunks(incarnation, options, source)) {
            printer.print(sel, file.sourceId);
            io.out.flush();
          }
          if (source.done) return; // --max reached for this file
        }
      } catch (err) {
        if (!(err instanceof SourceError)) throw err;
        io.out.flush();
        io.warn(err.message); // this file ends; the others are still followed
        result.failed++;
      }
    });
  }));
  io.out.flush();
  result.ok += followed.size;
  if (result.ok === 0) {
    io.warn("no file could be followed");
    result.failed++;
  }
  return result;
}

async function followStdin(job: ReadJob, io: RunIO, printer: SelectionSink): Promise<void> {
  const chunks = stdinChunks();
  const selections = filterChunks(chunks, { ...job.filter, max: 0, offload: SERVES_NOBODY });
  const stop = new Promise<void>((resolve) =>
    io.signal.addEventListener("abort", () => resolve(), { once: true })
  );
  for (;;) {
    const next = await Promise.race([selections.next(), stop.then(() => null)]);
    if (next === null || next.done) break;
    printer.print(next.value, STDIN_ID);
    io.out.flush();
  }
}
