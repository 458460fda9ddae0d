/**
 * UTF-8 validity by a byte scan (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), as a fatal TextDecoder judges it but without an exception per invalid input: a
 * thrown and caught error costs ~10 µs, more than printing the line.
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The second byte's range depends on the first; the later ones are plain continuations.
    let lo = 0x80, hi = 0xbf, more: number;
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return false;
    if (i + more >= n) return false; // cut short
    const second = bytes[i + 1]!;
    if (second < lo || second > hi) return false;
    for (let k = 2; k <= more; k++) {
      const c = bytes[i + k]!;
      if (c < 0x80 || c > 0xbf) return false;
    }
    i += more + 1;
  }
  return true;
}

const lossy = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * UTF-8 text as RE2 (Go's regexp) reads it: each byte of an invalid sequence is one U+FFFD, where
 * a TextDecoder makes one U+FFFD of a cut-short sequence (`E2 82` then `b`: two here, one there),
 * so that `a.b` or `^.{3}$` select the lines Go selects. Costs a TextDecoder call and, for text
 * with U+FFFD in it, a scan for such sequences; only text that has one is decoded again.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  const text = lossy.decode(bytes);
  if (!text.includes("\ufffd")) return text;
  let out = "";
  let last = 0;
  for (let i = 0; i < bytes.length;) {
    const step = stepAt(bytes, i);
    if (step > 0) {
      i += step;
      continue;
    }
    const cut = -step;
    out += lossy.decode(bytes.subarray(last, i)) + "\ufffd".repeat(cut);
    i = last = i + cut;
  }
  return last === 0 ? text : out + lossy.decode(bytes.subarray(last));
}

/**
 * How many bytes to step over at `i` (1, or a whole sequence of 3 or 4), or minus the length of
 * the valid start of a 3- or 4-byte sequence that the input cuts short (2 or 3 bytes: what a
 * TextDecoder makes one U+FFFD of).
 */
function stepAt(bytes: Uint8Array, i: number): number {
  const b = bytes[i]!;
  if (b < 0xe0 || b > 0xf4) return 1;
  const more = b >= 0xf0 ? 3 : 2;
  let lo = 0x80, hi = 0xbf;
  if (b === 0xe0) lo = 0xa0;
  else if (b === 0xed) hi = 0x9f;
  else if (b === 0xf0) lo = 0x90;
  else if (b === 0xf4) hi = 0x8f;
  const second = bytes[i + 1];
  if (second === undefined || second < lo || second > hi) return 1;
  for (let k = 2; k <= more; k++) {
    const c = bytes[i + k];
    if (c === undefined || c < 0x80 || c > 0xbf) return -k;
  }
  return more + 1;
}

/** UTF-8 byte length (Go's `len` of a string). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2; // 4 bytes for 2 code units
        i++;
        continue;
      }
    }
    bytes += c < 0x800 ? 1 : 2;
  }
  return bytes;
}
