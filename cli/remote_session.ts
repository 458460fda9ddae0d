/**
 * The client side of one DTail session (§3): waits for the server's capabilities, registers the
 * auth key, sends the read commands, prints what comes back and answers the close request. It
 * talks to a ClientIO, so it runs over SSH and, in tests, straight against the server handler.
 */
import { concatBytes } from "../core/bytes.ts";
import {
  ACK_CLOSE,
  buildMapCommand,
  buildReadCommand,
  type ReadVerb,
} from "../core/protocol/commands.ts";
import {
  BLOCK_CAPABILITY,
  BLOCK_OPTION,
  BLOCK_OPTION_VALUE,
  BlockPiece,
  BlockStreamReader,
} from "../core/protocol/blocks.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import {
  CLOSE_REQUEST,
  ESCAPE_CAPABILITY,
  ESCAPE_OPTION,
  isControl,
  MessageReader,
  parseCapabilities,
  type PayloadRun,
} from "../core/protocol/messages.ts";
import type { Options } from "../core/protocol/options.ts";
import type { WireRegex } from "../core/protocol/regex_wire.ts";

export interface ClientIO {
  readonly input: AsyncIterable<Uint8Array>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
}

export interface RemoteJob {
  readonly verb: ReadVerb;
  readonly targets: readonly string[];
  readonly regex: WireRegex;
  readonly before: number;
  readonly after: number;
  readonly max: number;
  readonly plain: boolean;
  readonly quiet: boolean;
  /** A MapReduce query, sent as `map:<options> <query>` before the read commands. */
  readonly query?: string | null;
  /** Query mode: reads are sent as `timeout N <verb> …` when this is above 0. */
  readonly timeout?: number;
}

export interface SessionSink {
  /** A payload message (a line), unescaped, without its delimiter. */
  payload(message: Uint8Array): void;
  /** A server notice (`SERVER|host|…` text, or the bare text in plain mode). */
  notice(text: string): void;
  /** Malformed log lines a server skipped for a query (hidden `.mapr malformed N`). */
  malformed?(count: number): void;
  /** Consecutive payload messages of one chunk (the fast path; `payload` is used without it). */
  payloadRun?(run: PayloadRun): void;
  /**
   * Raw block content (`--plain` between peers of ours), in pieces that may end mid-line: the
   * bytes to print as they are. Without it, payload comes as one message per line.
   */
  block?(bytes: Uint8Array): void;
  /** Called after each chunk read from the server: a good moment to write out. */
  flush?(): void;
}

export interface SessionResult {
  /** Notices saying a file could not be read. */
  unreadable: number;
  /** Notices saying a compressed file is damaged (what decoded before the damage was sent). */
  damaged: number;
  /** Payload messages (lines) and block pieces received. */
  lines: number;
  /** The server's stream could not be parsed (the session was given up). */
  error: string | null;
  /** The server asked to close (the run completed) rather than the connection dropping. */
  completed: boolean;
  capabilities: string[];
}

const dec = new TextDecoder();
const MALFORMED = /^\.mapr malformed (\d+)$/;
// A Go server follows "Unable to read" with "Giving up to read" for the same file: count one.
const UNREADABLE = /Unable to read file\(s\)/;
/**
 * The Go dserver's notices of a file it cannot read, as it sends them in plain mode (no way to
 * tell them from lines there): `WARN|MMDD-HHMMSS|user@ip:port|Unable to read file(s), …`, and
 * `…|Giving up to read file(s)` after its retry. Printed as Go prints them, never counted as lines.
 */
const PLAIN_UNREADABLE = /^[A-Z]+\|\d{4}-\d{6}\|[^|]*\|Unable to read file\(s\)/;
const PLAIN_GIVING_UP = /^[A-Z]+\|\d{4}-\d{6}\|[^|]*\|Giving up to read file\(s\)/;
/** Our server's error notice for a damaged compressed file (CorruptInputError, core/). */
const DAMAGED =
  /^(?:SERVER\|[^|]*\|)?ERROR\|.*: (?:corrupt (?:gzip|zstd) data\b|not in (?:gzip|zstd) format$)/;

export async function runRemoteSession(
  io: ClientIO,
  job: RemoteJob,
  sink: SessionSink,
  options: { authKey?: string | null; capabilityWaitMs?: number; signal?: AbortSignal } = {},
): Promise<SessionResult> {
  const result: SessionResult = {
    unreadable: 0,
    damaged: 0,
    lines: 0,
    completed: false,
    capabilities: [],
    error: null,
  };
  let escaped = false;
  const reader = new MessageReader(() => escaped);
  const input = io.input[Symbol.asyncIterator]();
  const pending: Uint8Array[] = [];
  const onAbort = () => io.close();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  // The first message of a current server is its capability list; old servers send nothing.
  const firstRead = input.next();
  let waited: ReturnType<typeof setTimeout> | undefined;
  const first = await Promise.race([
    firstRead,
    new Promise<null>((r) => (waited = setTimeout(() => r(null), options.capabilityWaitMs ?? 250))),
  ]);
  clearTimeout(waited);
  let nextRead: Promise<IteratorResult<Uint8Array>> | null = null;
  // No advertisement in time: the read under way brings the first answer to our commands.
  if (first === null) nextRead = firstRead;
  else if (!first.done) pending.push(...reader.push(first.value));
  const caps = pending.length > 0 ? parseCapabilities(dec.decode(pending[0])) : null;
  if (caps !== null) {
    result.capabilities = caps;
    pending.shift();
  }
  const escape = result.capabilities.includes(ESCAPE_CAPABILITY);

  const frames: Uint8Array[] = [];
  const authKey = options.authKey ? encodeFrame(`AUTHKEY ${options.authKey}`) : null;
  // A Go server gets AUTHKEY first, as Go clients send it. Ours gets it after the first read
  // command, which latches escaping, so that the reply already carries the control marker.
  if (authKey && !escape) frames.push(authKey);
  const commandOptions: Options = {};
  if (job.plain) commandOptions.plain = "true";
  if (job.quiet || job.plain) commandOptions.quiet = "true";
  if (job.verb !== "cat") {
    if (job.before > 0) commandOptions.before = String(job.before);
    if (job.after > 0) commandOptions.after = String(job.after);
    if (job.max > 0) commandOptions.max = String(job.max);
  }
  if (escape) commandOptions[ESCAPE_OPTION] = "ac";
  const blocks = escape && job.plain && !job.query && sink.block !== undefined &&
    result.capabilities.includes(BLOCK_CAPABILITY);
  if (blocks) commandOptions[BLOCK_OPTION] = BLOCK_OPTION_VALUE;
  if (job.query) frames.push(encodeFrame(buildMapCommand(commandOptions, job.query)));
  const timeout = job.query ? job.timeout ?? 0 : 0;
  for (const path of job.targets) {
    const command = buildReadCommand({
      verb: job.verb,
      options: commandOptions,
      path,
      regex: job.regex,
      timeout,
    });
    frames.push(encodeFrame(command));
  }
  if (authKey && escape) frames.splice(Math.min(1, frames.length), 0, authKey);
  // One write, so the server sees every command before the first one can finish.
  await io.write(concatBytes(...frames));
  escaped = escape; // from here on the server escapes (it latched our options)

  const handle = async (message: Uint8Array): Promise<boolean> => {
    const control = escape && isControl(message);
    if (escape && !control) {
      result.lines++;
      sink.payload(message);
      return false;
    }
    const text = dec.decode(control ? message.subarray(2) : message);
    if (text === CLOSE_REQUEST) {
      result.completed = true;
      await io.write(encodeFrame(ACK_CLOSE)).catch(() => {});
      return true;
    }
    const malformed = MALFORMED.exec(text);
    if (malformed !== null) {
      sink.malformed?.(Number(malformed[1]));
      return false;
    }
    if (text.startsWith(".")) return false; // other hidden messages: not for users
    const lastField = text.trimEnd().split("|").pop() ?? "";
    if (lastField === "AUTHKEY OK" || lastField.startsWith("AUTHKEY ERR")) return false;
    // A Go server's plain mode cannot tell notices from lines: print all as payload, as Go does.
    if (!escape && (job.plain || !text.startsWith("SERVER|"))) {
      // Still count a notice that has the log shape, so a missing file is not a success, and
      // neither it nor its "Giving up" makes a failed run look partial.
      if (job.plain && PLAIN_UNREADABLE.test(text)) result.unreadable++;
      else if (!(job.plain && PLAIN_GIVING_UP.test(text))) result.lines++;
      sink.payload(message);
      return false;
    }
    if (UNREADABLE.test(text)) result.unreadable++;
    else if (DAMAGED.test(text.trimEnd())) result.damaged++;
    sink.notice(text.replace(/\n$/, ""));
    return false;
  };

  // Nothing the server sent before our commands can be a block: carry over a partial message.
  const blockReader = blocks ? new BlockStreamReader() : null;
  const carried = blockReader === null ? null : reader.rest();
  if (carried !== null) {
    for (const m of blockReader!.push(carried)) if (!(m instanceof BlockPiece)) pending.push(m);
  }

  try {
    for (const m of pending) if (await handle(m)) return result;
    for (;;) {
      const next = nextRead ?? input.next();
      nextRead = null;
      const r = await next;
      if (r.done) break;
      if (blockReader !== null) {
        for (const item of blockReader.push(r.value)) {
          if (item instanceof BlockPiece) {
            result.lines++;
            sink.block!(item.bytes);
          } else if (!isControl(item)) {
            result.lines++;
            sink.payload(item);
          } else if (await handle(item)) {
            sink.flush?.();
            return result;
          }
        }
        sink.flush?.();
        if (blockReader.error !== null) {
          result.error = `malformed data from the server: ${blockReader.error}`;
          return result;
        }
        continue;
      }
      const run = escape && sink.payloadRun ? reader.splitPayload(r.value) : null;
      if (run !== null) {
        if (run.joined !== null) sink.payload(run.joined);
        sink.payloadRun!(run);
        result.lines += run.ends.length + (run.joined === null ? 0 : 1);
        sink.flush?.();
        continue;
      }
      for (const m of reader.push(r.value)) {
        if (escape && !isControl(m)) {
          // The hot path, one call per line: payload needs no await.
          result.lines++;
          sink.payload(m);
        } else if (await handle(m)) {
          sink.flush?.();
          return result;
        }
      }
      sink.flush?.();
    }
    // Every message ends with 0xAC: bytes after the last one are a message cut off by a dropped
    // connection, and printing them would leave half a line.
    return result;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    io.close();
  }
}
