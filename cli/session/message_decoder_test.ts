import assert from "node:assert/strict";
import { messageDecoder } from "./message_decoder.ts";
import { blockHeader, BlockPiece } from "../../core/protocol/blocks.ts";
import { CONTROL_MARKER } from "../../core/protocol/messages.ts";

const enc = new TextEncoder();
const AC = 0xac;
const of = (...parts: (Uint8Array | number[])[]) => new Uint8Array(parts.flatMap((p) => [...p]));

Deno.test("the Go wire splits on 0xAC and unescapes nothing", () => {
  const d = messageDecoder("go", true);
  const chunk = of(enc.encode("a"), [0xab, 2, AC], enc.encode("b"), [AC]);
  assert.equal(d.payloadRun(chunk), null);
  assert.deepEqual(d.push(chunk), [of(enc.encode("a"), [0xab, 2]), enc.encode("b")]);
  assert.equal(d.error, null);
});

Deno.test("the escaped wire unescapes payload and keeps the control marker", () => {
  const d = messageDecoder("escaped", false);
  const chunk = of(enc.encode("a"), [0xab, 2, AC], CONTROL_MARKER, enc.encode("n"), [AC]);
  assert.deepEqual(d.push(chunk), [of(enc.encode("a"), [AC]), of(CONTROL_MARKER, enc.encode("n"))]);
});

Deno.test("payload runs come only on the escaped wire, and only when asked for", () => {
  const chunk = of(enc.encode("a"), [AC], enc.encode("b"), [AC]);
  const run = messageDecoder("escaped", true).payloadRun(chunk);
  assert.deepEqual(run === null ? null : [...run.ends], [1, 3]);
  assert.equal(messageDecoder("escaped", false).payloadRun(chunk), null);
  assert.equal(messageDecoder("blocks", true).payloadRun(chunk), null);
});

Deno.test("a partial message is carried into the next chunk", () => {
  const d = messageDecoder("escaped", true);
  assert.deepEqual(d.push(enc.encode("par")), []);
  const run = d.payloadRun(of(enc.encode("t"), [AC]));
  assert.deepEqual(run?.joined, enc.encode("part"));
});

Deno.test("the blocks wire gives block pieces between messages, and its format errors", () => {
  const d = messageDecoder("blocks", true);
  const body = enc.encode("x\n");
  const items = d.push(of(blockHeader(body.length), body, [AC], enc.encode("m"), [AC]));
  assert.equal(items.length, 2);
  assert.ok(items[0] instanceof BlockPiece);
  assert.deepEqual(items[0].bytes, body);
  assert.deepEqual(items[1], enc.encode("m"));
  assert.equal(d.error, null);
  d.push(of([0xab, 4], enc.encode("zzzzzzzz")));
  assert.match(d.error ?? "", /bad block size/);
});

Deno.test("a message longer than the bound is the decoder's error, on every wire", () => {
  for (const wire of ["go", "escaped", "blocks"] as const) {
    const d = messageDecoder(wire, true);
    const piece = new Uint8Array(1 << 20).fill(0x78);
    for (let i = 0; i < 65 && d.error === null; i++) {
      if (d.payloadRun(piece) === null) d.push(piece);
    }
    assert.equal(d.error, "a message of more than 64 MiB without its end (0xAC)", wire);
    assert.deepEqual(d.push(of(enc.encode("a"), [AC])), [], wire);
  }
});
