import assert from "node:assert/strict";
import { isValidUtf8 } from "./utf8.ts";

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
