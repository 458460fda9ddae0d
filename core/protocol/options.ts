/**
 * Command options (docs/protocol.md#options): `key=value` pairs joined by ":", keys sorted, only
 * non-default keys. A value containing ":", "=" or "|", or starting with "base64%", travels as
 * `base64%<b64>`; so does one with a space, which would split the command (the server decodes any
 * such value).
 */
import { fromBase64, toBase64 } from "./frames.ts";
import { ProtocolError } from "../errors.ts";

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
