/**
 * Command options (docs/protocol.md#options): `key=value` pairs joined by ":", keys sorted, only
 * non-default keys. A value containing ":", "=" or "|", or starting with "base64%", travels as
 * `base64%<b64>`; so does one with a space, which would split the command (the server decodes any
 * such value).
 */
import { fromBase64, toBase64 } from "./frames.ts";
import { ProtocolError } from "../errors.ts";
import type { TimeRange } from "../time_spec.ts";

export type Options = Record<string, string>;

const B64 = "base64%";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeOptions(options: Options): string {
  return Object.keys(options).sort().map((key) => {
    const value = options[key]!;
    const wrapped = /[:=| ]/.test(value) || value.startsWith(B64)
      ? B64 + toBase64(encoder.encode(value))
      : value;
    return `${key}=${wrapped}`;
  }).join(":");
}

export class OptionsError extends ProtocolError {
  override name = "OptionsError";
}

export function decodeOptions(text: string): Options {
  const options: Options = {};
  if (text === "") return options;
  for (const pair of text.split(":")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new OptionsError(`invalid option ${JSON.stringify(pair)}`);
    let value = pair.slice(eq + 1);
    if (value.startsWith(B64)) {
      try {
        value = decoder.decode(fromBase64(value.slice(B64.length)));
      } catch {
        throw new OptionsError(`invalid base64 option value in ${JSON.stringify(pair)}`);
      }
    }
    options[pair.slice(0, eq)] = value;
  }
  return options;
}

/** Reads a non-negative integer option (before, after, max); absent means 0. */
export function intOption(options: Options, key: string): number {
  const raw = options[key];
  if (raw === undefined) return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new OptionsError(`invalid ${key} value ${raw}`);
  return n;
}

/** `--since`/`--until` as epoch ms (capability `time-range-v1`, docs/protocol.md#options). */
export const SINCE_OPTION = "since";
export const UNTIL_OPTION = "until";

/** The options of a time range: only its bounds that are set. */
export function timeRangeOptions(range: TimeRange | null | undefined): Options {
  const options: Options = {};
  if (range === null || range === undefined) return options;
  if (range.since !== -Infinity) options[SINCE_OPTION] = String(Math.floor(range.since));
  if (range.until !== Infinity) options[UNTIL_OPTION] = String(Math.floor(range.until));
  return options;
}

/** The time range of a command's options, or null without `since` and `until`. */
export function timeRangeOf(options: Options): TimeRange | null {
  const since = options[SINCE_OPTION];
  const until = options[UNTIL_OPTION];
  if (since === undefined && until === undefined) return null;
  const range = {
    since: since === undefined ? -Infinity : epochMsOption(SINCE_OPTION, since),
    until: until === undefined ? Infinity : epochMsOption(UNTIL_OPTION, until),
  };
  if (range.since > range.until) {
    throw new OptionsError(`invalid time range: since ${since} is after until ${until}`);
  }
  return range;
}

function epochMsOption(key: string, raw: string): number {
  const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw new OptionsError(`invalid ${key} value ${raw}`);
  return n;
}
