import * as assert from "node:assert/strict";
import { BufferedOutput } from "./output.ts";
import { firstControl, writeVisible } from "./visible_controls.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function visible(text: string | Uint8Array): string {
  const chunks: Uint8Array[] = [];
  const out = new BufferedOutput((b) => chunks.push(b.slice()), 64);
  writeVisible(out, typeof text === "string" ? enc.encode(text) : text);
  out.flush();
  return dec.decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("a line without control characters is written as it is", () => {
  const line = "2026-12-05T11:00:00Z web01 ERROR\tupstream € failed ©";
  assert.equal(visible(line), line);
});

Deno.test("escape sequences that are not colors are shown, not sent to the terminal", () => {
  assert.equal(
    visible("evil \x1b]0;pwned\x07 \x1b[2J end"),
    "evil \\x1b]0;pwned\\x07 \\x1b[2J end",
  );
  assert.equal(visible("\x1b]52;c;cHduZWQ=\x1b\\"), "\\x1b]52;c;cHduZWQ=\\x1b\\");
  assert.equal(visible("cursor \x1b[10;1H home"), "cursor \\x1b[10;1H home");
});

Deno.test("SGR color sequences are kept, an overlong one is shown", () => {
  const colored = "\x1b[1;31mERROR\x1b[0m \x1b[38:5:208mrest\x1b[m";
  assert.equal(visible(colored), colored);
  const long = `\x1b[${"1;".repeat(40)}m`;
  assert.equal(visible(long), `\\x1b${long.slice(1)}`);
});

Deno.test("carriage return, backspace and other C0 controls are shown, a final CR is kept", () => {
  assert.equal(visible("real\rREMOTE|fake"), "real\\rREMOTE|fake");
  assert.equal(visible("abc\b\b\bxyz\x00\x0e\x7f"), "abc\\x08\\x08\\x08xyz\\x00\\x0e\\x7f");
  assert.equal(visible("crlf line\r"), "crlf line\r");
});

Deno.test("C1 controls in UTF-8 are shown; other characters after 0xC2 are kept", () => {
  assert.equal(visible("csi \u009b2J osc \u009d"), "csi \\x9b2J osc \\x9d");
  assert.equal(visible("\u00a0\u00a9\u00bf"), "\u00a0\u00a9\u00bf");
  // An invalid 0xC2 at the end, or before a byte that is no continuation, stays as it is.
  const raw = new Uint8Array([0x61, 0xc2, 0x41, 0xc2]);
  const chunks: Uint8Array[] = [];
  const out = new BufferedOutput((b) => chunks.push(b.slice()));
  writeVisible(out, raw);
  out.flush();
  assert.deepEqual(chunks, [raw]);
});

Deno.test("firstControl finds what a byte-by-byte scan finds, at every alignment", () => {
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const buffer = new Uint8Array(4096);
  const suspect = (c: number) => (c < 0x20 && c !== 0x09) || c === 0x7f || c === 0xc2;
  for (let round = 0; round < 2000; round++) {
    for (let i = 0; i < buffer.length; i++) {
      const r = random();
      buffer[i] = r < 0.002 ? Math.floor(random() * 256) : r < 0.1 ? 0x09 : 0x20 + (i % 90);
    }
    const offset = Math.floor(random() * 16);
    const view = buffer.subarray(offset, offset + 64 + Math.floor(random() * 1000));
    const start = Math.floor(random() * 40);
    const end = Math.max(start, view.length - Math.floor(random() * 40));
    let expected = -1;
    for (let i = start; i < end; i++) {
      if (suspect(view[i]!)) {
        expected = i;
        break;
      }
    }
    assert.equal(firstControl(view, start, end), expected, `round ${round}`);
  }
});
