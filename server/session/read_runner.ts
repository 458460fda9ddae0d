/**
 * The read commands of one session (docs/compatibility.md#reading-files,
 * docs/protocol.md#aggregate): cat and grep one after the other, tails side by side, each through
 * the core read (core/run.ts) into the client's output or into the session's map stage. Every file
 * is opened with the checked open; a read holds a MaxConcurrentCats/Tails slot per file and ends at
 * its `timeout`; a file the user may not or cannot read is told as little as the Go dserver tells.
 */
import type { TimeRange } from "../../core/time_spec.ts";
import { readFileChunks } from "../../core/chunks.ts";
import { CorruptInputError } from "../../core/compression.ts";
import { clip } from "../../core/clip.ts";
import { fullHostname } from "../../core/hostname.ts";
import { PatternError } from "../../core/pattern_error.ts";
import { parseQuery, QueryError } from "../../core/mapr/query.ts";
import type { ReadCommand } from "../../core/protocol/commands.ts";
import {
  decodeResumeRequest,
  type FilePosition,
  positionMessage,
  POSITIONS_OPTION,
  POSITIONS_VERSION,
  RESUME_CAPABILITY,
  RESUME_OPTION,
  ResumeRequestError,
} from "../../core/protocol/resume.ts";
import { ResumePoints } from "../../core/resume_points.ts";
import { coalescedFlush } from "../../core/follow_position.ts";
import { errorKind } from "../../core/errors.ts";
import { type JournalRun, journalRuns, STDERR_NOTICE } from "../../core/journal.ts";
import { followFiles, readFiles, type ReadOptions } from "../../core/run.ts";
import type { Semaphore, Slot } from "../../core/semaphore.ts";
import { flushedEachBatch, type Sink } from "../../core/sink.ts";
import { decodeChunks, SourceError } from "../../core/source.ts";
import { DirectoryWatchers } from "../../core/waker.ts";
import { MapStage } from "./map_stage.ts";
import { ReadProgress } from "./read_progress.ts";
import { lineRegex, readFilter, timeRangeFilter } from "./read_filter.ts";
import type { FilterOptions } from "../../core/pipeline.ts";
import { CONTEXT_LIMIT_NOTICE } from "../../core/before_context.ts";
import { type Options, OptionsError } from "../../core/protocol/options.ts";
import type { HandlerDeps } from "./session_context.ts";
import type { SessionOutput } from "./session_output.ts";

/**
 * What the client is told about a file it may not or cannot read (docs/server.md#permissions):
 * nothing more. A WARN notice, as the Go dserver sends it (a Go client colors notices by their
 * level).
 */
export const UNREADABLE = "Unable to read file(s), check server logs";
/** The Go dserver's notice for a line split at MaxLineLength; its context field is the file. */
const LONG_LINE = "Long log line, splitting into multiple lines";
/** The most tails of one session that wait for a slot, each with its file open (#takeTail). */
export const MAX_QUEUED_TAILS = 1000;
/**
 * The most tail commands of one session (each follows until the session ends; a glob that matches
 * nothing holds no slot and no queue place, only its rescans): twice the files that may wait.
 */
export const MAX_SESSION_TAILS = 2 * MAX_QUEUED_TAILS;
/**
 * The most cat and grep commands of one session queued or running: past it the session reads no
 * more commands until one ends (`full`, `room`), so the client's further commands wait in SSH's
 * flow control, not in the dserver's memory.
 */
export const MAX_QUEUED_READS = 64;
/** What the tails' and the queued commands' paths, patterns and options may add up to, each. */
export const MAX_SESSION_READ_TEXT = 16 << 20;

export interface ReadContext {
  readonly deps: HandlerDeps;
  /** The SSH user the files are opened for. */
  readonly user: string;
  /** `user@ip:port`, for the server log. */
  readonly who: string;
  readonly out: SessionOutput;
  /** Stops the session's work: reads, follows, queued commands. */
  readonly signal: AbortSignal;
  /** A read ended (or was not run): the session may close once none is left. */
  readonly readEnded: () => void;
}

export class ReadRunner {
  readonly #ctx: ReadContext;
  readonly #deps: HandlerDeps;
  readonly #out: SessionOutput;
  readonly #watchers: DirectoryWatchers;
  /**
   * The session's map stage once a `map:` command came; reads then feed it
   * (docs/protocol.md#aggregate).
   */
  #map: MapStage | null = null;
  /**
   * The session's `map:` query was refused: its reads are not run
   * (docs/query-language.md#errors-and-warnings).
   */
  #mapRefused = false;
  /** Files the cat and grep reads read whole (a map's end notes need its input read). */
  #filesRead = 0;
  /**
   * The `since`/`until` options of the `map:` command: the time range of the reads that follow it
   * and carry none (the `timeout N <verb>` form a query's reads take has no options).
   */
  #mapRange: Pick<FilterOptions, "timeRange"> = {};
  /** The `map:` command asked for progress messages (docs/protocol.md#progress). */
  #progress: ReadProgress | null = null;
  #active = 0;
  #tails = 0;
  /** The characters of the session's tails (MAX_SESSION_READ_TEXT). */
  #tailText = 0;
  /** cat and grep commands queued or running, and their characters. */
  #queued = 0;
  #queuedText = 0;
  /** Who waits for `room`. */
  #roomWaiters: (() => void)[] = [];
  #queue: Promise<void> = Promise.resolve();
  /**
   * The flush after each batch of a followed file, one for all files and tails of the session
   * whose batches came in the same turn: a thousand files that have lines at once go out in a few
   * channel writes instead of a thousand (each write is an SSH packet, encrypted on its own).
   */
  readonly #followFlush = coalescedFlush(() => this.#out.flush());

  constructor(ctx: ReadContext) {
    this.#ctx = ctx;
    this.#deps = ctx.deps;
    this.#out = ctx.out;
    this.#watchers = new DirectoryWatchers(ctx.signal);
  }

  /** Whether the cat/grep queue is full: the session reads no more commands until `room`. */
  get full(): boolean {
    return this.#queued >= MAX_QUEUED_READS || this.#queuedText >= MAX_SESSION_READ_TEXT;
  }

  /** Resolves when a queued cat or grep ended, or the session stops. */
  room(): Promise<void> {
    if (this.#ctx.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#ctx.signal.removeEventListener("abort", done);
        resolve();
      };
      this.#roomWaiters.push(done);
      this.#ctx.signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Whether a read runs or waits. */
  get busy(): boolean {
    return this.#active !== 0 || this.#tails !== 0;
  }

  /** Starts a cat/grep (queued behind the earlier ones) or a tail (at once). */
  start(command: ReadCommand): void {
    if (this.#mapRefused) {
      // Without it the lines would stream to a dmap client as raw log lines.
      this.#log("warn", `not reading ${command.path}: map query refused`);
      this.#ctx.readEnded();
      return;
    }
    const text = commandText(command);
    const tail = command.verb === "tail";
    if (
      tail && (this.#tails >= MAX_SESSION_TAILS || this.#tailText + text > MAX_SESSION_READ_TEXT)
    ) {
      this.#out.notice(
        "error",
        `too many files followed in one session (at most ${MAX_SESSION_TAILS}): not following ${
          clip(command.path)
        }`,
      );
      this.#log("warn", `refused a tail beyond the session's bound: ${clip(command.path)}`);
      this.#ctx.readEnded();
      return;
    }
    this.#active++;
    const finish = () => {
      this.#active--;
      if (tail) {
        this.#tails--;
        this.#tailText -= text;
      } else {
        this.#queued--;
        this.#queuedText -= text;
        this.#roomWaiters.shift()?.();
      }
      this.#ctx.readEnded();
    };
    if (tail) {
      this.#tails++;
      this.#tailText += text;
      this.#follow(command).catch((err) => this.#failed(err)).finally(finish);
      return;
    }
    this.#queued++;
    this.#queuedText += text;
    this.#progress?.size(command.path, {
      glob: { ...this.#globOptions(), signal: this.#ctx.signal },
      open: this.#open,
    });
    // cat and grep run one after the other, in the order sent: output order is deterministic
    // and the same as in serverless mode.
    this.#queue = this.#queue.then(() => this.#readWhole(command)).catch((err) => this.#failed(err))
      .finally(finish);
  }

  /** The session's `map:` command: the reads that follow feed its map stage. */
  startMap(text: string, options: Options = {}): void {
    try {
      this.#mapRange = timeRangeFilter({ options });
    } catch (err) {
      if (!(err instanceof OptionsError)) throw err;
      // As a read with a bad range: one notice; the reads that follow are not run.
      this.#out.notice("error", err.message);
      this.#mapRefused = true;
      return;
    }
    let query;
    try {
      query = parseQuery(text);
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      // The Go dserver sends the parser's error as it is, with no level: "Invalid query: …".
      this.#out.rawNotice(`Invalid query: ${err.message}`);
      this.#mapRefused = true;
      return;
    }
    this.#map?.stop();
    this.#filesRead = 0;
    this.#progress?.stop();
    this.#progress = ReadProgress.of(options, this.#out);
    const { config } = this.#deps;
    this.#map = new MapStage(query, {
      aggregate: (message) => this.#out.payload(message),
      control: (text) => this.#out.control(text),
      flush: () => this.#out.flush(),
    }, {
      serverLogFormat: config.Server.MapreduceLogFormat,
      hostname: fullHostname(),
      shortHostname: this.#deps.hostname,
      warn: (message) => this.#log("warn", message),
      maxLineLength: config.Server.MaxLineLength,
    });
  }

  /**
   * All input was read: the map's last groups go out (before the close request,
   * docs/protocol.md#close-request).
   */
  sendLastGroups(): void {
    if (this.#map === null) return;
    this.#map.finish(this.#filesRead > 0);
    this.#progress?.finish();
  }

  /**
   * The SESSION generation these reads belong to was replaced (their signal is aborted by the
   * owner): the map stage stops without a last send (docs/protocol.md#session).
   */
  abandon(): void {
    this.#map?.stop();
    this.#map = null;
    this.#progress?.stop();
    this.#progress = null;
  }

  /** The session ends (its signal aborted): stops the map and waits for the queued reads. */
  async stop(): Promise<void> {
    this.#map?.stop();
    this.#progress?.stop();
    await this.#queue.catch(() => {});
  }

  /** The command's line filter; a read after `map:` without a range has the map's (#mapRange). */
  #filter(command: ReadCommand): FilterOptions {
    const filter = readFilter(command, this.#deps.config.Server.MaxLineLength, this.#out.plain);
    return this.#map === null || filter.timeRange ? filter : { ...filter, ...this.#mapRange };
  }

  async #readWhole(command: ReadCommand): Promise<void> {
    const signal = this.#deadline(command);
    const filter = this.#filter(command);
    const sink = this.#map?.sink(lineRegex(command)) ?? this.#out.printer(true);
    const progress = this.#progress;
    if (progress !== null) await progress.sized();
    const result = await readFiles([command.path], sink, {
      ...this.#readOptions({ ...filter, signal }, signal),
      ...(progress === null ? {} : { open: progress.opener(this.#open) }),
      slot: (path, signal) => this.#take(this.#deps.cats, signal, path),
      onNotice: (message) => this.#out.notice("warn", message),
      onNoFiles: () => {
        this.#log("warn", `no file matches ${command.path}`);
        this.#out.notice("warn", UNREADABLE);
      },
      yieldBetweenFiles: true,
    });
    this.#filesRead += result.ok;
  }

  async #follow(command: ReadCommand): Promise<void> {
    const signal = this.#deadline(command);
    const filter = this.#filter(command);
    const sink: Sink = this.#map?.sink(lineRegex(command)) ?? this.#out.printer(false);
    const resume = this.#resumePoints(command);
    const onPosition = this.#map === null ? this.#positions(command) : undefined;
    await followFiles([command.path], flushedEachBatch(sink, this.#followFlush), {
      ...this.#readOptions({ ...filter, signal }, signal),
      slot: (path, signal) => this.#takeTail(signal, path),
      onNotice: (message) => this.#log("info", message),
      watchers: this.#watchers,
      onRefused: (path, err) => this.#unreadable(path, err),
      openFirst: true,
      ...(resume ? { resume } : {}),
      ...(onPosition ? { onPosition } : {}),
    });
  }

  /**
   * The positions a tail resumes from (docs/protocol.md#resume); a request that cannot be read is
   * refused with one notice, and the files are followed from their end as without one.
   */
  #resumePoints(command: ReadCommand): ResumePoints | undefined {
    const text = command.options[RESUME_OPTION];
    if (text === undefined || !this.#out.honours(RESUME_CAPABILITY)) return undefined;
    let positions: FilePosition[];
    try {
      positions = decodeResumeRequest(text);
    } catch (err) {
      if (!(err instanceof ResumeRequestError)) throw err;
      this.#log("warn", `resume request refused for ${command.path}: ${err.message}`);
      this.#out.notice("warn", `resume request refused (${err.message}): following from the end`);
      return undefined;
    }
    return new ResumePoints(command.path, positions, {
      maxGapBytes: this.#deps.config.Server.ResumeMaxGapBytes,
      canList: this.#canList,
      notice: (message) => this.#out.notice("warn", `resume: ${message}`),
      onRefused: (path, err) =>
        this.#log("warn", `resume: not reading ${path}: ${(err as Error).message}`),
    });
  }

  /** The writer of position messages, when the client asked for them (and escaping is on). */
  #positions(command: ReadCommand): ((position: FilePosition) => void) | undefined {
    const asked = command.options[POSITIONS_OPTION] === POSITIONS_VERSION;
    if (!asked || !this.#out.escape || !this.#out.honours(RESUME_CAPABILITY)) return undefined;
    return (position) => this.#out.control(positionMessage(command.path, position));
  }

  /** What a cat/grep and a tail of this session share. */
  #readOptions(
    filter: ReadOptions["filter"],
    signal: AbortSignal,
  ): Omit<ReadOptions, "slot" | "onNotice"> {
    return {
      filter,
      signal,
      glob: this.#globOptions(),
      // The one checked open: a path swapped for a symlink or a FIFO is refused, never read.
      open: this.#open,
      content: (path, opened) => decodeChunks(path, (o) => readFileChunks(opened.file, o)),
      journal: (spec, follow, range) => this.#journal(spec, follow, range, signal),
      onUnreadable: (path, err) => this.#unreadable(path, err),
      onLongLine: (path) => this.#out.notice("warn", LONG_LINE, { context: path }),
      onContextLimit: (path) => this.#out.notice("warn", CONTEXT_LIMIT_NOTICE, { context: path }),
    };
  }

  /**
   * journalctl's runs for a journal target (docs/server.md#journal-targets), once the user's rules
   * allow its spec: nothing runs before. Its stderr lines go to the client as the Go dserver sends
   * them; a follow's restarts go to the server log.
   */
  #journal(
    spec: string,
    follow: boolean,
    range: TimeRange | null,
    signal: AbortSignal,
  ): AsyncGenerator<JournalRun> {
    const check = this.#deps.checkJournal;
    if (check === undefined) throw new SourceError(`${spec}: journal targets are not enabled`);
    check(this.#ctx.user, spec);
    return journalRuns(spec, {
      follow,
      range,
      signal,
      retryMs: this.#deps.config.Server.ReadRetryIntervalMs,
      onNotice: (message) =>
        message.startsWith(STDERR_NOTICE)
          ? this.#out.rawNotice(message)
          : this.#log("info", message),
    });
  }

  #globOptions(): { maxTargets: number; maxDirs: number; canList: (dir: string) => boolean } {
    const { MaxGlobTargets, MaxGlobDirs } = this.#deps.config.Server;
    return { maxTargets: MaxGlobTargets, maxDirs: MaxGlobDirs, canList: this.#canList };
  }

  /** Tails of this session waiting for a slot (see #takeTail). */
  #queuedTails = 0;

  readonly #canList = (dir: string): boolean => this.#deps.canList?.(this.#ctx.user, dir) ?? true;
  readonly #open = (path: string) => this.#deps.open(this.#ctx.user, path);

  /**
   * A MaxConcurrentCats/Tails slot, null when the session ended first; a wait is logged
   * (docs/server.md#limits) so a silent client is explained. The caller holds it with `using`: it
   * goes back on every path out.
   */
  async #take(slots: Semaphore, signal: AbortSignal, path: string): Promise<Slot | null> {
    if (slots.free > 0 || signal.aborted) return await slots.take(signal);
    this.#log("info", `Server limit hit, queueing file|${path}`);
    const slot = await slots.take(signal);
    if (slot) this.#log("info", `Server limit OK now, processing file|${path}`);
    return slot;
  }

  /**
   * A tail slot. A tail that waits for one holds its file open (where it starts is pinned), and
   * the slots free only as other tails end: a session may have MAX_QUEUED_TAILS waiting, and a
   * file past that is not followed, with a notice, so that one request cannot take all of the
   * process's descriptors.
   */
  async #takeTail(signal: AbortSignal, path: string): Promise<Slot | null> {
    const slots = this.#deps.tails;
    // Only a tail that will wait counts (one that gets a slot at once is never queued).
    if (slots.free > 0 || signal.aborted) return await slots.take(signal);
    if (this.#queuedTails >= MAX_QUEUED_TAILS) {
      const why = `${MAX_QUEUED_TAILS} files of this session wait for a tail slot already ` +
        `(Server.MaxConcurrentTails: ${this.#deps.config.Server.MaxConcurrentTails})`;
      this.#log("warn", `not following ${path}: ${why}`);
      this.#out.notice("warn", `not following ${path}: ${why}`);
      this.#out.flush().catch(() => {}); // a closed channel ends the session elsewhere
      return null;
    }
    this.#queuedTails++;
    try {
      return await this.#take(slots, signal, path);
    } finally {
      this.#queuedTails--;
    }
  }

  /** The session's signal, cut short by the command's `timeout` prefix. */
  #deadline(command: ReadCommand): AbortSignal {
    const { signal } = this.#ctx;
    if (command.timeout <= 0) return signal;
    return AbortSignal.any([signal, AbortSignal.timeout(command.timeout * 1000)]);
  }

  #unreadable(path: string, err: unknown): void {
    const kind = errorKind(err);
    if (kind === "closed") throw err; // not the file's fault
    if (kind !== "input" && !isOsError(err)) throw err;
    this.#log("warn", `cannot read ${path}: ${(err as Error).message}`);
    // A damaged compressed file: the Go dserver sends its partial last line and says nothing;
    // we send the whole lines that decoded and say where the damage is (docs/decisions.md).
    if (err instanceof CorruptInputError) this.#out.notice("error", err.message);
    else this.#out.notice("warn", UNREADABLE);
    // A follow sends on after batches of lines: a refused file may have none to come.
    this.#out.flush().catch(() => {}); // a closed channel ends the session elsewhere
  }

  #failed(err: unknown): void {
    const kind = errorKind(err);
    if (kind === "closed") return; // the client is gone: nothing to tell
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof PatternError) {
      // The Go dserver's words: "Unable to parse command|" and RE2's reason.
      this.#out.notice("error", `Unable to parse command|${regexReason(message)}`);
      return;
    }
    if (kind === "protocol" || kind === "setup") {
      this.#out.notice("error", message);
      return;
    }
    this.#log("error", `command failed: ${message}`);
    this.#out.notice("error", "command failed, check server logs");
  }

  #log(level: "error" | "warn" | "info", message: string): void {
    this.#deps.log(level, this.#ctx.who, message);
  }
}

/**
 * RE2's reason in a PatternError's message (`invalid regular expression "(": error parsing
 * regexp: missing closing ): \`(\``), which is what Go's regexp says; other messages as they are.
 */
function regexReason(message: string): string {
  return /^invalid regular expression "(?:[^"\\]|\\.)*": (.*)$/s.exec(message)?.[1] ?? message;
}

/** An error of the operating system (a read failing with EPERM on a /proc file, EIO, …). */
function isOsError(err: unknown): boolean {
  return Object.values(Deno.errors).some((kind) => err instanceof kind);
}

/** What a read command holds while it runs or waits: its path, pattern and options. */
function commandText(command: ReadCommand): number {
  let n = command.path.length + command.regex.pattern.length;
  for (const key in command.options) n += key.length + command.options[key]!.length;
  return n;
}
