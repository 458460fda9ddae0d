/**
 * What one session writes to its client (docs/protocol.md): the Outbox, the options latched by the
 * first command that carries options and what they decide (escaping, raw blocks, plain output), and
 * the writers of notices, payload and control messages.
 *
 * A SessionOutput writes for one SESSION generation (docs/protocol.md#session): the session's own
 * output writes for none (0), `forGeneration` gives the writer of a generation's commands. Once a
 * newer generation started (`startGeneration`), an older one's writers write nothing, and what they
 * wrote before and the channel did not take yet is dropped (Outbox).
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
import { QUERY_UPDATE_CAPABILITY } from "../../core/protocol/session_spec.ts";
import { RESUME_CAPABILITY } from "../../core/protocol/resume.ts";
import {
  MAPR_BUCKET_CAPABILITY,
  MAPR_FORMATS_CAPABILITY,
  MAPR_SKETCH_CAPABILITY,
  TIME_RANGE_CAPABILITY,
} from "../../core/protocol/query_capabilities.ts";
import { PROGRESS_CAPABILITY } from "../../core/protocol/progress.ts";

export const CAPABILITIES = [
  ESCAPE_CAPABILITY,
  BLOCK_CAPABILITY,
  QUERY_UPDATE_CAPABILITY,
  RESUME_CAPABILITY,
  MAPR_SKETCH_CAPABILITY,
  MAPR_FORMATS_CAPABILITY,
  MAPR_BUCKET_CAPABILITY,
  TIME_RANGE_CAPABILITY,
  PROGRESS_CAPABILITY,
];

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

/** What the writers of all generations of a session share. */
class Shared {
  readonly outbox: Outbox;
  latched: Options | null = null;

  constructor(channel: ByteChannel, gone: AbortSignal | undefined) {
    this.outbox = new Outbox(channel, gone);
  }
}

export class SessionOutput {
  readonly #shared: Shared;
  readonly #outbox: Outbox;
  /** The generation this writer writes for; 0 for none (never dropped). */
  readonly generation: number;

  /** A session's output on `channel`; or (forGeneration) another writer of the same output. */
  constructor(
    channel: ByteChannel | Shared,
    private readonly options: SessionOutputOptions,
    generation = 0,
  ) {
    this.#shared = channel instanceof Shared ? channel : new Shared(channel, options.gone);
    this.#outbox = this.#shared.outbox;
    this.generation = generation;
  }

  /** The writer of a generation's commands (tagged, dropped once a newer one started). */
  forGeneration(generation: number): SessionOutput {
    return new SessionOutput(this.#shared, this.options, generation);
  }

  /**
   * A newer generation starts: from now on older ones write nothing, and their output the channel
   * did not take yet is dropped. Generations must grow.
   */
  startGeneration(generation: number): void {
    this.#outbox.startGeneration(generation);
  }

  /** Whether this writer's generation was replaced by a newer one: what it writes is dropped. */
  get stale(): boolean {
    return this.#outbox.isStale(this.generation);
  }

  get #capabilities(): readonly string[] {
    const { capabilities } = this.options;
    return capabilities === undefined ? CAPABILITIES : capabilities ?? [];
  }

  /** Whether the server honours this capability (advertised). */
  honours(capability: string): boolean {
    return this.#capabilities.includes(capability);
  }

  get escape(): boolean {
    return this.#shared.latched?.[ESCAPE_OPTION] === "ac" &&
      this.#capabilities.includes(ESCAPE_CAPABILITY);
  }

  /** Raw blocks (protocol/blocks.ts): only with escaping and plain output. */
  get blocks(): boolean {
    return this.escape && this.plain && this.#capabilities.includes(BLOCK_CAPABILITY) &&
      this.#shared.latched?.[BLOCK_OPTION] === BLOCK_OPTION_VALUE;
  }

  get plain(): boolean {
    return this.#shared.latched?.plain === "true";
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
    const shared = this.#shared;
    if (shared.latched === null && Object.keys(options).length > 0) shared.latched = options;
  }

  /**
   * Sends what is buffered and waits until the channel took it (Outbox.flush). A replaced
   * generation has nothing to wait for.
   */
  flush(): Promise<void> {
    if (this.stale) return Promise.resolve();
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
      selection: (sel, sourceId) => {
        if (!this.#claim()) return;
        printer.selection(sel, sourceId);
      },
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
    if (!this.#claim()) return;
    const bytes = encodeMessage(text);
    const out = this.#outbox.out;
    out.bytes(this.escape ? escapeMessage(bytes) : bytes);
    out.byte(DELIMITER);
  }

  /** A non-payload message: marked for peers of ours that negotiated escaping (messages.ts). */
  control(text: string): void {
    if (!this.#claim()) return;
    const out = this.#outbox.out;
    const bytes = encodeMessage(text);
    if (this.escape) {
      out.bytes(CONTROL_MARKER);
      out.bytes(escapeMessage(bytes)); // a notice may quote a pattern with "€" in it
    } else out.bytes(bytes);
    out.byte(DELIMITER);
  }

  /** Tags what follows with this writer's generation; false when it was replaced. */
  #claim(): boolean {
    if (this.stale) return false;
    this.#outbox.tag(this.generation);
    return true;
  }
}

let messageScratch = new Uint8Array(4096);

/**
 * The UTF-8 of a message in a buffer every message reuses: the output copies what it is given at
 * once (the Outbox copies even what skips its buffer), and a thousand followed files' position
 * messages allocate no buffer each.
 */
function encodeMessage(text: string): Uint8Array {
  if (text.length * 3 > messageScratch.length) messageScratch = new Uint8Array(text.length * 3);
  return messageScratch.subarray(0, encoder.encodeInto(text, messageScratch).written);
}

function timestamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${
    p(d.getSeconds())
  }`;
}
