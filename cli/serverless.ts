/**
 * Serverless mode: the core pipeline wired straight to stdout, for cat, grep and tail.
 */
import { expandGlob, hasGlobMeta, sourceId } from "../core/glob.ts";
import { filterChunks, type FilterOptions } from "../core/pipeline.ts";
import { type FrameOptions, SelectionPrinter } from "../core/frame.ts";
import type { BufferedOutput } from "../core/output.ts";
import { fileChunks, SourceError, STDIN_ID, stdinChunks } from "../core/source.ts";
import { CorruptInputError } from "../core/compression.ts";
import { followGlob } from "../core/follow_glob.ts";
import { DirectoryWatchers } from "../core/waker.ts";
import { splitLines } from "../core/lines.ts";
import { LineSelector, type Selection } from "../core/select.ts";

export type ReadMode = "cat" | "grep" | "tail";

export interface ReadJob {
  readonly mode: ReadMode;
  /** Files or globs; "-" is standard input. */
  readonly targets: readonly string[];
  readonly filter: Omit<FilterOptions, "onLongLine" | "flushPartial">;
  readonly frame: FrameOptions;
  readonly maxGlobTargets: number;
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
 * most `max` files). Says why when there are none.
 */
export function filesOf(
  target: string,
  max: number,
  warn: (message: string) => void,
): { path: string; id: string }[] {
  if (target === STDIN_ID) return [{ path: STDIN_ID, id: STDIN_ID }];
  const files = expandGlob(target).map((path) => ({ path, id: sourceId(target, path) }));
  if (files.length === 0) {
    warn(`${target}: ${hasGlobMeta(target) ? "no file matches" : "no such file or directory"}`);
  } else if (files.length > max) {
    warn(`${target}: ${files.length} files match, reading the first ${max}`);
    files.length = max;
  }
  return files;
}

/** cat and grep: every file once, in the order given, globs in lexical order. */
async function runWhole(job: ReadJob, io: RunIO, printer: SelectionSink): Promise<RunResult> {
  const result: RunResult = { ok: 0, failed: 0 };
  for (const target of job.targets) {
    if (io.signal.aborted) break;
    const files = filesOf(target, job.maxGlobTargets, io.warn);
    if (files.length === 0) {
      result.failed++;
      continue;
    }
    for (const { path, id } of files) {
      if (io.signal.aborted) break;
      const long = () => io.warn(`${path}: long log line, splitting into multiple lines`);
      try {
        if (path !== STDIN_ID && await printer.wholeFile?.(path, id, io.signal)) {
          result.ok++;
          continue;
        }
        const chunks = path === STDIN_ID ? stdinChunks() : fileChunks(path);
        let batches = 0;
        for await (const sel of filterChunks(chunks, { ...job.filter, onLongLine: long })) {
          printer.print(sel, id);
          // Sync reads never return to the event loop, where signal listeners run: let them.
          if (++batches % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
          if (io.signal.aborted) break; // Ctrl-C, SIGTERM: stop after whole lines
        }
        result.ok++;
      } catch (err) {
        if (!(err instanceof SourceError || err instanceof CorruptInputError)) throw err;
        io.out.flush();
        io.warn(err.message);
        result.failed++;
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
      watchers,
      maxTargets: job.maxGlobTargets,
      onNotice: io.warn,
    }, async (file) => {
      const selector = new LineSelector(job.filter.matcher, job.filter);
      for await (const incarnation of file.incarnations) {
        followed.add(file.path);
        const long = () => io.warn(`${file.path}: long log line, splitting into multiple lines`);
        const batches = splitLines(incarnation, { ...job.filter, onLongLine: long });
        for await (const batch of batches) {
          for (const sel of selector.select(batch)) printer.print(sel, file.sourceId);
          io.out.flush();
          if (selector.done) return; // --max reached for this file
        }
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
  const selections = filterChunks(chunks, { ...job.filter, max: 0 });
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
