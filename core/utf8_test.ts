import assert from "node:assert/strict";
import { decodeUtf8, isValidUtf8, utf8Length } from "./utf8.ts";

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
function decoderSays(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

Deno.test("valid UTF-8 of every length is valid, at the edges of each range", () => {
  for (
    const text of ["", "a", "é", "€", "😀", "\u{10FFFF}", "\uFFFD", "\u0080\u07FF\u0800\uFFFF"]
  ) {
    assert.equal(isValidUtf8(new TextEncoder().encode(`x${text}y`)), true, text);
    assert.equal(isValidUtf8(new TextEncoder().encode(text)), true, text);
  }
});

Deno.test("overlong forms, surrogates, code points past U+10FFFF and cut sequences are invalid", () => {
  const cases = [
    [0xc0, 0x80], // overlong NUL
    [0xc1, 0xbf],
    [0xe0, 0x80, 0x80], // overlong three-byte
    [0xf0, 0x80, 0x80, 0x80], // overlong four-byte
    [0xed, 0xa0, 0x80], // U+D800
    [0xf4, 0x90, 0x80, 0x80], // U+110000
    [0xf5, 0x80, 0x80, 0x80],
    [0xe2, 0x82], // € cut
    [0xe2, 0x82, 0x41],
    [0x80],
    [0xff],
    [0x61, 0xe9, 0x62], // Latin-1 é
  ];
  for (const bytes of cases) {
    assert.equal(isValidUtf8(new Uint8Array(bytes)), false, bytes.join(","));
    assert.equal(decoderSays(new Uint8Array(bytes)), false, bytes.join(","));
  }
});

Deno.test("on 20,000 random byte strings, it agrees with a fatal TextDecoder", () => {
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) >>> 16;
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf];
  interesting.push(0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff);
  let invalid = 0;
  for (let n = 0; n < 20_000; n++) {
    const bytes = new Uint8Array(next() % 9);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = next() % 2 === 0 ? interesting[next() % interesting.length]! : next() & 0xff;
    }
    const expected = decoderSays(bytes);
    if (!expected) invalid++;
    assert.equal(isValidUtf8(bytes), expected, Array.from(bytes).join(","));
  }
  assert.ok(invalid > 1000 && invalid < 19_000, `${invalid} invalid: both kinds were tried`);
});

/** Go's utf8.DecodeRune, one step at a time: an invalid or cut-short sequence is one byte. */
function goRunes(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    let whole = 0;
    for (let n = 1; n <= 4 && i + n <= bytes.length && whole === 0; n++) {
      if (decoderSays(bytes.subarray(i, i + n))) whole = n;
    }
    out += whole === 0 ? "\ufffd" : strict.decode(bytes.subarray(i, i + whole));
    i += whole === 0 ? 1 : whole;
  }
  return out;
}

Deno.test("decodeUtf8 makes each byte of a cut-short sequence one U+FFFD, as RE2 reads it", () => {
  const bytes = (...b: number[]) => new Uint8Array(b);
  assert.equal(decodeUtf8(bytes(0x61, 0xe2, 0x82, 0x62)), "a\ufffd\ufffdb");
  assert.equal(decodeUtf8(bytes(0xf0, 0x9f, 0x98, 0x0a)), "\ufffd\ufffd\ufffd\n");
  assert.equal(decodeUtf8(bytes(0xf0, 0x9f)), "\ufffd\ufffd");
  assert.equal(decodeUtf8(bytes(0xe2, 0x82, 0xac, 0xe2, 0x82)), "\u20ac\ufffd\ufffd");
  // What a TextDecoder already makes one U+FFFD per byte of is left as it decodes it.
  assert.equal(decodeUtf8(bytes(0x63, 0xe9, 0x20, 0xed, 0xa0, 0x80)), "c\ufffd \ufffd\ufffd\ufffd");
  assert.equal(decodeUtf8(new TextEncoder().encode("ok \ufffd € 😀")), "ok \ufffd € 😀");
});

Deno.test("decodeUtf8 reads random bytes as Go's utf8.DecodeRune steps through them", () => {
  const tricky = [
    0x0a,
    0x61,
    0x7f,
    0x80,
    0x8f,
    0x90,
    0x9f,
    0xa0,
    0xbf,
    0xc0,
    0xc2,
    0xdf,
    0xe0,
    0xe2,
  ];
  tricky.push(0xed, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff);
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let round = 0; round < 3000; round++) {
    const bytes = new Uint8Array(1 + Math.floor(next() * 12));
    for (let i = 0; i < bytes.length; i++) bytes[i] = tricky[Math.floor(next() * tricky.length)]!;
    assert.equal(decodeUtf8(bytes), goRunes(bytes), JSON.stringify([...bytes]));
  }
});

Deno.test("utf8Length counts UTF-8 bytes like Go's len", () => {
  assert.equal(utf8Length(""), 0);
  assert.equal(utf8Length("abc"), 3);
  assert.equal(utf8Length("é"), 2);
  assert.equal(utf8Length("€"), 3);
  assert.equal(utf8Length("😀"), 4);
  assert.equal(utf8Length("\ud800"), 3);
});
