/**
 * The DTail protocol handler of one SSH session (§3, §4.4–4.9): reads command frames, runs
 * cat/grep/tail through the same core/ pipeline as serverless mode, and frames the selected
 * lines as wire messages. It knows nothing of SSH: it talks to a SessionIO.
 */
import type { Config } from "../core/config.ts";
import { SelectionPrinter } from "../core/frame.ts";
import { expandGlob, sourceId } from "../core/glob.ts";
import { readFileChunks } from "../core/chunks.ts";
import { decodeChunks, SourceError } from "../core/source.ts";
import { CorruptInputError } from "../core/compression.ts";
import { compileMatcher, type Matcher, PatternError } from "../core/matcher.ts";
import { filterChunks } from "../core/pipeline.ts";
import { LineSelector } from "../core/select.ts";
import { splitLines } from "../core/lines.ts";
import { followGlob } from "../core/follow_glob.ts";
import { DirectoryWatchers } from "../core/waker.ts";
import { BLOCK_CAPABILITY, BLOCK_OPTION, BLOCK_OPTION_VALUE } from "../core/protocol/blocks.ts";
import { decodeFrame, FrameError, FrameReader } from "../core/protocol/frames.ts";
import { CommandError, parseCommand, type ReadCommand } from "../core/protocol/commands.ts";
import { intOption, type Options, OptionsError } from "../core/protocol/options.ts";
import {
  capabilitiesMessage,
  CLOSE_REQUEST,
  CONTROL_MARKER,
  DELIMITER,
  ESCAPE_CAPABILITY,
  ESCAPE_OPTION,
  escapeMessage,
} from "../core/protocol/messages.ts";
import { parseQuery, QueryError } from "../core/mapr/query.ts";
import { fullHostname } from "../core/hostname.ts";
import { MapStage } from "./map_stage.ts";
import type { LineRegex } from "../core/mapr/parallel_map.ts";
import { RegexWireError } from "../core/protocol/regex_wire.ts";
import { Outbox } from "./outbox.ts";
import type { Semaphore } from "./semaphore.ts";

export interface SessionIO {
  readonly input: AsyncIterable<Uint8Array>;
  /** Resolves when the channel accepted the bytes (back-pressure). */
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

export interface SessionInfo {
  readonly user: string;
  /** `ip:port` of the client. */
  readonly remote: string;
  readonly health: boolean;
}

export type LogLevel = "error" | "warn" | "info" | "debug";

export interface HandlerDeps {
  readonly config: Config;
  /** Short host name for `REMOTE|host|…` and `SERVER|host|…`. */
  readonly hostname: string;
  /** Opens a file for the SSH user after the permission checks; throws with the reason. */
  open(user: string, path: string): Deno.FsFile;
  log(level: LogLevel, ...fields: string[]): void;
  readonly cats: Semaphore;
  readonly tails: Semaphore;
  /** Handles `AUTHKEY <key>`; returns the reply text (`AUTHKEY OK` / `AUTHKEY ERR …`). */
  registerAuthKey(user: string, key: string): string;
  readonly closeAckTimeoutMs?: number;
  /**
   * What the server advertises and honours; default CAPABILITIES. Tests pass the list of a Go
   * dserver (`query-update-v1`) to check our client against the plain Go wire, or null for an
   * old server that advertises nothing.
   */
  readonly capabilities?: readonly string[] | null;
}

/** What the client is told about a file it may not or cannot read (§4.2): nothing more. */
export const UNREADABLE = "Unable to read file(s), check server logs";
export const CAPABILITIES = [ESCAPE_CAPABILITY, BLOCK_CAPABILITY];
/** How long a session of a Go client stays open for more commands once all have finished. */
const CLOSE_GRACE_MS = 100;

export async function handleSession(
  io: SessionIO,
  info: SessionInfo,
  deps: HandlerDeps,
): Promise<void> {
  await new Session(io, info, deps).run();
}

const encoder = new TextEncoder();

class Session {
  readonly #outbox: Outbox;
  readonly #abort = new AbortController();
  readonly #watchers: DirectoryWatchers;
  #latched: Options | null = null;
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
    this.#outbox = new Outbox(io);
    this.#watchers = new DirectoryWatchers(this.#abort.signal);
  }

  get #capabilities(): readonly string[] {
    return this.deps.capabilities === undefined ? CAPABILITIES : this.deps.capabilities ?? [];
  }

  get #escape(): boolean {
    return this.#latched?.[ESCAPE_OPTION] === "ac" &&
      this.#capabilities.includes(ESCAPE_CAPABILITY);
  }

  /** Raw blocks (protocol/blocks.ts): only with escaping and plain output. */
  get #blocks(): boolean {
    return this.#escape && this.#plain && this.#capabilities.includes(BLOCK_CAPABILITY) &&
      this.#latched?.[BLOCK_OPTION] === BLOCK_OPTION_VALUE;
  }

  get #plain(): boolean {
    return this.#latched?.plain === "true";
  }

  async run(): Promise<void> {
    if (!this.info.health && this.deps.capabilities !== null) {
      this.#control(capabilitiesMessage(this.#capabilities));
      await this.#outbox.flush(); // clients wait for this before they send their commands
    }
    const frames = new FrameReader(this.deps.config.Server.MaxCommandFrameSize);
    try {
      for await (const chunk of this.io.input) {
        let texts: string[];
        try {
          texts = frames.push(chunk);
        } catch (err) {
          this.#notice("error", (err as Error).message);
          this.deps.log("warn", this.#who(), `closing session: ${(err as Error).message}`);
          break;
        }
        // Dispatch every frame of this read before anything can finish, so a quick first
        // command does not close the session before the next one was seen.
        for (const text of texts) this.#dispatch(text);
        await this.#outbox.flush();
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
      await this.#outbox.flush().catch(() => {}); // a last notice, e.g. why we close
      this.io.close();
    }
  }

  #dispatch(frame: string): void {
    let text: string;
    try {
      text = decodeFrame(frame);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.#notice("error", err.message);
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
      this.#notice("error", err.message);
      return;
    }
    // Once closing, only the client's acknowledgement counts (§3.12: a health session shuts
    // down at once, also when more frames came in the same read).
    if (this.#closing && command.kind !== "ack-close") return;
    if (this.info.health && command.kind !== "health") {
      this.#notice("error", `health sessions only take the health command`);
      this.#shutdown();
      return;
    }
    switch (command.kind) {
      case "ack-close":
        this.#ackReceived?.();
        return;
      case "authkey":
        this.#rawNotice(this.deps.registerAuthKey(this.info.user, command.key));
        return;
      case "health":
        this.#rawNotice("OK");
        this.#shutdown();
        return;
      case "read":
        this.#latch(command.options);
        if (this.#mapRefused) {
          // Without it the lines would stream to a dmap client as raw log lines.
          this.deps.log("warn", this.#who(), `not reading ${command.path}: map query refused`);
          this.#maybeShutdown();
          return;
        }
        this.#startRead(command);
        return;
      case "map":
        this.#latch(command.options);
        this.#startMap(command.query);
        return;
      case "session":
        this.#notice("error", `${command.kind} commands are not supported by this server yet`);
        return;
      case "unknown":
        this.#notice(
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
      this.#notice("error", err.message);
      this.#mapRefused = true;
      return;
    }
    this.#map?.stop();
    this.#map = new MapStage(query, {
      aggregate: (message) => this.#payload(message),
      control: (text) => this.#control(text),
      flush: () => this.#outbox.flush(),
    }, {
      serverLogFormat: this.deps.config.Server.MapreduceLogFormat,
      hostname: fullHostname(),
      shortHostname: this.deps.hostname,
      warn: (message) => this.deps.log("warn", this.#who(), message),
      maxLineLength: this.deps.config.Server.MaxLineLength,
    });
  }

  /** `plain`, `quiet` and `escape` are latched by the first command that carries options. */
  #latch(options: Options): void {
    if (this.#latched === null && Object.keys(options).length > 0) this.#latched = options;
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

  #matcher(command: ReadCommand): Matcher {
    const { regex } = command;
    return compileMatcher(regex.flag === "noop" ? "" : regex.pattern, {
      noopAllowed: regex.flag === "noop",
    });
  }

  #filter(command: ReadCommand) {
    const context = command.verb === "cat" ? { before: 0, after: 0, max: 0 } : {
      before: intOption(command.options, "before"),
      after: intOption(command.options, "after"),
      max: intOption(command.options, "max"),
    };
    return {
      matcher: this.#matcher(command),
      invert: command.regex.flag === "invert",
      ...context,
      maxLineLength: this.deps.config.Server.MaxLineLength,
      numbered: !this.#plain,
    };
  }

  #printer(keepNewline: boolean): SelectionPrinter {
    return new SelectionPrinter(this.#outbox.out, {
      plain: this.#plain,
      color: false,
      hostname: this.deps.hostname,
      wire: { keepNewline, escape: this.#escape, blocks: this.#blocks },
    });
  }

  #files(command: ReadCommand): { path: string; id: string }[] {
    const max = this.deps.config.Server.MaxGlobTargets;
    const paths = expandGlob(command.path);
    if (paths.length > max) {
      this.#notice(
        "warn",
        `${command.path}: ${paths.length} files match, reading the first ${max}`,
      );
      paths.length = max;
    }
    return paths.map((path) => ({ path, id: sourceId(command.path, path) }));
  }

  async #readWhole(command: ReadCommand): Promise<void> {
    const signal = this.#deadline(command);
    const filter = this.#filter(command);
    const printer = this.#map ?? this.#printer(true);
    const files = this.#files(command);
    if (files.length === 0) {
      this.deps.log("warn", this.#who(), `no file matches ${command.path}`);
      this.#notice("error", UNREADABLE);
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
        const long = () => this.#notice("warn", "Long log line, splitting into multiple lines");
        let batches = 0;
        for await (const sel of filterChunks(chunks, { ...filter, onLongLine: long })) {
          if (printer instanceof MapStage) {
            printer.selection(sel, id);
            // Sync reads never return to the event loop: let the interval timer and aborts run.
            if (++batches % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
          } else {
            printer.print(sel, id);
            if (this.#outbox.backlog >= 64 * 1024) await this.#outbox.flush();
          }
          if (signal.aborted) break;
        }
        await this.#outbox.flush();
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
    const filter = this.#filter(command);
    const map = this.#map;
    const printer = map === null ? this.#printer(false) : null;
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
          const long = () => this.#notice("warn", "Long log line, splitting into multiple lines");
          for await (const batch of splitLines(incarnation, { ...filter, onLongLine: long })) {
            for (const sel of selector.select(batch)) {
              if (map !== null) map.selection(sel, file.sourceId);
              else printer!.print(sel, file.sourceId);
            }
            await this.#outbox.flush();
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
    if (err instanceof CorruptInputError) this.#notice("error", err.message);
    else this.#notice("error", UNREADABLE);
  }

  #failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof PatternError || err instanceof OptionsError) {
      this.#notice("error", message);
      return;
    }
    this.deps.log("error", this.#who(), `command failed: ${message}`);
    this.#notice("error", "command failed, check server logs");
  }

  #maybeShutdown(): void {
    if (this.#active !== 0 || this.#tails !== 0 || this.#ended) return;
    // Our client sends all its commands in one write (cli/remote_session.ts). A Go client writes
    // them one at a time, so a quick first command can end before the next one is read: wait a
    // moment for more (like the Go server's 100 ms grace at the end of input, §5.10).
    clearTimeout(this.#grace);
    if (this.#escape) this.#finish();
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
    this.#control(CLOSE_REQUEST);
    const timeout = this.deps.closeAckTimeoutMs ?? 5000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.#outbox.flush()
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

  /** A log-formatted server notice (§3.6): `SERVER|host|LEVEL|MMDD-HHMMSS|user@ip:port|msg`. */
  #notice(level: LogLevel, message: string): void {
    const text = `${level.toUpperCase()}|${timestamp()}|${this.#who()}|${message}`;
    this.#rawNotice(text);
  }

  #rawNotice(text: string): void {
    const body = this.#plain ? `${text}\n` : `SERVER|${this.deps.hostname}|${text}\n`;
    this.#control(body);
  }

  /** A payload message (a line, an AGGREGATE), escaped when the client asked for it. */
  #payload(text: string): void {
    const bytes = encoder.encode(text);
    const out = this.#outbox.out;
    out.bytes(this.#escape ? escapeMessage(bytes) : bytes);
    out.byte(DELIMITER);
  }

  /** A non-payload message: marked for peers of ours that negotiated escaping (messages.ts). */
  #control(text: string): void {
    const out = this.#outbox.out;
    const bytes = encoder.encode(text);
    if (this.#escape) {
      out.bytes(CONTROL_MARKER);
      out.bytes(escapeMessage(bytes)); // a notice may quote a pattern with "€" in it
    } else out.bytes(bytes);
    out.byte(DELIMITER);
  }
}

/** The read command's line filter, as the map worker takes it. */
function lineRegex(command: ReadCommand): LineRegex {
  const { regex } = command;
  return { pattern: regex.flag === "noop" ? "" : regex.pattern, invert: regex.flag === "invert" };
}

/** `first`, then the rest of the iterator, which is closed when the consumer stops early. */
async function* prepend<T>(first: T, rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    yield first;
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await rest.return?.();
  }
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${
    p(d.getSeconds())
  }`;
}
