/** The command grammar of docs/protocol.md#commands (the decoded text inside a frame). */
import { decodeOptions, encodeOptions, type Options } from "./options.ts";
import { parseRegex, serializeRegex, type WireRegex } from "./regex_wire.ts";
import { ProtocolError } from "../errors.ts";

export type ReadVerb = "cat" | "grep" | "tail";
const READ_VERBS: readonly string[] = ["cat", "grep", "tail"];

export interface ReadCommand {
  readonly kind: "read";
  readonly verb: ReadVerb;
  readonly options: Options;
  /** A file, glob or journal spec; the protocol has no room for spaces in it. */
  readonly path: string;
  readonly regex: WireRegex;
  /** From the `timeout N` prefix (query mode); 0 = none. */
  readonly timeout: number;
}

export type Command =
  | ReadCommand
  | { readonly kind: "ack-close" }
  | { readonly kind: "authkey"; readonly key: string }
  | { readonly kind: "health" }
  | { readonly kind: "map"; readonly options: Options; readonly query: string }
  | { readonly kind: "session"; readonly args: string[] }
  | { readonly kind: "unknown"; readonly name: string; readonly args: string[] };

export class CommandError extends ProtocolError {
  override name = "CommandError";
}

export const ACK_CLOSE = ".ack close connection";
const MAX_TIMEOUT_SECONDS = 86400;

export function buildReadCommand(c: Omit<ReadCommand, "kind" | "timeout"> & { timeout?: number }) {
  if (/\s/.test(c.path)) throw new CommandError(`file names with spaces cannot be sent: ${c.path}`);
  const regex = serializeRegex(c.regex);
  if (c.timeout) return `timeout ${c.timeout} ${c.verb} ${c.path} ${regex}`;
  return `${c.verb}:${encodeOptions(c.options)} ${c.path} ${regex}`;
}

/** `map:<options> <query>` (docs/protocol.md#commands): the query travels as it was written. */
export function buildMapCommand(options: Options, query: string): string {
  return `map:${encodeOptions(options)} ${query.trim()}`;
}

export function parseCommand(text: string): Command {
  if (text === ACK_CLOSE) return { kind: "ack-close" };
  const args = text.split(" ");
  const head = args[0]!;
  if (head === "health" && args.length === 1) return { kind: "health" };
  if (head === "AUTHKEY" || head === "authkey") return { kind: "authkey", key: args[1] ?? "" };
  if (head === "SESSION" || head === "session") return { kind: "session", args: args.slice(1) };
  if (head === "timeout") return parseTimeoutForm(args);
  const colon = head.indexOf(":");
  const verb = colon < 0 ? head : head.slice(0, colon);
  if (colon >= 0 && verb === "map") {
    return {
      kind: "map",
      options: decodeOptions(head.slice(colon + 1)),
      query: args.slice(1).join(" "),
    };
  }
  if (colon >= 0 && READ_VERBS.includes(verb)) {
    if (args.length < 3) throw new CommandError(`${verb}: missing file or regex`);
    return {
      kind: "read",
      verb: verb as ReadVerb,
      options: decodeOptions(head.slice(colon + 1)),
      path: args[1]!,
      regex: parseRegex(args.slice(2).join(" ")),
      timeout: 0,
    };
  }
  return { kind: "unknown", name: head, args: args.slice(1) };
}

function parseTimeoutForm(args: string[]): ReadCommand {
  // A decimal integer, as Go's strconv.Atoi takes it ("", "1.0" and "0x10" are errors).
  const text = args[1] ?? "";
  if (!/^[+-]?\d+$/.test(text)) throw new CommandError(`invalid timeout ${text}`);
  const seconds = Number(text);
  const verb = args[2] ?? "";
  if (!READ_VERBS.includes(verb) || args.length < 5) {
    throw new CommandError(`invalid timeout command: ${args.join(" ")}`);
  }
  return {
    kind: "read",
    verb: verb as ReadVerb,
    options: {},
    path: args[3]!,
    regex: parseRegex(args.slice(4).join(" ")),
    timeout: Math.max(0, Math.min(seconds, MAX_TIMEOUT_SECONDS)),
  };
}
