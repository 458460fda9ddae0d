import assert from "node:assert/strict";
import { BAD_STRING, scanString, stringClose, unescapeString } from "./json_string.ts";

const encoder = new TextEncoder();

/** Scans the string starting at the first byte of `text`; its body decoded, or BAD_STRING. */
const scan = (text: string): { close: number; escaped: boolean; body: string } | number => {
  const bytes = encoder.encode(text);
  const scanned = scanString(bytes, 0, bytes.length);
  if (scanned === BAD_STRING) return BAD_STRING;
  const close = stringClose(scanned);
  return { close, escaped: scanned < 0, body: unescapeString(bytes, 1, close) };
};

Deno.test("scanString finds the closing quote and tells whether the string has escapes", () => {
  assert.deepEqual(scan('"abc" rest'), { close: 4, escaped: false, body: "abc" });
  assert.deepEqual(scan('""'), { close: 1, escaped: false, body: "" });
  assert.deepEqual(scan(String.raw`"a\"b"`), { close: 5, escaped: true, body: 'a"b' });
  assert.deepEqual(scan('"\u00e9"'), { close: 3, escaped: false, body: "\u00e9" });
});

Deno.test("unescapeString decodes every JSON escape as JSON.parse does", () => {
  for (
    const text of [
      String.raw`"\" \\ \/ \b \f \n \r \t"`,
      String.raw`"\u0041\u00e9\u6f22\ud83d\ude00"`,
      String.raw`"lone \udc00 and \ud800"`,
      String.raw`"mixed \u00E9t\u00e9 caf\u00c9 é"`,
    ]
  ) {
    const result = scan(text);
    assert.ok(typeof result === "object", text);
    assert.equal(result.body, JSON.parse(text), text);
  }
});

Deno.test("scanString rejects unclosed strings, bad escapes and raw control characters", () => {
  for (
    const text of ['"abc', '"abc\\"', '"\\x"', '"\\u12"', '"\\u12G4"', '"a\tb"', '"a\nb"', '"\\']
  ) {
    assert.equal(scan(text), BAD_STRING, JSON.stringify(text));
    assert.throws(() => JSON.parse(text), text);
  }
});

Deno.test("scanString stays within the given end", () => {
  const bytes = encoder.encode('"abc"');
  assert.equal(scanString(bytes, 0, 4), BAD_STRING);
  assert.equal(scanString(bytes, 0, 5), 4);
});
