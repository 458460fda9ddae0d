/**
 * Serverless mode: the core read (core/run.ts) wired straight to stdout, for cat, grep and tail.
 */
import { hasGlobMeta } from "../core/glob.ts";
import type { JournalOptions, JournalRun } from "../core/journal.ts";
import { openRegular } from "../core/open_file.ts";
import { WrittenFiles } from "./output_guard.ts";
import type { FilterOptions } from "../core/pipeline.ts";
import { type TerminalOptions, TerminalPrinter } from "../core/terminal_printer.ts";
import type { BufferedOutput } from "../core/output.ts";
import { openedFileChunks, stdinChunks } from "../core/source.ts";
import type { ReaderWork } from "../core/decompress_parallel.ts";
import { errorKind } from "../core/errors.ts";
import { CONTEXT_LIMIT_NOTICE } from "../core/before_context.ts";
import { followFiles, readFiles, type ReadOptions, type RunResult } from "../core/run.ts";
import { firstOutputFlushed, flushedEachBatch, type Sink } from "../core/sink.ts";
import type { ResumeSettings } from "./resume/resume_state.ts";
import { withSentLines } from "./sent_lines.ts";
import { DEFAULT_MAX_LINE_LENGTH } from "../core/lines.ts";
import { activeRange } from "../core/time_range.ts";

export type { RunResult };

/** This thread serves only this run: irregexp matchers match here (FilterOptions.offload). */
const SERVES_NOBODY = "re2js" as const;

export type ReadMode = "cat" | "grep" | "tail";

export interface ReadJob {
  readonly mode: ReadMode;
  /** Files or globs; "-" is standard input. */
  readonly targets: readonly string[];
  readonly filter: Omit<FilterOptions, "onLongLine" | "flushPartial">;
  readonly frame: TerminalOptions;
  readonly maxGlobTargets: number;
  /** Directories one glob may list (Server.MaxGlobDirs). */
  readonly maxGlobDirs: number;
  /** tail: `--resume FILE`, start from and save positions (docs/usage.md#resume-across-runs). */
  readonly resume?: ResumeSettings;
  /**
   * What is done with the lines read: "heavy" (a MapReduce's map) makes a big compressed file
   * decode on a worker sooner. Default: "heavy" for a regex, else "light" (printing, a literal).
   */
  readonly readerWork?: ReaderWork;
  /** --json: line objects (core/json_printer.ts) instead of the frame's terminal output. */
  readonly json?: boolean;
  /** Added to the line that says a target is missing (a pattern typed as a file name). */
  readonly missingHint?: (target: string) => string;
}

export interface RunIO {
  readonly out: BufferedOutput;
  /** One diagnostic line for the user (stderr). */
  readonly warn: (message: string) => void;
  /** Aborts a follow (timeout, shutdownAfter, signals). */
  readonly signal: AbortSignal;
  /**
   * The descriptor `out` writes to, when plain files may be sent there directly, bypassing `out`
   * (cli/sent_lines.ts): standard output that is not a terminal.
   */
  readonly sendTo?: number | undefined;
}

/** core/journal.ts's journalRuns, loaded when a journal is read: few runs read one. */
async function* journalRunsLoaded(
  spec: string,
  options: JournalOptions,
): AsyncGenerator<JournalRun> {
  const { journalRuns } = await import("../core/journal.ts");
  yield* journalRuns(spec, options);
}

/** What the job does with the lines it reads (ReadJob.readerWork). */
export function readerWork(job: ReadJob): ReaderWork {
  return job.readerWork ?? (job.filter.matcher.kind === "regex" ? "heavy" : "light");
}

/** The printer of the job's frame (or of --json, whose module loads only then) on `io.out`. */
export async function printerOf(job: ReadJob, io: RunIO): Promise<Sink> {
  if (job.json) {
    const { JsonLinePrinter } = await import("../core/json_printer.ts");
    return new JsonLinePrinter(io.out, job.frame.hostname);
  }
  const printer = new TerminalPrinter(io.out, job.frame);
  const { filter } = job;
  // Every line printed as it is: plain, no pattern, no --invert or --max (see sent_lines.ts).
  const asIs = job.frame.plain && filter.matcher.kind === "noop" && !filter.invert &&
    !filter.max && activeRange(filter.timeRange) === null;
  if (!asIs || job.mode === "tail" || io.sendTo === undefined) return printer;
  const maxLineLength = filter.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  return withSentLines(printer, io.out, { maxLineLength, fd: io.sendTo });
}

/**
 * Reads the job's targets into `sink`: by default the printer of the job's frame (or of --json)
 * on `io.out`. Never what the run writes (`written`: standard output, a dmap outfile, the state
 * file).
 */
export async function runServerless(
  job: ReadJob,
  io: RunIO,
  sink?: Sink,
  written: WrittenFiles = new WrittenFiles({ stateFile: job.resume?.file ?? null }),
): Promise<RunResult> {
  sink ??= await printerOf(job, io);
  const options: Omit<ReadOptions, "filter"> = {
    signal: io.signal,
    glob: { maxTargets: job.maxGlobTargets, maxDirs: job.maxGlobDirs },
    open: written.opener(openRegular),
    content: (path, opened) => openedFileChunks(path, opened, true, readerWork(job)),
    stdin: written.stdin(stdinChunks),
    // Journals are read with the user's own rights, as files are.
    journal: (spec, follow, range) =>
      journalRunsLoaded(spec, { follow, range, signal: io.signal, onNotice: io.warn }),
    onUnreadable: (_path, err) => {
      if (errorKind(err) !== "input") throw err;
      io.out.flush();
      io.warn((err as Error).message);
    },
    onLongLine: (path) => io.warn(`${path}: long log line, splitting into multiple lines`),
    onContextLimit: (path) => io.warn(`${path}: ${CONTEXT_LIMIT_NOTICE}`),
    onNotice: io.warn,
  };
  if (job.mode !== "tail") {
    const result = await readFiles(job.targets, firstOutputFlushed(sink, io.out), {
      ...options,
      // filterChunks stops after whole lines once Ctrl-C or SIGTERM aborted the signal.
      filter: { ...job.filter, signal: io.signal, offload: SERVES_NOBODY },
      onNoFiles: (target, limited) => {
        if (limited) return; // said already
        const missing = hasGlobMeta(target) ? "no file matches" : "no such file or directory";
        const name = target === "" ? '""' : target;
        io.warn(`${name}: ${missing}${job.missingHint?.(target) ?? ""}`);
      },
    });
    io.out.flush();
    return result;
  }
  // Only a follow watches directories or resumes: dcat and dgrep do not load that code.
  const { DirectoryWatchers } = await import("../core/waker.ts");
  // Output is sent after every batch; lines written before the stop are still printed.
  const followSink = flushedEachBatch(sink, () => io.out.send());
  const followOptions = {
    ...options,
    filter: { ...job.filter, offload: SERVES_NOBODY },
    watchers: new DirectoryWatchers(io.signal),
    onRefused: (path: string, err: unknown) =>
      io.warn(err instanceof Error ? err.message : `${path}: ${err}`),
  };
  let result: RunResult;
  if (job.resume === undefined) {
    result = await followFiles(job.targets, followSink, followOptions);
  } else {
    const { followResumed } = await import("./resume/local_follow.ts");
    result = await followResumed(job.targets, followSink, followOptions, job.resume, {
      warn: io.warn,
      flushOutput: () => io.out.flush(),
    });
  }
  io.out.flush();
  if (result.ok === 0) {
    io.warn("no file could be followed");
    result.failed++;
  }
  return result;
}
