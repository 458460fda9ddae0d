/**
 * The DTail protocol handler of one SSH session (§3, §4.4–4.9): reads command frames, runs
 * cat/grep/tail through the same core/ pipeline as serverless mode, and frames the selected
 * lines as wire messages. It knows nothing of SSH: it talks to a SessionIO.
 */
import { expandGlob, sourceId } from "../core/glob.ts";
import { readFileChunks } from "../core/chunks.ts";
import { decodeChunks, SourceError } from "../core/source.ts";
import { CorruptInputError } from "../core/compression.ts";
import { PatternError } from "../core/matcher.ts";
import { filterChunks } from "../core/pipeline.ts";
import { LineSelector } from "../core/select.ts";
import { splitLines } from "../core/lines.ts";
import { followGlob } from "../core/follow_glob.ts";
import { DirectoryWatchers } from "../core/waker.ts";
import { decodeFrame, FrameError, FrameReader } from "../core/protocol/frames.ts";
import { CommandError, parseCommand, type ReadCommand } from "../core/protocol/commands.ts";
import { OptionsError } from "../core/protocol/options.ts";
import { CLOSE_REQUEST } from "../core/protocol/messages.ts";
import { parseQuery, QueryError } from "../core/mapr/query.ts";
import { fullHostname } from "../core/hostname.ts";
import { MapStage } from "./map_stage.ts";
import { RegexWireError } from "../core/protocol/regex_wire.ts";
import type { Semaphore } from "./semaphore.ts";
import { SessionOutput } from "./session_output.ts";
import { lineRegex, prepend, readFilter } from "./read_helpers.ts";

import type { HandlerDeps, SessionInfo, SessionIO } from "./session_deps.ts";

export { CAPABILITIES } from "./session_output.ts";
export type { HandlerDeps, LogLevel, SessionInfo, SessionIO } from "./session_deps.ts";

/** What the client is told about a file it may not or cannot read (§4.2): nothing more. */
export const UNREADABLE = "Unable to read file(s), check server logs";
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
  readonly #abort = new AbortController();
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
    });
    this.#watchers = new DirectoryWatchers(this.#abort.signal);
  }

  async run(): Promise<void> {
    if (!this.info.health && this.deps.capabilities !== null) {
      this.#out.advertiseCapabilities();
      await this.#out.flush(); // clients wait for this before they send their commands
    }
    const frames = new FrameReader(this.deps.config.Server.MaxCommandFrameSize);
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
      this.#out.notice("error", err.message);
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
      this.#out.notice("error", err.message);
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
      case "unknown":
        this.#out.notice(
          "error",
          `Received unknown user command|${command.name}|${command.args.length}|${
            command.args.join(" ")
          }`,
        );
    }
  }

  #startMap(text: string): void {
    let query;
    try {
      query = parseQuery(text);
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      this.#out.notice("error", err.message);
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

  #files(command: ReadCommand): { path: string; id: string }[] {
    const max = this.deps.config.Server.MaxGlobTargets;
    const paths = expandGlob(command.path);
    if (paths.length > max) {
      this.#out.notice(
        "warn",
        `${command.path}: ${paths.length} files match, reading the first ${max}`,
      );
      paths.length = max;
    }
    return paths.map((path) => ({ path, id: sourceId(command.path, path) }));
  }

  async #readWhole(command: ReadCommand): Promise<void> {
    const signal = this.#deadline(command);
    const filter = readFilter(command, this.deps.config.Server.MaxLineLength, this.#out.plain);
    const printer = this.#map ?? this.#out.printer(true);
    const files = this.#files(command);
    if (files.length === 0) {
      this.deps.log("warn", this.#who(), `no file matches ${command.path}`);
      this.#out.notice("error", UNREADABLE);
    }
    for (const { path, id } of files) {
      if (signal.aborted) return;
      if (!(await this.#acquire(this.deps.cats, signal, path))) return;
      let file: Deno.FsFile | null = null;
      try {
        file = this.deps.open(this.info.user, path);
        if (
          printer instanceof MapStage &&
          await printer.wholeFile(file, path, id, lineRegex(command), signal)
        ) {
          continue;
        }
        const opened = file;
        const chunks = decodeChunks(path, (o) => readFileChunks(opened, o));
        const long = () => this.#out.notice("warn", "Long log line, splitting into multiple lines");
        let batches = 0;
        for await (const sel of filterChunks(chunks, { ...filter, onLongLine: long })) {
          if (printer instanceof MapStage) {
            printer.selection(sel, id);
            // Sync reads never return to the event loop: let the interval timer and aborts run.
            if (++batches % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
          } else {
            printer.print(sel, id);
            if (this.#out.backlog >= 64 * 1024) await this.#out.flush();
          }
          if (signal.aborted) break;
        }
        await this.#out.flush();
      } catch (err) {
        this.#unreadable(path, err);
      } finally {
        file?.close();
        this.deps.cats.release();
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
      watchers: this.#watchers,
      maxTargets: this.deps.config.Server.MaxGlobTargets,
      onNotice: (message) => this.deps.log("info", this.#who(), message),
    }, async (file) => {
      try {
        // The permission check runs once per followed path, before anything is read.
        this.deps.open(this.info.user, file.path).close();
      } catch (err) {
        this.#unreadable(file.path, err);
        return;
      }
      // The first incarnation pins where following starts: lines written while this tail
      // waits for a MaxConcurrentTails slot are delivered once it gets one.
      const first = await file.incarnations.next();
      if (first.done) return;
      if (!(await this.#acquire(this.deps.tails, signal, file.path))) {
        await file.incarnations.return(undefined);
        return;
      }
      try {
        const selector = new LineSelector(filter.matcher, filter);
        for await (const incarnation of prepend(first.value, file.incarnations)) {
          const long = () =>
            this.#out.notice("warn", "Long log line, splitting into multiple lines");
          for await (const batch of splitLines(incarnation, { ...filter, onLongLine: long })) {
            for (const sel of selector.select(batch)) {
              if (map !== null) map.selection(sel, file.sourceId);
              else printer!.print(sel, file.sourceId);
            }
            await this.#out.flush();
            if (selector.done) return;
          }
        }
      } finally {
        this.deps.tails.release();
      }
    });
  }

  /** A MaxConcurrentCats/Tails slot; a wait is logged (§4.3) so a silent client is explained. */
  async #acquire(slots: Semaphore, signal: AbortSignal, path: string): Promise<boolean> {
    if (slots.free > 0) return await slots.acquire(signal);
    this.deps.log("info", this.#who(), `Server limit hit, queueing file|${path}`);
    const granted = await slots.acquire(signal);
    if (granted) this.deps.log("info", this.#who(), `Server limit OK now, processing file|${path}`);
    return granted;
  }

  /** The session's signal, cut short by the command's `timeout` prefix. */
  #deadline(command: ReadCommand): AbortSignal {
    if (command.timeout <= 0) return this.#abort.signal;
    return AbortSignal.any([this.#abort.signal, AbortSignal.timeout(command.timeout * 1000)]);
  }

  #unreadable(path: string, err: unknown): void {
    const known = err instanceof SourceError || err instanceof CorruptInputError ||
      (err instanceof Error && err.name === "PermissionDeniedError");
    if (!known) throw err;
    this.deps.log("warn", this.#who(), `cannot read ${path}: ${(err as Error).message}`);
    if (err instanceof CorruptInputError) this.#out.notice("error", err.message);
    else this.#out.notice("error", UNREADABLE);
  }

  #failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof PatternError || err instanceof OptionsError) {
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
