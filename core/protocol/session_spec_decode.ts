/**
 * The server's side of the SESSION protocol (docs/protocol.md#session): `SESSION START|UPDATE`
 * read as the Go dserver reads it, the base64 JSON spec decoded and validated (its regex compiles,
 * its query parses, its commands build), every refusal with the Go dserver's reason. Its own
 * module: a client only builds specs (./session_spec.ts) and does not load the regex engine or the
 * query parser for it. Pure: no I/O.
 */
import { fromBase64 } from "./frames.ts";
import { decodeOptions, type Options } from "./options.ts";
import { compileMatcher, isNoopPattern } from "../matcher.ts";
import { parseQuery } from "../mapr/query.ts";
import {
  MODES_BY_NUMBER,
  SESSION_REASONS,
  sessionCommands,
  SessionError,
  type SessionSpec,
} from "./session_spec.ts";

const decoder = new TextDecoder();

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
