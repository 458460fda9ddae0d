import assert from "node:assert/strict";
import { parseGoFloat } from "./evaluate.ts";
import { decodeRange, LineFields, plainDecimalAt, trimRange } from "./line_fields.ts";

const encode = (text: string) => new TextEncoder().encode(text);

function trimmed(text: string): string {
  const bytes = encode(text);
  const out = new Int32Array(2);
  trimRange(bytes, 0, bytes.length, out);
  return new TextDecoder().decode(bytes.subarray(out[0], out[1]));
}

Deno.test("trimRange keeps what String.prototype.trim keeps, for every BMP character at each end", () => {
  for (let c = 0; c < 0x10000; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCharCode(c);
    for (const text of [`${ch}a${ch}`, `${ch}${ch}`, ch, `a${ch}`, `${ch}b`]) {
      assert.equal(trimmed(text), text.trim(), `U+${c.toString(16)} in ${JSON.stringify(text)}`);
    }
  }
});

Deno.test("trimRange leaves invalid UTF-8 at the ends in place", () => {
  const bytes = new Uint8Array([0xa0, 0x41, 0xc2, 0x20, 0xe2, 0x80]);
  const out = new Int32Array(2);
  trimRange(bytes, 0, bytes.length, out);
  assert.deepEqual([...out], [0, 6]);
  trimRange(bytes, 1, 4, out);
  assert.deepEqual([...out], [1, 3]);
});

Deno.test("decodeRange decodes ASCII, UTF-8 and invalid bytes as TextDecoder does", () => {
  const decoder = new TextDecoder();
  const samples = [
    encode("host=web01"),
    encode("Zoë|上游|🔥"),
    new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82, 0x63]),
    encode("x".repeat(200)),
    new Uint8Array(0),
  ];
  for (const bytes of samples) {
    for (let start = 0; start <= bytes.length; start += 3) {
      assert.equal(
        decodeRange(bytes, start, bytes.length),
        decoder.decode(bytes.subarray(start)),
      );
    }
  }
});

Deno.test("plainDecimalAt reads plain decimals as parseGoFloat and leaves the rest to it", () => {
  for (const text of ["0", "42", "-7", "1.98", "-0.5", "123456789012345", "10.25"]) {
    const bytes = encode(`|${text}|`);
    assert.equal(plainDecimalAt(bytes, 1, bytes.length - 1), parseGoFloat(text), text);
  }
  for (
    const text of ["", "-", "+5", "1e3", "1.", ".5", "1.2.3", "1234567890123456", "0x10", "nan"]
  ) {
    const bytes = encode(text);
    assert.ok(Number.isNaN(plainDecimalAt(bytes, 0, bytes.length)), JSON.stringify(text));
  }
});

Deno.test("LineFields gives text and numbers of byte values, computed texts and fixed fields", () => {
  const fields = new LineFields();
  fields.fix("$hostname", "h1");
  const a = fields.slot("a");
  const b = fields.slot("b");
  const c = fields.slot("c");
  const line = encode("x=12.5|y=1e3|z=Zoë");
  fields.begin(line, null);
  fields.setBytes(a, line, 2, 6);
  fields.setBytes(b, line, 9, 12);
  fields.setText(c, "nan");
  assert.equal(fields.numberAt(a), 12.5);
  assert.equal(fields.numberAt(b), 1000);
  assert.ok(Number.isNaN(fields.numberAt(c)));
  assert.equal(fields.textAt(a), "12.5");
  assert.equal(fields.get("$hostname"), "h1");
  assert.equal(fields.get("missing"), undefined);
  fields.begin(line, null);
  assert.equal(fields.textAt(a), undefined, "a new line starts without the old values");
  assert.equal(fields.numberAt(a), null);
  assert.equal(fields.get("$hostname"), "h1");
  fields.setBytes(c, line, 15, line.length);
  assert.equal(fields.textAt(c), "Zoë");
  assert.equal(fields.numberAt(c), null);
});

Deno.test("LineFields slices values from the batch text when it maps byte for byte", () => {
  const text = "INFO|host=web01";
  const bytes = encode(text);
  const fields = new LineFields();
  const host = fields.slot("host");
  fields.begin(bytes, text);
  fields.setBytes(host, bytes, 10, 15);
  assert.equal(fields.textAt(host), "web01");
});

Deno.test("LineFields grows past its first slots", () => {
  const fields = new LineFields();
  const line = encode("abcdefghijklmnopqrstuvwxyz0123456789");
  const slots = Array.from({ length: 40 }, (_, i) => fields.slot(`f${i}`));
  fields.begin(line, null);
  slots.forEach((slot, i) => fields.setBytes(slot, line, i % 30, i % 30 + 1));
  assert.equal(fields.get("f35"), "f");
  assert.equal(fields.toMap().size, 40);
});
