/**
 * The fuzz target of a client facing a broken or hostile server: random and mutated reply
 * streams (capabilities, labelled lines, notices, hidden messages, positions, raw blocks,
 * garbage), cut into random reads, through the client's session (cli/remote_session.ts) into
 * its printers, on every wire. The session may end with an error, never with an exception, a
 * hang or output out of proportion to what came in.
 */
import { runRemoteSession, type SessionResume } from "../../cli/remote_session.ts";
import { HeldOutput } from "../../cli/resume/held_output.ts";
import { PositionTable } from "../../cli/resume/position_table.ts";
import { SessionLink } from "../../cli/session/session_link.ts";
import { concatBytes } from "../../core/bytes.ts";
import { JsonMessagePrinter } from "../../core/json_printer.ts";
import { BlockPrinter, MessagePrinter } from "../../core/message_printer.ts";
import { BufferedOutput } from "../../core/output.ts";
import { BLOCK_CAPABILITY, blockHeader } from "../../core/protocol/blocks.ts";
import {
  capabilitiesMessage,
  CONTROL_MARKER,
  ESCAPE_CAPABILITY,
  escapeMessage,
} from "../../core/protocol/messages.ts";
import { PROGRESS_CAPABILITY } from "../../core/protocol/progress.ts";
import { RESUME_CAPABILITY } from "../../core/protocol/resume.ts";
import { QUERY_UPDATE_CAPABILITY } from "../../core/protocol/session_spec.ts";
import { wireRegexOf } from "../../core/protocol/regex_wire.ts";
import type { ReadVerb } from "../../core/protocol/commands.ts";
import { callAsync, Failure, type Target } from "./checks.ts";
import { lineText, mutate, randomBytes, type Rng } from "./mutate.ts";

const CAPABILITIES = [
  ESCAPE_CAPABILITY,
  BLOCK_CAPABILITY,
  RESUME_CAPABILITY,
  PROGRESS_CAPABILITY,
  QUERY_UPDATE_CAPABILITY,
];

/** Messages as a server of ours or Go's sends them (text before any framing). */
const PAYLOADS = [
  "REMOTE|web1|100|1|app.log|INFO all good\n",
  "REMOTE|web1|97|12|app.log|ERROR € and ¬ and \x1b]0;title\x07\n",
  "REMOTE|h|x|y|z|",
  "REMOTE||||||\n",
  "plain line without label\n",
];
const CONTROLS = [
  "SERVER|web1|ERROR|Unable to read file(s), check server logs",
  "SERVER|web1|WARN|Giving up to read file(s)",
  "SERVER|web1|ERROR|/x.gz: corrupt gzip data",
  ".syn close connection",
  ".mapr malformed 3",
  ".mapr note groups were cut",
  ".progress 100 1000",
  ".syn position /var/log/x.log 2049 1234 5678 abcdef01 /var/log/x.log",
  ".syn session start ok 1",
  ".syn session update ok 2",
  ".syn session err unknown field x",
  "web1|AUTHKEY OK",
  "WARN|1203-101010|alice@1.2.3.4:5|Unable to read file(s), check server logs",
];

interface RepliesInput {
  readonly verb: ReadVerb;
  readonly plain: boolean;
  readonly printer: "color" | "noColor" | "visible" | "json";
  readonly capabilities: string[];
  readonly stream: Uint8Array;
  readonly cuts: number[];
  readonly resume: boolean;
  /** As `--interactive-query`: SESSION START to a server that advertises query-update-v1. */
  readonly interactive: boolean;
}

/** Output may grow with colors and `\xNN` escapes, never beyond this many bytes per byte in. */
const OUTPUT_PER_INPUT_BYTE = 64;

export const repliesTarget: Target = {
  name: "replies",
  input(rng): RepliesInput {
    const capabilities = CAPABILITIES.filter(() => rng.chance(0.6));
    const escaped = capabilities.includes(ESCAPE_CAPABILITY);
    const parts: Uint8Array[] = [];
    if (capabilities.length > 0 || rng.chance(0.3)) {
      parts.push(withDelimiter(enc.encode(capabilitiesMessage(capabilities))));
    }
    for (let n = 1 + rng.size(12); n > 0; n--) parts.push(replyBytes(rng, escaped));
    let stream: Uint8Array = concatBytes(...parts);
    if (rng.chance(0.3)) stream = damage(rng, stream);
    const cuts = Array.from({ length: rng.int(8) }, () => rng.int(stream.length + 1));
    return {
      verb: rng.pick(["cat", "grep", "tail"] as const),
      plain: rng.chance(0.5),
      printer: rng.pick(["color", "noColor", "visible", "json"] as const),
      capabilities,
      stream,
      cuts: cuts.sort((a, b) => a - b),
      resume: rng.chance(0.5),
      interactive: rng.chance(0.3),
    };
  },
  async run(input: RepliesInput) {
    let printed = 0;
    const out = new BufferedOutput((bytes) => (printed += bytes.length), 4096);
    const printer = input.printer === "json"
      ? new JsonMessagePrinter(out)
      : new MessagePrinter(out, {
        plain: input.plain,
        color: input.printer === "color",
        visibleControls: input.printer === "visible",
      });
    let blocks = new BlockPrinter(out);
    const held = new HeldOutput(out);
    const positions = new PositionTable();
    const resume: SessionResume = {
      positions,
      hold: () => (blocks = new BlockPrinter(held.out)),
      confirmed: () => held.release(),
      held: () => held.pending,
    };
    const written: Uint8Array[] = [];
    const { stream, cuts } = input;
    const io = {
      input: (async function* () {
        let at = 0;
        for (const cut of [...cuts, stream.length]) {
          if (cut > at) yield stream.slice(at, cut);
          at = Math.max(at, cut);
        }
      })(),
      write: (bytes: Uint8Array) => {
        written.push(bytes);
        return Promise.resolve();
      },
      close: () => {},
    };
    const job = {
      verb: input.verb,
      targets: ["/var/log/x.log"],
      regex: wireRegexOf(input.verb === "grep" ? "ERROR" : ".", false),
      before: 0,
      after: 0,
      max: 0,
      plain: input.plain,
      quiet: false,
    };
    await callAsync("runRemoteSession", [], () =>
      runRemoteSession(io, job, {
        payload: (m) => printer.payload(m),
        payloadRun: (run) => printer.payloadRun(run),
        block: (bytes) => blocks.piece(bytes),
        notice: () => {},
        malformed: () => {},
        progress: () => {},
      }, {
        capabilityWaitMs: 20,
        ...(input.resume ? { resume } : {}),
        ...(input.interactive ? { session: { link: new SessionLink("h"), warn: () => {} } } : {}),
      }));
    held.release();
    out.flush();
    const limit = OUTPUT_PER_INPUT_BYTE * stream.length + 4096;
    if (printed > limit) {
      throw new Failure(`${printed} bytes printed for ${stream.length} bytes received`);
    }
    if (written.length === 0) throw new Failure("the session sent no command");
  },
};

const enc = new TextEncoder();

function withDelimiter(bytes: Uint8Array): Uint8Array {
  return concatBytes(bytes, new Uint8Array([0xac]));
}

/** One message or block as a server would frame it (escaped or not), or noise. */
function replyBytes(rng: Rng, escaped: boolean): Uint8Array {
  switch (rng.int(6)) {
    case 0: {
      const text = rng.chance(0.5) ? rng.pick(PAYLOADS) : `REMOTE|h|100|1|a|${lineText(rng)}\n`;
      const bytes = enc.encode(mutate(rng, text, PAYLOADS));
      return withDelimiter(escaped ? escapeMessage(bytes) : bytes);
    }
    case 1:
    case 2: {
      const bytes = enc.encode(mutate(rng, rng.pick(CONTROLS), CONTROLS));
      return withDelimiter(escaped ? concatBytes(CONTROL_MARKER, escapeMessage(bytes)) : bytes);
    }
    case 3: {
      const lines = enc.encode(lineText(rng).slice(0, 2000) + "\n");
      const size = rng.chance(0.8) ? lines.length : rng.int(lines.length * 2 + 2);
      return withDelimiter(concatBytes(blockHeader(size), lines));
    }
    case 4:
      return randomBytes(rng, rng.size(300));
    default:
      return withDelimiter(enc.encode(rng.pick(PAYLOADS)));
  }
}

/** A few bytes of the stream changed, dropped or repeated. */
function damage(rng: Rng, stream: Uint8Array): Uint8Array {
  const bytes = [...stream];
  for (let n = 1 + rng.int(4); n > 0 && bytes.length > 0; n--) {
    const at = rng.int(bytes.length);
    switch (rng.int(3)) {
      case 0:
        bytes[at] = rng.pick([0xab, 0xac, 0x0a, 0x00, 0x03, 0x04, rng.int(256)]);
        break;
      case 1:
        bytes.splice(at, 1 + rng.int(8));
        break;
      default:
        bytes.splice(at, 0, ...bytes.slice(at, at + 1 + rng.int(16)));
    }
  }
  return new Uint8Array(bytes);
}
