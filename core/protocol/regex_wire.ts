/**
 * The read filter on the wire (docs/protocol.md#regex): `regex:<flag>[,literal] <pattern>`, flags
 * `default`, `invert` and `noop` (matches everything; serialized `regex:noop ` with an empty
 * pattern).
 */
import { isLiteralPattern } from "../literal_pattern.ts";
import { isNoopPattern } from "../noop_matcher.ts";
import { ProtocolError } from "../errors.ts";

export interface WireRegex {
  readonly flag: "default" | "invert" | "noop";
  readonly literal: boolean;
  readonly pattern: string;
}

export class RegexWireError extends ProtocolError {
  override name = "RegexWireError";
}

/** The client rule: "", "." and ".*" without --invert become noop. */
export function wireRegexOf(pattern: string, invert: boolean): WireRegex {
  if (isNoopPattern(pattern) && !invert) return { flag: "noop", literal: false, pattern: "" };
  return { flag: invert ? "invert" : "default", literal: isLiteralPattern(pattern), pattern };
}

export function serializeRegex(r: WireRegex): string {
  if (r.flag === "noop") return "regex:noop ";
  return `regex:${r.flag}${r.literal ? ",literal" : ""} ${r.pattern}`;
}

/** Parses `regex:<flags> <pattern…>` where the pattern is everything after the first space. */
export function parseRegex(text: string): WireRegex {
  if (!text.startsWith("regex:")) throw new RegexWireError(`invalid regex ${JSON.stringify(text)}`);
  const space = text.indexOf(" ");
  const flags = (space < 0 ? text.slice(6) : text.slice(6, space)).split(",");
  const pattern = space < 0 ? "" : text.slice(space + 1);
  const flag = flags[0];
  if (flag !== "default" && flag !== "invert" && flag !== "noop") {
    throw new RegexWireError(`unknown regex flag ${JSON.stringify(flag)}`);
  }
  for (const extra of flags.slice(1)) {
    if (extra !== "literal") {
      throw new RegexWireError(`unknown regex flag ${JSON.stringify(extra)}`);
    }
  }
  return { flag, literal: flags.includes("literal"), pattern: flag === "noop" ? "" : pattern };
}
