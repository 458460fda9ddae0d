/**
 * The SESSION protocol of interactive query reload (docs/protocol.md#session, capability
 * `query-update-v1`): the session spec a client sends as base64 JSON in `SESSION START <b64>` and
 * `SESSION UPDATE [<gen>] <b64>`, the legacy commands a spec stands for, and the server's acks
 * (`.syn session start ok <gen>`, `.syn session update ok <gen>`, `.syn session err <reason>`).
 * The JSON is read and written as Go's encoding/json does for the Go client's struct, and every
 * refusal carries the Go dserver's reason. Pure: no I/O.
 */
import { buildReadCommand } from "./commands.ts";
import { toBase64 } from "./frames.ts";
import { encodeOptions, type Options } from "./options.ts";
import { wireRegexOf } from "./regex_wire.ts";
import { ProtocolError } from "../errors.ts";

export const QUERY_UPDATE_CAPABILITY = "query-update-v1";

export type SessionMode = "tail" | "cat" | "grep" | "map" | "health";

export interface SessionSpec {
  readonly mode: SessionMode;
  readonly files: readonly string[];
  /** Encoded `k=v:…` in the JSON (docs/protocol.md#options). */
  readonly options: Options;
  /** The MapReduce query; "" for none. */
  readonly query: string;
  /** The pattern as the user wrote it ("" for none); serialized per read command. */
  readonly regex: string;
  readonly invert: boolean;
  /** Seconds; 0 for none. Only query sessions send it (as the `timeout N` prefix). */
  readonly timeout: number;
}

/** A SESSION command or payload the server refuses; `message` is the Go dserver's reason. */
export class SessionError extends ProtocolError {
  override name = "SessionError";
}

/** The reasons the Go dserver answers with (`.syn session err <reason>`). */
export const SESSION_REASONS = {
  command: "invalid SESSION command",
  generation: "invalid session generation",
  payload: "invalid session payload",
  spec: "invalid session spec",
  mode: "unsupported session mode",
  queryMode: "query sessions require map or tail mode",
  missingQuery: "missing session query",
  action: "unknown action",
  notStarted: "session not started",
  alreadyStarted: "session already started",
} as const;

/** Go's client mode enum, as the JSON carries it. */
const MODE_NUMBERS: Readonly<Record<SessionMode, number>> = {
  tail: 2,
  cat: 3,
  grep: 4,
  map: 5,
  health: 6,
};
/** The JSON's mode numbers, as the Go client's iota. */
export const MODES_BY_NUMBER = new Map<number, SessionMode>(
  Object.entries(MODE_NUMBERS).map(([mode, n]) => [n, mode as SessionMode]),
);

const encoder = new TextEncoder();

/** base64 of the JSON, byte for byte as the Go client's json.Marshal builds it. */
export function encodeSessionPayload(spec: SessionSpec): string {
  const fields = [
    `"mode":${MODE_NUMBERS[spec.mode]}`,
    `"files":${spec.files.length === 0 ? "null" : `[${spec.files.map(goString).join(",")}]`}`,
  ];
  const options = encodeOptions(spec.options);
  if (options !== "") fields.push(`"options":${goString(options)}`);
  if (spec.query !== "") fields.push(`"query":${goString(spec.query)}`);
  if (spec.regex !== "") fields.push(`"regex":${goString(spec.regex)}`);
  if (spec.invert) fields.push(`"regex_invert":true`);
  if (spec.timeout !== 0) fields.push(`"timeout":${Math.trunc(spec.timeout)}`);
  return toBase64(encoder.encode(`{${fields.join(",")}}`));
}

/** A JSON string as Go writes one: `<`, `>`, `&`, U+2028 and U+2029 escaped too. */
function goString(text: string): string {
  return JSON.stringify(text.toWellFormed()).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * The legacy commands a spec stands for (docs/protocol.md#commands), as the Go dserver derives
 * them: `health`; with a query `map:<options> <query>`, then per file `cat:`/`tail:` (map mode
 * reads with cat) or the `timeout N <verb>` form; otherwise `<mode>:<options> <file> <regex>` per
 * file. One difference (docs/decisions.md): `invert` with the pattern "", "." or ".*" inverts it
 * rather than being dropped. Throws SessionError(`invalid session spec`) for a file name with a
 * space, which no command can carry.
 */
export function sessionCommands(spec: SessionSpec): string[] {
  if (spec.mode === "health") return ["health"];
  const regex = wireRegexOf(spec.regex, spec.invert);
  const read = (verb: "cat" | "grep" | "tail", path: string, timeout: number) => {
    try {
      return buildReadCommand({ verb, options: spec.options, path, regex, timeout });
    } catch {
      throw new SessionError(SESSION_REASONS.spec);
    }
  };
  if (spec.query !== "") {
    const verb = spec.mode === "tail" ? "tail" : "cat";
    const timeout = spec.timeout > 0 ? spec.timeout : 0;
    return [
      `map:${encodeOptions(spec.options)} ${spec.query}`,
      ...spec.files.map((path) => read(verb, path, timeout)),
    ];
  }
  if (spec.mode === "map") throw new SessionError(SESSION_REASONS.missingQuery);
  return spec.files.map((path) => read(spec.mode as "cat" | "grep" | "tail", path, 0));
}

/** `SESSION START <b64>`, or `SESSION UPDATE <gen> <b64>` (`SESSION UPDATE <b64>` without gen). */
export function buildSessionCommand(
  action: "start" | "update",
  spec: SessionSpec,
  generation?: number,
): string {
  const payload = encodeSessionPayload(spec);
  if (action === "start") return `SESSION START ${payload}`;
  return generation ? `SESSION UPDATE ${generation} ${payload}` : `SESSION UPDATE ${payload}`;
}

export type SessionAck =
  | { readonly ok: true; readonly action: "start" | "update"; readonly generation: number }
  | { readonly ok: false; readonly reason: string };

const ACK = /^\.syn session (start|update) ok (\d+)$/;
const ERR_PREFIX = ".syn session err ";

/** The ack text the server sends (a hidden message, without delimiter or marker). */
export function sessionAckMessage(ack: SessionAck): string {
  return ack.ok ? `.syn session ${ack.action} ok ${ack.generation}` : ERR_PREFIX + ack.reason;
}

/** `.syn session start ok 1` and friends; null for any other message. */
export function parseSessionAck(hiddenMessage: string): SessionAck | null {
  const text = hiddenMessage.replace(/\n$/, "");
  const ok = ACK.exec(text);
  if (ok) {
    return { ok: true, action: ok[1] as "start" | "update", generation: Number(ok[2]) };
  }
  if (text.startsWith(ERR_PREFIX)) return { ok: false, reason: text.slice(ERR_PREFIX.length) };
  return null;
}
