/**
 * The one composition of a read, for serverless mode and dserver alike: files (globs expanded)
 * → open → decompress → lines → select (pipeline.ts) → a Sink. `readFiles` reads every file once
 * (cat, grep, dmap); `followFiles` follows them (tail, dtail --query). What differs between the
 * front ends comes in as options: how a file is opened and read, the glob bounds, a slot to
 * take per file, and how notices and unreadable files are reported.
 */
import { FIRST_READ_SIZE, readFileChunks } from "./chunks.ts";
import { compressionOfName, CorruptInputError } from "./compression.ts";
import { SourceError } from "./source_error.ts";
import type { IncarnationStream } from "./follow.ts";
import type { FollowGlobOptions } from "./follow_glob.ts";
import { expandGlob, globLimitNotice, type GlobOptions, hasGlobMeta, sourceIds } from "./glob.ts";
import type { JournalOpener } from "./journal.ts";
import { isJournalTarget } from "./journal_target.ts";
import type { InputFile } from "./fd_file.ts";
import type { FileOpener, OpenedFile } from "./open_file.ts";
import { filterChunks, type FilterOptions, selectInto, SourceFilter } from "./pipeline.ts";
import type { FilePosition } from "./protocol/resume.ts";
import type { ResumePoints } from "./resume_points.ts";
import type { Slot } from "./semaphore.ts";
import type { Sink } from "./sink.ts";
import { STDIN_ID } from "./source.ts";
import type { seekTimeRange as SeekTimeRange } from "./time_seek.ts";
import type { TimeRange } from "./time_spec.ts";
import { activeRange } from "./time_range.ts";
import { maybeYield } from "./turns.ts";
import type { DirectoryWatchers } from "./waker.ts";

/** Outcome counts that decide the exit status (docs/compatibility.md#exit-status). */
export interface RunResult {
  ok: number;
  failed: number;
}

export interface ReadOptions {
  /**
   * The line filter of every file (onLongLine comes from `onLongLine`). With a `signal`, the
   * selection stops once it aborts; without one, a follow still hands over what was written
   * before the stop (follow.ts drains it).
   */
  readonly filter: Omit<FilterOptions, "onLongLine" | "onContextLimit">;
  /** Ends the read: no file is started, globs and follows stop. */
  readonly signal: AbortSignal;
  /** The glob bounds and who may list a directory (GlobOptions). */
  readonly glob: Pick<GlobOptions, "canList"> & { maxTargets: number; maxDirs: number };
  /** Opens a file the read names: openRegular serverless, the checked open on a dserver. */
  readonly open: FileOpener;
  /** The decompressed content of a file `open` opened (the caller closes the file). */
  content(path: string, opened: OpenedFile): AsyncGenerator<Uint8Array>;
  /** Standard input, read for the target "-"; without it, "-" is a file name. */
  readonly stdin?: () => AsyncGenerator<Uint8Array>;
  /**
   * Journal targets (`journal:<unit>`, core/journal.ts): journalctl's runs for one, after the
   * front end's checks (a dserver's permission rules); without it, `journal:…` is a file name.
   */
  readonly journal?: JournalOpener;
  /**
   * A slot to hold while a file is read (dserver's MaxConcurrentCats/Tails); null when the read
   * ended while waiting for it. Without it, files are read at once.
   */
  slot?(path: string, signal: AbortSignal): Promise<Slot | null>;
  /**
   * A file could not be read, or not to its end (a damaged compressed file): reports it. Throws
   * `err` again when it is not the file's fault (a bug, a closed session): that ends the read.
   */
  onUnreadable(path: string, err: unknown): void;
  /** A line longer than the filter's maxLineLength was split. */
  onLongLine(path: string): void;
  /** A match of a file came with fewer `--before` lines than asked for (core/before_context.ts). */
  onContextLimit?(path: string): void;
  /** A notice: a glob that hit its bounds; a followed file that is waited for. */
  onNotice(message: string): void;
}

export interface ReadFilesOptions extends ReadOptions {
  /** A target that matches no file (already told when `limited`, a glob that hit its bounds). */
  onNoFiles(target: string, limited: boolean): void;
  /** Returns to the event loop between files when the turn is over (other sessions go on). */
  readonly yieldBetweenFiles?: boolean;
}

export interface FollowFilesOptions extends ReadOptions {
  readonly watchers: DirectoryWatchers;
  /** A later open of a followed file (rotation, a new glob match) was refused. */
  readonly onRefused: NonNullable<FollowGlobOptions["onRefused"]>;
  /** Opens each file once before following it, and reports at once that it cannot be read. */
  readonly openFirst?: boolean;
  /** Where the files start, from a client's positions (docs/protocol.md#resume). */
  readonly resume?: ResumePoints;
  /**
   * Takes the position of a followed file where it starts, and after each batch right after its
   * lines were handed to the sink (docs/protocol.md#resume; core/follow_position.ts).
   */
  readonly onPosition?: (position: FilePosition) => void;
}

/**
 * cat and grep: every file of every target once, in the order given, globs in lexical order.
 * The result counts read files (ok) and targets or files that failed (failed); a damaged
 * compressed file some lines of which were handed over counts as both (a partial run).
 */
export async function readFiles(
  targets: readonly string[],
  sink: Sink,
  options: ReadFilesOptions,
): Promise<RunResult> {
  const result: RunResult = { ok: 0, failed: 0 };
  const { signal } = options;
  const range = activeRange(options.filter.timeRange);
  // The time code loads only for a run with a range.
  const seek = range === null ? null : (await import("./time_seek.ts")).seekTimeRange;
  for (const target of targets) {
    if (signal.aborted) break;
    if (options.journal !== undefined && isJournalTarget(target)) {
      const { readJournal } = await import("./journal_read.ts");
      if (await readJournal(target, sink, { ...options, journal: options.journal })) result.ok++;
      else result.failed++;
      continue;
    }
    const { files, limited } = await filesOf(target, options);
    // A glob that hit its bounds was read in part: with what it read, the run is partial.
    if (limited || files.length === 0) result.failed++;
    if (files.length === 0) continue;
    for (const { path, id } of files) {
      // Opening and refusing files is work too: thousands of them must not hold the loop.
      if (options.yieldBetweenFiles) await maybeYield();
      if (signal.aborted) return result;
      // Not `using`: deno bundle --minify drops a `using` whose one use is the next line.
      const slot = options.slot === undefined ? undefined : await options.slot(path, signal);
      if (slot === null) return result;
      let opened: OpenedFile | null = null;
      const progress = { selected: false };
      try {
        let chunks: AsyncGenerator<Uint8Array>;
        if (path === STDIN_ID && options.stdin !== undefined) chunks = options.stdin();
        else {
          opened = options.open(path);
          // A time range reads the range's bytes only, through the filter that checks each line.
          if (range === null && await sink.wholeFile?.(opened, id, signal)) {
            result.ok++;
            continue;
          }
          const from = range === null ? await sink.leadingLines?.(opened, signal) ?? 0 : 0;
          if (from > 0) {
            // leadingLines takes plain files only: the rest is read as it is.
            opened.file.seekSync(from, Deno.SeekMode.Start);
            chunks = readFileChunks(opened.file, { firstChunkSize: FIRST_READ_SIZE });
          } else {
            chunks = range === null
              ? options.content(path, opened)
              : rangeContent(path, opened, range, seek!, options);
          }
        }
        const filter = {
          ...options.filter,
          expectedBytes: opened?.size,
          onLongLine: () => options.onLongLine(path),
          onContextLimit: () => options.onContextLimit?.(path),
        };
        await selectInto(chunks, filter, sink, id, progress);
        const wait = sink.fileDone?.();
        if (wait) await wait;
        result.ok++;
      } catch (err) {
        options.onUnreadable(path, err);
        result.failed++;
        // A damaged compressed file whose whole lines before the damage were handed over was
        // read in part: the run is partial (exit 3), also when it is the only file.
        if (err instanceof CorruptInputError && progress.selected) result.ok++;
      } finally {
        opened?.file.close();
        slot?.[Symbol.dispose]();
      }
    }
  }
  return result;
}

/**
 * The content of a file that holds a time range's lines: a plain file's bytes from the range's
 * first line to after its last (core/time_seek.ts), a compressed file's whole decompressed
 * content (it cannot be entered in the middle). The filter checks each line either way.
 */
function rangeContent(
  path: string,
  opened: OpenedFile,
  range: TimeRange,
  seekTimeRange: typeof SeekTimeRange,
  options: ReadFilesOptions,
): AsyncGenerator<Uint8Array> {
  const { file } = opened;
  const known = opened.size === undefined ? {} : { size: opened.size };
  const { start, end } = seekTimeRange(path, file, range, known);
  file.seekSync(end === Infinity ? 0 : start, Deno.SeekMode.Start);
  if (end === Infinity) return options.content(path, opened);
  const first = { firstChunkSize: FIRST_READ_SIZE };
  return readFileChunks(file, range.until === Infinity ? first : { ...first, limit: end - start });
}

/** The files of one target with their source ids: stdin, a path, or a glob within its bounds. */
async function filesOf(
  target: string,
  options: ReadFilesOptions,
): Promise<{ files: { path: string; id: string }[]; limited: boolean }> {
  if (target === STDIN_ID && options.stdin !== undefined) {
    return { files: [{ path: STDIN_ID, id: STDIN_ID }], limited: false };
  }
  const { glob, signal } = options;
  // An empty name is no file (cleaned, it would be ".", the directory).
  const found = target === "" ? { paths: [], limit: null } : await expandGlob(target, {
    ...glob,
    signal,
  });
  const limited = found.limit !== null;
  if (found.limit !== null) options.onNotice(globLimitNotice(target, found.limit, glob));
  if (found.paths.length === 0) options.onNoFiles(target, limited);
  const idOf = sourceIds(target);
  return { files: found.paths.map((path) => ({ path, id: idOf(path) })), limited };
}

let followStage: ReturnType<typeof importFollowStage> | undefined;

/**
 * The follow stage's modules, loaded once: on the first follow (dcat and dgrep do not pay for
 * them), or earlier by a dserver that expects follows (server/process/warm_up.ts).
 */
export function loadFollowStage(): ReturnType<typeof importFollowStage> {
  return followStage ??= importFollowStage().catch((err) => {
    followStage = undefined; // tried again by the next follow
    throw err;
  });
}

function importFollowStage() {
  return Promise.all([
    import("./follow.ts"),
    import("./follow_glob.ts"),
    import("./follow_position.ts"),
    import("./follow_select.ts"),
  ]);
}

/**
 * tail: follows every target (a glob also picks up files that match later) until the signal
 * aborts. The result counts the files followed and those that failed on the way.
 */
export async function followFiles(
  targets: readonly string[],
  sink: Sink,
  options: FollowFilesOptions,
): Promise<RunResult> {
  const [
    { FirstOpenError },
    { compressedNotFollowed, followGlob },
    { coalescedFlush, PositionTracker },
    { followSelectInto },
  ] = await loadFollowStage();
  const result: RunResult = { ok: 0, failed: 0 };
  const followed = new Set<string>();
  const { signal, glob } = options;
  const range = activeRange(options.filter.timeRange);
  const since = range?.since ?? -Infinity;
  const time = range === null
    ? null
    : await Promise.all([import("./time_seek.ts"), import("./time_window.ts")]);
  const flushPositions = coalescedFlush(() => sink.batchDone?.());
  await Promise.all(targets.map(async (target) => {
    if (target === STDIN_ID && options.stdin !== undefined) {
      try {
        await followStdin(options.stdin(), sink, options);
        result.ok++;
      } catch (err) {
        options.onUnreadable(target, err); // rethrows what is not one source's error
        result.failed++;
      }
      return;
    }
    if (options.journal !== undefined && isJournalTarget(target)) {
      const { followJournal } = await import("./journal_read.ts");
      if (await followJournal(target, sink, { ...options, journal: options.journal })) result.ok++;
      else result.failed++;
      return;
    }
    if (!hasGlobMeta(target) && compressionOfName(target) !== "none") {
      options.onUnreadable(target, new SourceError(compressedNotFollowed(target)));
      result.failed++;
      return;
    }
    await followGlob(target, {
      signal,
      // Every open of a followed file (rotation, truncation, re-creation, new glob matches)
      // goes through `open`: on a dserver the checked open.
      open: options.open,
      onRefused: options.onRefused,
      ...(glob.canList ? { canList: glob.canList } : {}),
      maxDirs: glob.maxDirs,
      maxTargets: glob.maxTargets,
      watchers: options.watchers,
      onNotice: options.onNotice,
      ...(options.resume ? { resume: options.resume } : {}),
      // The checked open of each file at the start is the open it is read from: paid once.
      ...(options.openFirst ? { openFirst: true } : {}),
      ...(since === -Infinity ? {} : {
        startAt: (path, file, size) => sinceStart(time![0].seekTimeRange, path, file, size, since),
      }),
    }, async (file) => {
      // The first incarnation pins where following starts: lines written while this follow
      // waits for a slot are delivered once it gets one.
      let first: IteratorResult<IncarnationStream>;
      try {
        first = await file.incarnations.next();
      } catch (err) {
        // Refused or missing at the start, or its first read failed (EIO): say so at once (later
        // refusals come via onRefused); onUnreadable rethrows what is not one source's error.
        options.onUnreadable(file.path, err instanceof FirstOpenError ? err.cause : err);
        result.failed++;
        return;
      }
      if (first.done) return;
      // Not `using`: deno bundle --minify drops a `using` whose one use is the next line.
      let slot: Slot | null | undefined;
      try {
        const onLongLine = () => options.onLongLine(file.path);
        const tracker = options.onPosition === undefined ? null : new PositionTracker({
          path: file.path,
          maxLineLength: options.filter.maxLineLength,
          onLongLine,
          report: options.onPosition,
          flush: flushPositions,
        });
        await tracker?.announce(first.value); // also while it waits for a slot
        slot = options.slot === undefined ? undefined : await options.slot(file.path, signal);
        if (slot === null) return;
        // With positions the tracker cuts long lines (and says so): the filter is the shared one.
        const filter = {
          ...options.filter,
          ...(tracker !== null ? {} : { onLongLine }),
          onContextLimit: () => options.onContextLimit?.(file.path),
        };
        const source = new SourceFilter(filter); // one selection state across incarnations
        // A tracked batch cannot be cut (its bytes tell its position): its selections are.
        const fileSink =
          tracker?.sink(time === null ? sink : time[1].windowSelections(sink, range!)) ?? sink;
        try {
          // The first incarnation, then the others (no generator around them: one fewer per file).
          let next: IteratorResult<IncarnationStream> = first;
          for (; !next.done; next = await file.incarnations.next()) {
            followed.add(file.path);
            if (tracker !== null) {
              await followSelectInto(next.value, tracker, filter, fileSink, file.sourceId, source);
            } else await selectInto(next.value, filter, fileSink, file.sourceId, undefined, source);
            if (source.done) return; // --max reached for this file
          }
        } catch (err) {
          options.onUnreadable(file.path, err); // this file ends; the others are still followed
          result.failed++;
        }
      } finally {
        // However this ends (stopped early, no slot, the session gone while the start position
        // was being sent), the slot goes back and the file is closed.
        slot?.[Symbol.dispose]();
        await file.incarnations.return(undefined);
      }
    });
  }));
  result.ok += followed.size;
  return result;
}

/**
 * Where a followed file found at the start begins with `--since`: at its first line timed at or
 * after since (its end when there is none); a compressed file, which is not sought, at its end.
 */
function sinceStart(
  seekTimeRange: typeof SeekTimeRange,
  path: string,
  file: InputFile,
  size: number,
  since: number,
): number {
  const { start, end } = seekTimeRange(path, file, { since, until: Infinity }, { size });
  return end === Infinity ? size : Math.min(start, size);
}

/** Standard input until it ends or the signal aborts (a pipe may stay open forever). */
async function followStdin(
  chunks: AsyncGenerator<Uint8Array>,
  sink: Sink,
  options: FollowFilesOptions,
): Promise<void> {
  const selections = filterChunks(chunks, { ...options.filter, max: 0 });
  const stop = new Promise<void>((resolve) =>
    options.signal.addEventListener("abort", () => resolve(), { once: true })
  );
  for (;;) {
    const next = await Promise.race([selections.next(), stop.then(() => null)]);
    if (next === null || next.done) break;
    sink.selection(next.value, STDIN_ID);
    const wait = sink.batchDone?.();
    if (wait) await wait;
  }
}
