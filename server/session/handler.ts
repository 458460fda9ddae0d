/**
 * The DTail protocol handler of one SSH session (§3, §4.4–4.9): reads command frames, runs
 * cat/grep/tail through the same core/ pipeline as serverless mode, and frames the selected
 * lines as wire messages. It knows nothing of SSH: it talks to a SessionIO.
 */
import { expandGlob, globLimitNotice, GlobPatternError, sourceId } from "../../core/glob.ts";
import { readFileChunks } from "../../core/chunks.ts";
import { decodeChunks, SourceError } from "../../core/source.ts";
import { maybeYield } from "../../core/turns.ts";
import { CorruptInputError } from "../../core/compression.ts";
import { PatternError } from "../../core/matcher.ts";
import { filterChunks, SourceFilter } from "../../core/pipeline.ts";
import { followGlob } from "../../core/follow_glob.ts";
import { DirectoryWatchers } from "../../core/waker.ts";
import { decodeFrame, FrameError, FrameReader } from "../../core/protocol/frames.ts";
import { CommandError, parseCommand, type ReadCommand } from "../../core/protocol/commands.ts";
import { OptionsError } from "../../core/protocol/options.ts";
import { CLOSE_REQUEST } from "../../core/protocol/messages.ts";
import { parseQuery, QueryError } from "../../core/mapr/query.ts";
import { fullHostname } from "../../core/hostname.ts";
import { MapStage } from "./map_stage.ts";
import { RegexWireError } from "../../core/protocol/regex_wire.ts";
import type { Semaphore, Slot } from "../../core/semaphore.ts";
import { SessionOutput } from "./session_output.ts";
import { SessionClosedError } from "./outbox.ts";
import { PermissionDeniedError } from "../access/safe_open.ts";
import { lineRegex, prepend, readFilter } from "./read_filter.ts";

import type { HandlerDeps, SessionInfo, SessionIO } from "./session_context.ts";

export { CAPABILITIES } from "./session_output.ts";
export type { HandlerDeps, LogLevel, SessionInfo, SessionIO } from "./session_context.ts";

/**
 * What the client is told about a file it may not or cannot read (§4.2): nothing more. A WARN
 * notice, as the Go dserver sends it (a Go client colors notices by their level).
 */
export const UNREADABLE = "Unable to read file(s), check server logs";
/** The Go dserver's notice for a line split at MaxLineLength; its context field is the file. */
const LONG_LINE = "Long log line, splitting into multiple lines";
/** How long a session of a Go client stays open for more commands once all have finished. */
const CLOSE_GRACE_MS = 100;

export async function handleSession(
  io: SessionIO,
  info: SessionInfo,
  deps: HandlerDeps,
): Promise<void> {
  await new Session(io, info, deps).run();
}

class Session {
  readonly #out: SessionOutput;
  /** Stops the session's work: reads, follows, queued commands. */
  readonly #abort = new AbortController();
  /** The client is gone or stalled: nothing more can be sent (pending flushes fail at once). */
  readonly #gone = new AbortController();
  readonly #watchers: DirectoryWatchers;
  /** The session's map stage once a `map:` command came; reads then feed it (§5.10). */
  #map: MapStage | null = null;
  #active = 0;
  #tails = 0;
  #queue: Promise<void> = Promise.resolve();
  #closing = false;
  /** The session's `map:` query was refused: its reads are not run (§5.15). */
  #mapRefused = false;
  #grace: ReturnType<typeof setTimeout> | undefined;
  /** The input ended and the session is being torn down: nothing may start closing again. */
  #ended = false;
  #ackReceived: (() => void) | null = null;

  constructor(
    private readonly io: SessionIO,
    private readonly info: SessionInfo,
    private readonly deps: HandlerDeps,
  ) {
    this.#out = new SessionOutput(io, {
      hostname: deps.hostname,
      who: this.#who(),
      capabilities: deps.capabilities,
      gone: this.#gone.signal,
    });
    this.#watchers = new DirectoryWatchers(this.#abort.signal);
    io.closed?.addEventListener("abort", () => this.#clientGone("the connection closed"), {
      once: true,
    });
  }

  /** Ends the session's work and output at once; every slot it holds or waits for goes back. */
  #clientGone(why: string): void {
    if (this.#gone.signal.aborted) return;
    this.deps.log("debug", this.#who(), `ending session: ${why}`);
    this.#gone.abort();
    this.#abort.abort();
  }

  /**
   * A client that takes no output for ReadStallTimeoutSeconds while output waits for it would
   * hold its read slots and connection forever: it is disconnected.
   */
  #watchStalls(): ReturnType<typeof setInterval> {
    const seconds = this.deps.config.Server.ReadStallTimeoutSeconds;
    const limit = seconds * 1000;
    return setInterval(() => {
      if (this.#out.stalledMs() < limit || this.#gone.signal.aborted) return;
      this.deps.log("warn", this.#who(), `client took no output for ${seconds} s, closing session`);
      this.#clientGone("stalled");
      this.io.close();
    }, Math.min(1000, Math.max(50, limit / 4)));
  }

  async run(): Promise<void> {
    if (!this.info.health && this.deps.capabilities !== null) {
      this.#out.advertiseCapabilities();
      await this.#out.flush(); // clients wait for this before they send their commands
    }
    const frames = new FrameReader(this.deps.config.Server.MaxCommandFrameSize);
    const stalls = this.#watchStalls();
    try {
      for await (const chunk of this.io.input) {
        let texts: string[];
        try {
          texts = frames.push(chunk);
        } catch (err) {
          this.#out.notice("error", (err as Error).message);
          this.deps.log("warn", this.#who(), `closing session: ${(err as Error).message}`);
          break;
        }
        // Dispatch every frame of this read before anything can finish, so a quick first
        // command does not close the session before the next one was seen.
        for (const text of texts) this.#dispatch(text);
        await this.#out.flush();
        if (this.#closing) break;
      }
    } catch (err) {
      this.deps.log("debug", this.#who(), `input ended: ${(err as Error).message}`);
    } finally {
      clearInterval(stalls);
      this.#ended = true;
      clearTimeout(this.#grace);
      this.#abort.abort();
      this.#map?.stop();
      await this.#queue.catch(() => {});
      await this.#out.flush().catch(() => {}); // a last notice, e.g. why we close
      this.io.close();
    }
  }

  #dispatch(frame: string): void {
    let text: string;
    try {
      text = decodeFrame(frame);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      // As the Go dserver: a protocol version it cannot use is reported without the newline of
      // other notices (the message of a protocol 3 client has one of its own); bad base64 with.
      const newline = err.message.startsWith("unable to decode client message");
      this.#out.notice("error", err.message, { newline });
      return;
    }
    let command;
    try {
      command = parseCommand(text);
    } catch (err) {
      if (
        !(err instanceof CommandError || err instanceof OptionsError ||
          err instanceof RegexWireError)
      ) {
        throw err;
      }
      const message = err instanceof RegexWireError
        ? `Unable to parse command|${err.message}` // the Go dserver's words for a bad regex
        : err.message;
      this.#out.notice("error", message);
      return;
    }
    // Once closing, only the client's acknowledgement counts (§3.12: a health session shuts
    // down at once, also when more frames came in the same read).
    if (this.#closing && command.kind !== "ack-close") return;
    if (this.info.health && command.kind !== "health") {
      this.#out.notice("error", `health sessions only take the health command`);
      this.#shutdown();
      return;
    }
    switch (command.kind) {
      case "ack-close":
        this.#ackReceived?.();
        return;
      case "authkey":
        this.#out.rawNotice(this.deps.registerAuthKey(this.info.user, command.key));
        return;
      case "health":
        this.#out.rawNotice("OK");
        this.#shutdown();
        return;
      case "read":
        this.#out.latch(command.options);
        if (this.#mapRefused) {
          // Without it the lines would stream to a dmap client as raw log lines.
          this.deps.log("warn", this.#who(), `not reading ${command.path}: map query refused`);
          this.#maybeShutdown();
          return;
        }
        this.#startRead(command);
        return;
      case "map":
        this.#out.latch(command.options);
        this.#startMap(command.query);
        return;
      case "session":
        this.#out.notice("error", `${command.kind} commands are not supported by this server yet`);
        return;
      case "unknown": {
        // As the Go dserver: the command name before any ":", the number of words, and the
        // words as Go prints a slice.
        const words = [command.name, ...command.args];
        this.#out.notice(
          "error",
          `Received unknown user command|${command.name.split(":")[0]}|${words.length}|[${
            words.join(" ")
          }]`,
        );
      }
    }
  }

  #startMap(text: string): void {
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
    this.#map = new MapStage(query, {
      aggregate: (message) => this.#out.payload(message),
      control: (text) => this.#out.control(text),
      flush: () => this.#out.flush(),
    }, {
      serverLogFormat: this.deps.config.Server.MapreduceLogFormat,
      hostname: fullHostname(),
      shortHostname: this.deps.hostname,
      warn: (message) => this.deps.log("warn", this.#who(), message),
      maxLineLength: this.deps.config.Server.MaxLineLength,
    });
  }

  #startRead(command: ReadCommand): void {
    this.#active++;
    const finish = () => {
      this.#active--;
      if (command.verb === "tail") this.#tails--;
      this.#maybeShutdown();
    };
    if (command.verb === "tail") {
      this.#tails++;
      this.#follow(command).catch((err) => this.#failed(err)).finally(finish);
      return;
    }
    // cat and grep run one after the other, in the order sent: output order is deterministic
    // and the same as in serverless mode.
    this.#queue = this.#queue.then(() => this.#readWhole(command)).catch((err) => this.#failed(err))
      .finally(finish);
  }

  /** The files a cat/grep reads: the glob expanded for the user, within the server's bounds. */
  async #files(command: ReadCommand, signal: AbortSignal): Promise<{ path: string; id: string }[]> {
    const { MaxGlobTargets, MaxGlobDirs } = this.deps.config.Server;
    const found = await expandGlob(command.path, {
      maxTargets: MaxGlobTargets,
      maxDirs: MaxGlobDirs,
      canList: this.#canList,
      signal,
    });
    if (found.limit !== null) {
      const bounds = { maxTargets: MaxGlobTargets, maxDirs: MaxGlobDirs };
      this.#out.notice("warn", globLimitNotice(command.path, found.limit, bounds));
    }
    return found.paths.map((path) => ({ path, id: sourceId(command.path, path) }));
  }

  readonly #canList = (dir: string): boolean => this.deps.canList?.(this.info.user, dir) ?? true;
  readonly #open = (path: string) => this.deps.open(this.info.user, path);

  async #readWhole(command: ReadCommand): Promise<void> {
    const signal = this.#deadline(command);
    const filter = readFilter(command, this.deps.config.Server.MaxLineLength, this.#out.plain);
    const printer = this.#map ?? this.#out.printer(true);
    const files = await this.#files(command, signal);
    if (files.length === 0) {
      this.deps.log("warn", this.#who(), `no file matches ${command.path}`);
      this.#out.notice("warn", UNREADABLE);
    }
    for (const { path, id } of files) {
      // Opening and refusing files is work too: thousands of them must not hold the loop.
      await maybeYield();
      if (signal.aborted) return;
      using slot = await this.#take(this.deps.cats, signal, path);
      if (slot === null) return;
      let file: Deno.FsFile | null = null;
      try {
        const opened = this.#open(path);
        file = opened.file;
        if (
          printer instanceof MapStage &&
          await printer.wholeFile(opened, id, lineRegex(command), signal)
        ) {
          continue;
        }
        const chunks = decodeChunks(path, (o) => readFileChunks(opened.file, o));
        const long = () => this.#out.notice("warn", LONG_LINE, { context: path });
        // filterChunks returns to the event loop now and then (other sessions, the map's interval
        // timer, aborts) and stops once the signal aborted.
        for await (const sel of filterChunks(chunks, { ...filter, onLongLine: long, signal })) {
          if (printer instanceof MapStage) printer.selection(sel, id);
          else {
            printer.print(sel, id);
            if (this.#out.backlog >= 64 * 1024) await this.#out.flush();
          }
        }
        await this.#out.flush();
      } catch (err) {
        this.#unreadable(path, err);
      } finally {
        file?.close();
      }
    }
  }

  async #follow(command: ReadCommand): Promise<void> {
    const signal = this.#deadline(command);
    const filter = readFilter(command, this.deps.config.Server.MaxLineLength, this.#out.plain);
    const map = this.#map;
    const printer = map === null ? this.#out.printer(false) : null;
    await followGlob(command.path, {
      signal,
      // Every open of a followed file (rotation, truncation, re-creation, new glob matches) is
      // the checked open: a path swapped for a symlink or a FIFO is refused, never read.
      open: this.#open,
      onRefused: (path, err) => this.#unreadable(path, err),
      canList: this.#canList,
      maxDirs: this.deps.config.Server.MaxGlobDirs,
      watchers: this.#watchers,
      maxTargets: this.deps.config.Server.MaxGlobTargets,
      onNotice: (message) => this.deps.log("info", this.#who(), message),
    }, async (file) => {
      try {
        // Refused or missing at the start: say so at once (later refusals come via onRefused).
        this.#open(file.path).file.close();
      } catch (err) {
        this.#unreadable(file.path, err);
        return;
      }
      // The first incarnation pins where following starts: lines written while this tail
      // waits for a MaxConcurrentTails slot are delivered once it gets one.
      const first = await file.incarnations.next();
      if (first.done) return;
      using slot = await this.#take(this.deps.tails, signal, file.path);
      if (slot === null) {
        await file.incarnations.return(undefined);
        return;
      }
      const long = () => this.#out.notice("warn", LONG_LINE, { context: file.path });
      const options = { ...filter, onLongLine: long, signal };
      const source = new SourceFilter(options); // one selection state across incarnations
      try {
        for await (const incarnation of prepend(first.value, file.incarnations)) {
          for await (const sel of filterChunks(incarnation, options, source)) {
            if (map !== null) map.selection(sel, file.sourceId);
            else printer!.print(sel, file.sourceId);
            await this.#out.flush();
          }
          if (source.done) return;
        }
      } catch (err) {
        this.#unreadable(file.path, err); // this file ends; the others are still followed
      }
    });
  }

  /**
   * A MaxConcurrentCats/Tails slot, null when the session ended first; a wait is logged (§4.3)
   * so a silent client is explained. The caller holds it with `using`: it goes back on every
   * path out.
   */
  async #take(slots: Semaphore, signal: AbortSignal, path: string): Promise<Slot | null> {
    if (slots.free > 0 || signal.aborted) return await slots.take(signal);
    this.deps.log("info", this.#who(), `Server limit hit, queueing file|${path}`);
    const slot = await slots.take(signal);
    if (slot) this.deps.log("info", this.#who(), `Server limit OK now, processing file|${path}`);
    return slot;
  }

  /** The session's signal, cut short by the command's `timeout` prefix. */
  #deadline(command: ReadCommand): AbortSignal {
    if (command.timeout <= 0) return this.#abort.signal;
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(command.timeout * 1000)]);
  }

  #unreadable(path: string, err: unknown): void {
    if (err instanceof SessionClosedError) throw err; // not the file's fault
    const known = err instanceof SourceError || err instanceof CorruptInputError ||
      err instanceof PermissionDeniedError || isOsError(err);
    if (!known) throw err;
    this.deps.log("warn", this.#who(), `cannot read ${path}: ${(err as Error).message}`);
    // A damaged compressed file: the Go dserver sends its partial last line and says nothing;
    // we send the whole lines that decoded and say where the damage is (docs/decisions.md).
    if (err instanceof CorruptInputError) this.#out.notice("error", err.message);
    else this.#out.notice("warn", UNREADABLE);
  }

  #failed(err: unknown): void {
    if (err instanceof SessionClosedError) return; // the client is gone: nothing to tell
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof PatternError) {
      // The Go dserver's words: "Unable to parse command|" and RE2's reason.
      this.#out.notice("error", `Unable to parse command|${regexReason(message)}`);
      return;
    }
    if (err instanceof OptionsError || err instanceof GlobPatternError) {
      this.#out.notice("error", message);
      return;
    }
    this.deps.log("error", this.#who(), `command failed: ${message}`);
    this.#out.notice("error", "command failed, check server logs");
  }

  #maybeShutdown(): void {
    if (this.#active !== 0 || this.#tails !== 0 || this.#ended) return;
    // Our client sends all its commands in one write (cli/remote_session.ts). A Go client writes
    // them one at a time, so a quick first command can end before the next one is read: wait a
    // moment for more (like the Go server's 100 ms grace at the end of input, §5.10).
    clearTimeout(this.#grace);
    if (this.#out.escape) this.#finish();
    else {
      this.#grace = setTimeout(() => {
        if (this.#active === 0 && this.#tails === 0 && !this.#ended) this.#finish();
      }, CLOSE_GRACE_MS);
    }
  }

  #finish(): void {
    if (this.#map !== null) {
      // All input is read: the last groups go out before the close request (§3.13).
      this.#map.stop();
      this.#map.send();
    }
    this.#shutdown();
  }

  /** §3.13: ask the client to close, wait for its ack (bounded), then end the session. */
  #shutdown(): void {
    if (this.#closing) return;
    this.#closing = true;
    const acked = new Promise<void>((resolve) => (this.#ackReceived = resolve));
    this.#out.control(CLOSE_REQUEST);
    const timeout = this.deps.closeAckTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#out.flush()
      .then(() => Promise.race([acked, new Promise<void>((r) => (timer = setTimeout(r, timeout)))]))
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        this.#abort.abort();
        this.io.close();
      });
  }

  #who(): string {
    return `${this.info.user}@${this.info.remote}`;
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
