/**
 * The SESSION protocol of interactive query reload (docs/protocol.md#session, capability
 * `query-update-v1`): the session spec a client sends as base64 JSON in `SESSION START <b64>` and
 * `SESSION UPDATE [<gen>] <b64>`, the legacy commands a spec stands for, and the server's acks
 * (`.syn session start ok <gen>`, `.syn session update ok <gen>`, `.syn session err <reason>`).
 * The JSON is read and written as Go's encoding/json does for the Go client's struct, and every
 * refusal carries the Go dserver's reason. Pure: no I/O.
 */
import { buildReadCommand } from "./commands.ts";
import { fromBase64, toBase64 } from "./frames.ts";
import { decodeOptions, encodeOptions, type Options } from "./options.ts";
import { wireRegexOf } from "./regex_wire.ts";
import { ProtocolError } from "../errors.ts";
import { compileMatcher, isNoopPattern } from "../matcher.ts";
import { parseQuery } from "../mapr/query.ts";

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
const MODES_BY_NUMBER = new Map<number, SessionMode>(
  Object.entries(MODE_NUMBERS).map(([mode, n]) => [n, mode as SessionMode]),
);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

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
 * Decodes and checks a payload as the Go dserver does, in its order: base64 (`invalid session
 * payload`), JSON (`invalid session spec`), then the rules of validateSpec.
 */
export function decodeSessionPayload(b64: string): SessionSpec {
  return validateSpec(parseSpecJson(decodeBase64(b64)));
}

/** Go's base64.StdEncoding: padding required, "\r" and "\n" skipped, nothing else allowed. */
function decodeBase64(text: string): string {
  const clean = text.replace(/[\r\n]/g, "");
  if (
    clean.length % 4 !== 0 ||
    !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean)
  ) {
    throw new SessionError(SESSION_REASONS.payload);
  }
  return decoder.decode(fromBase64(clean));
}

/** A mutable draft of the spec while the JSON is read. */
interface Draft {
  mode: number;
  files: string[];
  options: string;
  query: string;
  regex: string;
  invert: boolean;
  timeout: number;
}

/**
 * The JSON as Go's json.Unmarshal fills the client's struct: field names match case-insensitively,
 * unknown fields and `null` values are skipped, integers must be integer literals within int64, any
 * other type mismatch is an error. Numbers are read from their source text (JSON.parse's reviver
 * context), so `2.0` is refused as Go refuses it.
 */
function parseSpecJson(text: string): Draft {
  const draft: Draft = {
    mode: 0,
    files: [],
    options: "",
    query: "",
    regex: "",
    invert: false,
    timeout: 0,
  };
  let root: unknown;
  try {
    root = JSON.parse(
      text,
      (_key, value, context?: { source?: string }) =>
        typeof value === "number" ? new GoNumber(context?.source ?? String(value)) : value,
    );
  } catch {
    throw new SessionError(SESSION_REASONS.spec);
  }
  if (root === null) return draft;
  if (typeof root !== "object" || Array.isArray(root)) throw new SessionError(SESSION_REASONS.spec);
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    if (value === null) continue;
    switch (key.toLowerCase()) {
      case "mode":
        draft.mode = goInt(value);
        break;
      case "files":
        draft.files = goStrings(value);
        break;
      case "options":
        draft.options = goStringValue(value);
        break;
      case "query":
        draft.query = goStringValue(value);
        break;
      case "regex":
        draft.regex = goStringValue(value);
        break;
      case "regex_invert":
        if (typeof value !== "boolean") throw new SessionError(SESSION_REASONS.spec);
        draft.invert = value;
        break;
      case "timeout":
        draft.timeout = goInt(value);
        break;
    }
  }
  return draft;
}

class GoNumber {
  constructor(readonly source: string) {}
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function goInt(value: unknown): number {
  if (!(value instanceof GoNumber) || !/^-?\d+$/.test(value.source)) {
    throw new SessionError(SESSION_REASONS.spec);
  }
  const n = BigInt(value.source);
  if (n < INT64_MIN || n > INT64_MAX) throw new SessionError(SESSION_REASONS.spec);
  return Number(n);
}

function goStringValue(value: unknown): string {
  if (typeof value !== "string") throw new SessionError(SESSION_REASONS.spec);
  return value;
}

function goStrings(value: unknown): string[] {
  if (!Array.isArray(value)) throw new SessionError(SESSION_REASONS.spec);
  return value.map((item) => (item === null ? "" : goStringValue(item)));
}

/**
 * The Go dserver's rules, in its order: a known mode; a query only with map or tail; map needs a
 * query; the query parses; the options decode; the legacy commands build (a bad regex, a file name
 * with a space).
 */
function validateSpec(draft: Draft): SessionSpec {
  const mode = MODES_BY_NUMBER.get(draft.mode);
  if (mode === undefined) throw new SessionError(SESSION_REASONS.mode);
  if (draft.query !== "" && mode !== "map" && mode !== "tail") {
    throw new SessionError(SESSION_REASONS.queryMode);
  }
  if (draft.query === "" && mode === "map") throw new SessionError(SESSION_REASONS.missingQuery);
  if (draft.query !== "") {
    try {
      parseQuery(draft.query);
    } catch {
      throw new SessionError(SESSION_REASONS.spec);
    }
  }
  let options: Options;
  try {
    options = decodeSpecOptions(draft.options);
  } catch {
    throw new SessionError(SESSION_REASONS.spec);
  }
  const { files, query, regex, invert, timeout } = draft;
  const spec: SessionSpec = { mode, files, options, query, regex, invert, timeout };
  // The regex compiles (Go's regexp.Compile) and the commands build.
  if (mode !== "health" && !isNoopPattern(draft.regex)) {
    try {
      compileMatcher(draft.regex);
    } catch {
      throw new SessionError(SESSION_REASONS.spec);
    }
  }
  sessionCommands(spec);
  return spec;
}

/** Go's DeserializeOptions: blank is none; `before`, `after`, `max` must be integers. */
function decodeSpecOptions(text: string): Options {
  if (text.trim() === "") return {};
  const options = decodeOptions(text);
  for (const key of ["before", "after", "max"]) {
    const value = options[key];
    if (value !== undefined && !/^[+-]?\d+$/.test(value)) {
      throw new SessionError(`invalid ${key} value ${value}`);
    }
  }
  return options;
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

export interface SessionCommand {
  readonly action: "start" | "update";
  /** UPDATE's generation; null when omitted or 0 (the server takes the previous one + 1). */
  readonly generation: number | null;
  readonly spec: SessionSpec;
}

/**
 * The words after `SESSION` (docs/protocol.md#commands), checked as the Go dserver checks them:
 * at least an action and a payload; the action is trimmed and case-insensitive; UPDATE with two
 * more words has a generation (an unsigned integer), and the payload is the word after it; the
 * payload is decoded and validated before the action is looked at (`unknown action`).
 */
export function parseSessionCommand(args: readonly string[]): SessionCommand {
  if (args.length < 2) throw new SessionError(SESSION_REASONS.command);
  const action = args[0]!.trim().toUpperCase();
  let payloadIndex = 1;
  let generation: number | null = null;
  if (action === "UPDATE" && args.length >= 3) {
    const text = args[1]!;
    if (!/^\d+$/.test(text) || BigInt(text) > 2n ** 64n - 1n) {
      throw new SessionError(SESSION_REASONS.generation);
    }
    generation = Number(text) || null;
    payloadIndex = 2;
  }
  const spec = decodeSessionPayload(args[payloadIndex]!);
  if (action !== "START" && action !== "UPDATE") throw new SessionError(SESSION_REASONS.action);
  return { action: action === "START" ? "start" : "update", generation, spec };
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
