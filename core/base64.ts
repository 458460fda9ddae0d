/**
 * Standard base64 (RFC 4648 §4) without `node:buffer`, whose loading costs start-up time:
 * `encodeBase64` writes padded text as `Buffer.prototype.toString("base64")` does, and
 * `decodeBase64Lenient` reads text exactly as `Buffer.from(text, "base64")` does, so that a
 * parser moved off Buffer keeps its behaviour: it never throws, stops at the first `=`, drops
 * every other character outside the alphabet (whitespace included), takes the URL-safe `-` and
 * `_` for `+` and `/`, ignores a final lone character and the unused bits of the last one.
 * Callers that want strictness check the text's shape first (known_hosts does).
 */

const OUTSIDE_STANDARD = /[^A-Za-z0-9+/]/;
const OUTSIDE_EITHER = /[^A-Za-z0-9+/\-_]/g;

/** Padded standard base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** The bytes `Buffer.from(text, "base64")` gives, as a plain Uint8Array of its own. */
export function decodeBase64Lenient(text: string): Uint8Array {
  const eq = text.indexOf("=");
  let clean = eq < 0 ? text : text.slice(0, eq);
  if (OUTSIDE_STANDARD.test(clean)) {
    clean = clean.replace(OUTSIDE_EITHER, "").replaceAll("-", "+").replaceAll("_", "/");
  }
  if (clean.length % 4 === 1) clean = clean.slice(0, -1);
  return Uint8Array.fromBase64(clean, { lastChunkHandling: "loose" });
}
