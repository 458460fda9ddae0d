/**
 * The DTail protocol handler of one SSH session (docs/protocol.md): reads command frames,
 * dispatches the commands (reads and the map stage run in read_runner.ts), and closes the session
 * when its work is done (docs/protocol.md#close-request). It knows nothing of SSH: it talks to a
 * SessionIO.
 */
import { clip } from "../../core/clip.ts";
import { errorKind } from "../../core/errors.ts";
import { decodeFrame, FrameReader } from "../../core/protocol/frames.ts";
import { parseCommand } from "../../core/protocol/commands.ts";
import { CLOSE_REQUEST } from "../../core/protocol/messages.ts";
import { RegexWireError } from "../../core/protocol/regex_wire.ts";
import { QUERY_UPDATE_CAPABILITY } from "../../core/protocol/session_spec.ts";
import { SessionOutput } from "./session_output.ts";
import { ReadRunner } from "./read_runner.ts";
import { QuerySession } from "./query_session.ts";
import type { HandlerDeps, SessionInfo, SessionIO } from "./session_context.ts";

export { CAPABILITIES } from "./session_output.ts";
export type { HandlerDeps, LogLevel, SessionInfo, SessionIO } from "./session_context.ts";
export { UNREADABLE } from "./read_runner.ts";

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
  /** The legacy commands' reads (not of any SESSION generation). */
  readonly #reads: ReadRunner;
  /** SESSION START / UPDATE (docs/protocol.md#session). */
  readonly #querySession: QuerySession;
  #closing = false;
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
    this.#reads = new ReadRunner({
      deps,
      user: info.user,
      who: this.#who(),
      out: this.#out,
      signal: this.#abort.signal,
      readEnded: () => this.#maybeShutdown(),
    });
    this.#querySession = new QuerySession({
      deps,
      user: info.user,
      who: this.#who(),
      out: this.#out,
      signal: this.#abort.signal,
    });
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
        // command does not close the session before the next one was seen. While the cat/grep
        // queue is full (a read is busy then, so nothing closes), the rest wait for room.
        for (const text of texts) {
          while (this.#reads.full && !this.#abort.signal.aborted) await this.#reads.room();
          if (this.#abort.signal.aborted) break;
          this.#dispatch(text);
        }
        if (texts.length > 0) this.io.settled?.();
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
      await Promise.all([this.#reads.stop(), this.#querySession.stop()]);
      await this.#out.flush().catch(() => {}); // a last notice, e.g. why we close
      this.io.close();
    }
  }

  #dispatch(frame: string): void {
    let text: string;
    try {
      text = decodeFrame(frame);
    } catch (err) {
      if (errorKind(err) !== "protocol") throw err;
      // As the Go dserver: a protocol version it cannot use is reported without the newline of
      // other notices (the message of a protocol 3 client has one of its own); bad base64 with.
      const newline = (err as Error).message.startsWith("unable to decode client message");
      this.#out.notice("error", (err as Error).message, { newline });
      return;
    }
    let command;
    try {
      command = parseCommand(text);
    } catch (err) {
      if (errorKind(err) !== "protocol") throw err;
      const message = err instanceof RegexWireError
        ? `Unable to parse command|${err.message}` // the Go dserver's words for a bad regex
        : (err as Error).message;
      this.#out.notice("error", message);
      return;
    }
    // Once closing, only the client's acknowledgement counts (docs/protocol.md#health-check: a
    // health session shuts down at once, also when more frames came in the same read).
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
        this.#reads.start(command);
        return;
      case "map":
        this.#out.latch(command.options);
        this.#reads.startMap(command.query, command.options);
        return;
      case "session": {
        // A server that does not advertise the capability (a test's stand-in for an older one)
        // does not take the commands either.
        if (this.#out.honours(QUERY_UPDATE_CAPABILITY)) this.#querySession.handle(command.args);
        else this.#out.notice("error", "session commands are not supported by this server yet");
        return;
      }
      case "unknown": {
        // As the Go dserver: the command name before any ":", the number of words, and the
        // words as Go prints a slice.
        const words = [command.name, ...command.args];
        this.#out.notice(
          "error",
          `Received unknown user command|${clip(command.name.split(":")[0]!)}|${words.length}|[${
            clip(words.join(" "), 200)
          }]`,
        );
      }
    }
  }

  #maybeShutdown(): void {
    // While a SESSION is active only the client ends the connection (docs/protocol.md#session).
    if (this.#reads.busy || this.#ended || this.#querySession.active) return;
    // Our client sends all its commands in one write (cli/remote_session.ts). A Go client writes
    // them one at a time, so a quick first command can end before the next one is read: wait a
    // moment for more (like the Go server's 100 ms grace at the end of input,
    // docs/protocol.md#aggregate).
    clearTimeout(this.#grace);
    if (this.#out.escape) this.#finish();
    else {
      this.#grace = setTimeout(() => {
        if (!this.#reads.busy && !this.#ended && !this.#querySession.active) this.#finish();
      }, CLOSE_GRACE_MS);
    }
  }

  #finish(): void {
    this.#reads.sendLastGroups(); // before the close request (docs/protocol.md#close-request)
    this.#shutdown();
  }

  /**
   * docs/protocol.md#close-request: ask the client to close, wait for its ack (bounded), then end
   * the session.
   */
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
