/**
 * The client side of one DTail session (docs/protocol.md): waits for the server's capabilities
 * (session/handshake.ts), sends the commands for the job (session/command_frames.ts), then reads
 * the replies in one loop, split by the decoder of the wire chosen at the handshake
 * (session/message_decoder.ts): it prints what comes back and answers the close request. It
 * talks to a ClientIO, so it runs over SSH and, in tests, straight against the server handler.
 */
import { concatBytes } from "../core/bytes.ts";
import { isGlobLimitNotice } from "../core/glob.ts";
import { ACK_CLOSE } from "../core/protocol/commands.ts";
import { BlockPiece } from "../core/protocol/blocks.ts";
import { encodeFrame } from "../core/protocol/frames.ts";
import { isJournalTarget, JOURNAL_CAPABILITY } from "../core/journal_target.ts";
import { missingCapabilityReason } from "../core/protocol/query_capabilities.ts";
import {
  CLOSE_REQUEST,
  isControl,
  lastBarField,
  MAPR_NOTE,
  MAX_MESSAGE_BYTES,
  type PayloadRun,
  sizeText,
} from "../core/protocol/messages.ts";
import { parseSessionAck, QUERY_UPDATE_CAPABILITY } from "../core/protocol/session_spec.ts";
import { parsePositionMessage, POSITION_PREFIX } from "../core/protocol/resume.ts";
import { parseProgressMessage } from "../core/protocol/progress.ts";
import type { PositionTable } from "./resume/position_table.ts";
import {
  commandFrames,
  followsWithPositions,
  type RemoteJob,
  sessionStartFrames,
  wireFor,
} from "./session/command_frames.ts";
import { awaitCapabilities } from "./session/handshake.ts";
import { type MessageDecoder, messageDecoder } from "./session/message_decoder.ts";
import type { SessionLink } from "./session/session_link.ts";

export type { RemoteJob };

export interface ClientIO {
  readonly input: AsyncIterable<Uint8Array>;
  write(bytes: Uint8Array): Promise<void>;
  close(): void;
  /**
   * The session is done with a chunk of `input` and keeps no view of it (every sink copies or
   * writes what it is given before returning): its memory may carry later input.
   */
  recycle?(chunk: Uint8Array): void;
}

export interface SessionSink {
  /** A payload message (a line), unescaped, without its delimiter. */
  payload(message: Uint8Array): void;
  /**
   * A server notice (`SERVER|host|…` text, or the bare text in plain mode); `fileFailed`: it says
   * a file could not be read or is damaged.
   */
  notice(text: string, fileFailed?: boolean): void;
  /** Malformed log lines a server skipped for a query (hidden `.mapr malformed N`). */
  malformed?(count: number): void;
  /** Bytes a dmap server read of its files' total (hidden `.progress READ TOTAL`). */
  progress?(read: number, total: number): void;
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

/**
 * --interactive-query: a server that advertises `query-update-v1` gets `SESSION START` for the
 * job instead of its commands (docs/protocol.md#session) and must acknowledge it within 2 s; one
 * that does not gets the commands, after `warn`.
 */
export interface SessionBootstrap {
  readonly link: SessionLink;
  readonly warn: (message: string) => void;
}

/**
 * `dtail` following over SSH (docs/protocol.md#resume): with a server that advertises
 * `tail-resume-v1` the commands ask for position messages and resume from the positions known.
 */
export interface SessionResume {
  /** The positions of this server, recorded as they arrive, kept across its connections. */
  readonly positions: PositionTable;
  /** The server will send positions: hold what is printed until `confirmed`. */
  hold(): void;
  /** A position arrived: what was printed before it is confirmed. */
  confirmed(): void;
  /** The bytes printed and not confirmed yet. */
  held(): number;
}

export const FALLBACK_WARNING =
  "Interactive session bootstrap unsupported, falling back to legacy commands";

export interface SessionResult {
  /** Notices saying a file could not be read. */
  unreadable: number;
  /** Notices saying a compressed file is damaged (what decoded before the damage was sent). */
  damaged: number;
  /** Notices saying a glob matched more files than the server reads (ours: it read the first). */
  limited: number;
  /** Payload messages (lines) and block pieces received. */
  lines: number;
  /** The server's stream could not be parsed (the session was given up). */
  error: string | null;
  /** The server asked to close (the run completed) rather than the connection dropping. */
  completed: boolean;
  capabilities: string[];
  /**
   * The job was not sent: the server lacks a capability it needs (Go's words: `journal file
   * targets require server capability journal-v1`).
   */
  refused: string | null;
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
  options: {
    authKey?: string | null;
    capabilityWaitMs?: number;
    signal?: AbortSignal;
    session?: SessionBootstrap;
    resume?: SessionResume;
    /** The server's capabilities, as soon as they are known. */
    onCapabilities?: (capabilities: readonly string[]) => void;
  } = {},
): Promise<SessionResult> {
  const result: SessionResult = {
    unreadable: 0,
    limited: 0,
    damaged: 0,
    lines: 0,
    completed: false,
    capabilities: [],
    error: null,
    refused: null,
  };
  const input = io.input[Symbol.asyncIterator]();
  const onAbort = () => io.close();
  options.signal?.addEventListener("abort", onAbort, { once: true });

  const handshake = await awaitCapabilities(input, options.capabilityWaitMs ?? 250);
  result.capabilities = handshake.capabilities;
  options.onCapabilities?.(result.capabilities);
  const missing = (job.needs ?? []).filter((c) => !result.capabilities.includes(c));
  if (job.targets.some(isJournalTarget) && !result.capabilities.includes(JOURNAL_CAPABILITY)) {
    result.refused = `journal file targets require server capability ${JOURNAL_CAPABILITY}`;
  } else if (missing.length > 0) result.refused = missingCapabilityReason(missing);
  if (result.refused !== null) {
    options.signal?.removeEventListener("abort", onAbort);
    io.close();
    return result;
  }
  const client = { authKey: options.authKey ?? null, acceptsBlocks: sink.block !== undefined };
  const wire = wireFor(job, result.capabilities, client.acceptsBlocks);
  const bootstrap = options.session ?? null;
  const link = bootstrap?.link ?? null;
  const startSession = link !== null && result.capabilities.includes(QUERY_UPDATE_CAPABILITY);
  const resume = options.resume !== undefined && link === null &&
      followsWithPositions(job, result.capabilities, wire)
    ? options.resume
    : null;
  let started: Promise<number> | null = null;
  if (link !== null) link.job = job; // what its output is of, also before the ack
  if (startSession) {
    const frames = sessionStartFrames(job, result.capabilities, client);
    link.attach((bytes) => io.write(bytes), wire, result.capabilities);
    if (frames.before.length > 0) await io.write(concatBytes(...frames.before));
    started = link.request("start", frames.start, job, null, frames.after);
    started.catch(() => {}); // judged below, once the replies are being read
  } else {
    if (link !== null) {
      bootstrap!.warn(FALLBACK_WARNING);
      link.settle("legacy");
    }
    const traits = resume === null
      ? client
      : { ...client, resume: (target: string) => resume.positions.request(target) };
    resume?.hold();
    // One write, so the server sees every command before the first one can finish.
    await io.write(concatBytes(...commandFrames(job, result.capabilities, traits)));
  }
  // From here on a server of ours escapes (it latched our options).
  const decoder = messageDecoder(wire, sink.payloadRun !== undefined);
  const early = handshake.early;
  if (handshake.partial !== null) {
    // Nothing the server sent before our commands can be a block: carry over a partial message.
    for (const m of decoder.push(handshake.partial)) if (!(m instanceof BlockPiece)) early.push(m);
  }
  const session: Session = {
    io,
    plain: job.plain,
    escape: wire !== "go",
    sink,
    result,
    link,
    resume,
  };
  const receiving = (async () => {
    for (const m of early) if (await handleMessage(session, m)) return result;
    return await receive(session, decoder, input, handshake.pendingRead);
  })();
  // A request under way fails as soon as the connection ends.
  const detach = () => link?.detach();
  receiving.then(detach, detach);
  try {
    if (started !== null) {
      // The start is acknowledged while the replies are read (output may come first).
      const failed = await started.then(() => null, (err: Error) => err.message);
      if (failed !== null) {
        result.error = `session start failed: ${failed}`;
        io.close();
      } else link!.settle("session");
    }
    return await receiving;
  } finally {
    link?.detach();
    options.signal?.removeEventListener("abort", onAbort);
    io.close();
  }
}

interface Session {
  readonly io: ClientIO;
  readonly plain: boolean;
  /** The server escapes its messages and marks the control ones (a server of ours). */
  readonly escape: boolean;
  readonly sink: SessionSink;
  readonly result: SessionResult;
  /** --interactive-query: SESSION acks go here. */
  readonly link: SessionLink | null;
  /** Following with positions: they are recorded here. */
  readonly resume: SessionResume | null;
}

/** The replies to our commands, up to the close request or the end of the stream. */
async function receive(
  session: Session,
  decoder: MessageDecoder,
  input: AsyncIterator<Uint8Array>,
  /** The read the handshake left under way, if any. */
  pendingRead: Promise<IteratorResult<Uint8Array>> | null,
): Promise<SessionResult> {
  const { escape, sink, result } = session;
  for (;;) {
    const r = await (pendingRead ?? input.next());
    pendingRead = null;
    // Every message ends with 0xAC: bytes after the last one are a message cut off by a dropped
    // connection, and printing them would leave half a line.
    if (r.done) return result;
    const run = decoder.payloadRun(r.value);
    if (run !== null) {
      if (run.joined !== null) sink.payload(run.joined);
      sink.payloadRun!(run);
      result.lines += run.ends.length + (run.joined === null ? 0 : 1);
    } else {
      for (const item of decoder.push(r.value)) {
        if (item instanceof BlockPiece) {
          result.lines++;
          sink.block!(item.bytes);
        } else if (escape && !isControl(item)) {
          // The hot path, one call per line: payload needs no await.
          result.lines++;
          sink.payload(item);
        } else if (await handleMessage(session, item)) {
          sink.flush?.();
          return result;
        }
      }
    }
    sink.flush?.();
    session.io.recycle?.(r.value);
    if (decoder.error !== null) {
      result.error = `malformed data from the server: ${decoder.error}`;
      return result;
    }
    // Ours sends a position after every batch; lines never confirmed would be held without end.
    if (session.resume !== null && session.resume.held() > MAX_MESSAGE_BYTES) {
      result.error = `malformed data from the server: more than ${
        sizeText(MAX_MESSAGE_BYTES)
      } of lines without a position`;
      return result;
    }
  }
}

/**
 * A control message of a server of ours, or any message on the Go wire. True when it was the
 * close request (answered).
 */
async function handleMessage(session: Session, message: Uint8Array): Promise<boolean> {
  const { escape, plain, sink, result } = session;
  const control = escape && isControl(message);
  if (escape && !control) {
    result.lines++;
    sink.payload(message);
    return false;
  }
  const text = dec.decode(control ? message.subarray(2) : message);
  if (text === CLOSE_REQUEST) {
    result.completed = true;
    await session.io.write(encodeFrame(ACK_CLOSE)).catch(() => {});
    return true;
  }
  const malformed = MALFORMED.exec(text);
  if (malformed !== null) {
    sink.malformed?.(Number(malformed[1]));
    return false;
  }
  if (control && text.startsWith(MAPR_NOTE)) {
    sink.notice(text.slice(MAPR_NOTE.length));
    return false;
  }
  if (control && sink.progress !== undefined) {
    const bytes = parseProgressMessage(text);
    if (bytes !== null) {
      sink.progress(bytes.read, bytes.total);
      return false;
    }
  }
  if (session.link !== null && text.startsWith(".syn session ")) {
    const ack = parseSessionAck(text);
    if (ack !== null) session.link.receive(ack);
    return false;
  }
  if (session.resume !== null && control && text.startsWith(POSITION_PREFIX)) {
    const parsed = parsePositionMessage(text);
    if (parsed !== null) {
      session.resume.positions.record(parsed.target, parsed.position);
      session.resume.confirmed();
    }
    return false;
  }
  if (text.startsWith(".")) return false; // other hidden messages: not for users
  const lastField = lastBarField(text.trimEnd());
  if (lastField === "AUTHKEY OK" || lastField.startsWith("AUTHKEY ERR")) return false;
  // A Go server's plain mode cannot tell notices from lines: print all as payload, as Go does.
  if (!escape && (plain || !text.startsWith("SERVER|"))) {
    // Still count a notice that has the log shape, so a missing file is not a success, and
    // neither it nor its "Giving up" makes a failed run look partial.
    if (plain && PLAIN_UNREADABLE.test(text)) result.unreadable++;
    else if (!(plain && PLAIN_GIVING_UP.test(text))) result.lines++;
    sink.payload(message);
    return false;
  }
  const unreadable = UNREADABLE.test(text);
  const damaged = !unreadable && DAMAGED.test(text.trimEnd());
  const limited = !unreadable && !damaged && isGlobLimitNotice(text.trimEnd());
  if (unreadable) result.unreadable++;
  else if (damaged) result.damaged++;
  else if (limited) result.limited++;
  sink.notice(text.replace(/\n$/, ""), unreadable || damaged || limited);
  return false;
}
