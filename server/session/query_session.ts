/**
 * The SESSION protocol of one connection (docs/protocol.md#session, capability `query-update-v1`):
 * `SESSION START` runs a spec's commands as generation 1, `SESSION UPDATE [<gen>]` replaces them.
 * Each generation runs in its own ReadRunner with its own signal and its own writer
 * (SessionOutput.forGeneration): an update aborts the previous generation's reads and follows at
 * once, stops its map stage without a last send, and drops whatever of it still waits for the
 * channel, before the ack goes out; so nothing of an older generation follows a newer one's ack.
 */
import { parseCommand } from "../../core/protocol/commands.ts";
import {
  SESSION_REASONS,
  sessionAckMessage,
  sessionCommands,
  SessionError,
  type SessionSpec,
} from "../../core/protocol/session_spec.ts";
import { parseSessionCommand } from "../../core/protocol/session_spec_decode.ts";
import { errorKind } from "../../core/errors.ts";
import { RegexWireError } from "../../core/protocol/regex_wire.ts";
import { ReadRunner } from "./read_runner.ts";
import type { HandlerDeps } from "./session_context.ts";
import type { SessionOutput } from "./session_output.ts";

export interface QuerySessionContext {
  readonly deps: HandlerDeps;
  readonly user: string;
  /** `user@ip:port`, for the server log. */
  readonly who: string;
  /** The session's writer (generation 0): acks, and the parent of each generation's writer. */
  readonly out: SessionOutput;
  /** The session's end: every generation's work stops. */
  readonly signal: AbortSignal;
}

interface Generation {
  /** The number the client knows it by (acks). */
  readonly number: number;
  readonly reads: ReadRunner;
  readonly abort: AbortController;
}

export class QuerySession {
  readonly #ctx: QuerySessionContext;
  #current: Generation | null = null;
  /** The replaced generations' reads, still winding down. */
  readonly #retired = new Set<Promise<void>>();
  /** The writers' generations: 1, 2, … in the order started, whatever numbers the client gave. */
  #started = 0;

  constructor(ctx: QuerySessionContext) {
    this.#ctx = ctx;
  }

  /** A session was started: the connection stays open until the client leaves (keep-alive). */
  get active(): boolean {
    return this.#current !== null;
  }

  /** `SESSION <words…>`: answered with an ack or `.syn session err <reason>`. */
  handle(args: readonly string[]): void {
    let command;
    try {
      command = parseSessionCommand(args);
    } catch (err) {
      if (!(err instanceof SessionError)) throw err;
      this.#refuse(err.message);
      return;
    }
    const previous = this.#current;
    if (command.action === "start" && previous !== null) {
      this.#refuse(SESSION_REASONS.alreadyStarted);
      return;
    }
    if (command.action === "update" && previous === null) {
      this.#refuse(SESSION_REASONS.notStarted);
      return;
    }
    const number = command.action === "start" ? 1 : command.generation ?? previous!.number + 1;
    this.#replace(command.spec, number);
    this.#log("info", `session ${command.action} ok, generation ${number}`);
  }

  /** The session ends: every generation stops; resolves when their queued reads are done. */
  async stop(): Promise<void> {
    const current = this.#current;
    if (current !== null) this.#retire(current);
    await Promise.all([...this.#retired]);
  }

  /** Aborts a generation's reads and follows at once; its map stage stops without a last send. */
  #retire(generation: Generation): void {
    generation.abort.abort();
    generation.reads.abandon();
    const stopped = generation.reads.stop();
    this.#retired.add(stopped);
    stopped.finally(() => this.#retired.delete(stopped));
  }

  #replace(spec: SessionSpec, number: number): void {
    const { out } = this.#ctx;
    // The spec's options are latched (once per connection) before the ack, which they may escape.
    out.latch(spec.options);
    const generation = ++this.#started;
    out.startGeneration(generation); // older generations' output is dropped from here on
    const previous = this.#current;
    if (previous !== null) this.#retire(previous);
    const action = previous === null ? "start" : "update";
    out.control(sessionAckMessage({ ok: true, action, generation: number }));
    const abort = new AbortController();
    const writer = out.forGeneration(generation);
    const reads: ReadRunner = new ReadRunner({
      deps: this.#ctx.deps,
      user: this.#ctx.user,
      who: this.#ctx.who,
      out: writer,
      signal: AbortSignal.any([this.#ctx.signal, abort.signal]),
      // All of a generation's commands are dispatched at once: when none runs any more, its
      // input is read and a map's last groups go out (the session itself stays open).
      readEnded: () => {
        if (reads.busy || abort.signal.aborted) return;
        reads.sendLastGroups();
        writer.flush().catch(() => {});
      },
    });
    this.#current = { number, reads, abort };
    for (const text of sessionCommands(spec)) this.#dispatch(text, reads, writer);
  }

  /** One legacy command of a generation (validated with the spec: a read, a map or health). */
  #dispatch(text: string, reads: ReadRunner, writer: SessionOutput): void {
    let command;
    try {
      command = parseCommand(text);
    } catch (err) {
      if (errorKind(err) !== "protocol") throw err;
      const message = err instanceof RegexWireError
        ? `Unable to parse command|${err.message}`
        : (err as Error).message;
      writer.notice("error", message);
      return;
    }
    switch (command.kind) {
      case "read":
        reads.start(command);
        return;
      case "map":
        reads.startMap(command.query);
        return;
      default:
        // A health spec: the Go dserver takes `health` for an unknown command in such a session.
        writer.notice("error", `Received unknown user command|${text}|1|[${text}]`);
    }
  }

  #refuse(reason: string): void {
    this.#ctx.out.control(sessionAckMessage({ ok: false, reason }));
    this.#log("info", `session refused: ${reason}`);
  }

  #log(level: "info" | "warn", message: string): void {
    this.#ctx.deps.log(level, this.#ctx.who, message);
  }
}
