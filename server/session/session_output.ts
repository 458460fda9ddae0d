/**
 * What one session writes to its client (docs/protocol.md): the Outbox, the options latched by the
 * first command that carries options and what they decide (escaping, raw blocks, plain output), and
 * the writers of notices, payload and control messages.
 */
import { WirePrinter } from "../../core/protocol/wire_printer.ts";
import type { Sink } from "../../core/sink.ts";
import { BLOCK_CAPABILITY, BLOCK_OPTION, BLOCK_OPTION_VALUE } from "../../core/protocol/blocks.ts";
import type { Options } from "../../core/protocol/options.ts";
import {
  capabilitiesMessage,
  CONTROL_MARKER,
  DELIMITER,
  ESCAPE_CAPABILITY,
  ESCAPE_OPTION,
  escapeMessage,
} from "../../core/protocol/messages.ts";
import { type ByteChannel, Outbox } from "./outbox.ts";
import type { LogLevel } from "./session_context.ts";

export const CAPABILITIES = [ESCAPE_CAPABILITY, BLOCK_CAPABILITY];

export interface SessionOutputOptions {
  /** Short host name for `REMOTE|host|…` and `SERVER|host|…`. */
  readonly hostname: string;
  /** `user@ip:port` of the session, quoted in notices. */
  readonly who: string;
  /** As HandlerDeps.capabilities: undefined for CAPABILITIES, null for none. */
  readonly capabilities?: readonly string[] | null | undefined;
  /** Aborted when the client is gone: pending flushes fail at once (Outbox). */
  readonly gone?: AbortSignal;
}

/** Output of a read waiting for the client beyond which the read waits too. */
const FLUSH_BACKLOG = 64 * 1024;

const encoder = new TextEncoder();

export class SessionOutput {
  readonly #outbox: Outbox;
  #latched: Options | null = null;

  constructor(channel: ByteChannel, private readonly options: SessionOutputOptions) {
    this.#outbox = new Outbox(channel, options.gone);
  }

  get #capabilities(): readonly string[] {
    const { capabilities } = this.options;
    return capabilities === undefined ? CAPABILITIES : capabilities ?? [];
  }

  get escape(): boolean {
    return this.#latched?.[ESCAPE_OPTION] === "ac" &&
      this.#capabilities.includes(ESCAPE_CAPABILITY);
  }

  /** Raw blocks (protocol/blocks.ts): only with escaping and plain output. */
  get blocks(): boolean {
    return this.escape && this.plain && this.#capabilities.includes(BLOCK_CAPABILITY) &&
      this.#latched?.[BLOCK_OPTION] === BLOCK_OPTION_VALUE;
  }

  get plain(): boolean {
    return this.#latched?.plain === "true";
  }

  /** How long output has waited for the channel without progress (Outbox.stalledMs). */
  stalledMs(): number {
    return this.#outbox.stalledMs();
  }

  /** Bytes not yet taken by the channel (Outbox.backlog). */
  get backlog(): number {
    return this.#outbox.backlog;
  }

  /** `plain`, `quiet` and `escape` are latched by the first command that carries options. */
  latch(options: Options): void {
    if (this.#latched === null && Object.keys(options).length > 0) this.#latched = options;
  }

  /** Sends what is buffered and waits until the channel took it (Outbox.flush). */
  flush(): Promise<void> {
    return this.#outbox.flush();
  }

  /** Tells the client what the server honours (the caller flushes). */
  advertiseCapabilities(): void {
    this.control(capabilitiesMessage(this.#capabilities));
  }

  /**
   * The selected lines of a read as wire messages, as the latched options say. A file read whole
   * goes out when it is done, and on the way whenever FLUSH_BACKLOG bytes wait for the client
   * (its reading paces ours).
   */
  printer(keepNewline: boolean): Sink {
    const printer = new WirePrinter(this.#outbox.out, {
      plain: this.plain,
      hostname: this.options.hostname,
      keepNewline,
      escape: this.escape,
      blocks: this.blocks,
    });
    return {
      selection: (sel, sourceId) => printer.selection(sel, sourceId),
      batchDone: () => this.#outbox.backlog >= FLUSH_BACKLOG ? this.flush() : undefined,
      fileDone: () => this.flush(),
    };
  }

  /**
   * A log-formatted server notice (docs/protocol.md#messages):
   * `SERVER|host|LEVEL|MMDD-HHMMSS|context|msg`, the context being `user@ip:port` unless given (the
   * Go dserver names the file in some). `newline: false` sends it without the "\n" that ends other
   * notices, as the Go dserver does for some.
   */
  notice(
    level: LogLevel,
    message: string,
    options: { context?: string; newline?: boolean } = {},
  ): void {
    const context = options.context ?? this.options.who;
    this.rawNotice(`${level.toUpperCase()}|${timestamp()}|${context}|${message}`, options.newline);
  }

  /**
   * A notice of this text, `SERVER|host|`-prefixed unless plain (the Go wire,
   * docs/protocol.md#messages).
   */
  rawNotice(text: string, newline = true): void {
    const body = this.plain ? text : `SERVER|${this.options.hostname}|${text}`;
    this.control(newline ? `${body}\n` : body);
  }

  /** A payload message (a line, an AGGREGATE), escaped when the client asked for it. */
  payload(text: string): void {
    const bytes = encoder.encode(text);
    const out = this.#outbox.out;
    out.bytes(this.escape ? escapeMessage(bytes) : bytes);
    out.byte(DELIMITER);
  }

  /** A non-payload message: marked for peers of ours that negotiated escaping (messages.ts). */
  control(text: string): void {
    const out = this.#outbox.out;
    const bytes = encoder.encode(text);
    if (this.escape) {
      out.bytes(CONTROL_MARKER);
      out.bytes(escapeMessage(bytes)); // a notice may quote a pattern with "€" in it
    } else out.bytes(bytes);
    out.byte(DELIMITER);
  }
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${
    p(d.getSeconds())
  }`;
}
