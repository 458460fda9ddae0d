import assert from "node:assert/strict";
import { concatBytes } from "../bytes.ts";
import { blockHeader, BlockPiece, BlockStreamReader } from "./blocks.ts";
import { CONTROL_MARKER, escapeMessage } from "./messages.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

const AC = new Uint8Array([0xac]);
const block = (content: Uint8Array) => concatBytes(blockHeader(content.length), content, AC);
const control = (text: string) => concatBytes(CONTROL_MARKER, enc.encode(text), AC);
const payload = (text: string) => concatBytes(escapeMessage(enc.encode(text)), AC);

/** Reads `stream` in the given chunks; block pieces of one block are joined again. */
function read(stream: Uint8Array, cuts: number[]): string[] {
  const reader = new BlockStreamReader();
  const items: string[] = [];
  let blockBytes: Uint8Array[] | null = null;
  const endBlock = () => {
    if (blockBytes !== null) items.push(`block:${[...concatBytes(...blockBytes)].join(",")}`);
    blockBytes = null;
  };
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    for (const item of reader.push(stream.subarray(at, cut))) {
      if (item instanceof BlockPiece) (blockBytes ??= []).push(item.bytes.slice());
      else {
        endBlock();
        items.push(`message:${dec.decode(item)}`);
      }
    }
    at = cut;
  }
  endBlock();
  assert.equal(reader.truncated, false);
  return items;
}

Deno.test("a block header is AB 04 and the size in eight hex digits", () => {
  assert.deepEqual([...blockHeader(0x1a2b)], [0xab, 4, ...enc.encode("00001a2b")]);
  assert.throws(() => blockHeader(-1), RangeError);
  assert.throws(() => blockHeader(2 ** 32), RangeError);
});

Deno.test("blocks and messages come apart the same at every chunk boundary", () => {
  // Block content may hold any byte, the delimiter and the escape marker included.
  const raw = new Uint8Array([...enc.encode("a\n"), 0xac, 0xab, 4, 0x0a, ...enc.encode("5 €\n")]);
  const stream = concatBytes(
    control(".syn hello"),
    block(raw),
    payload("REMOTE|h|x¬\n"),
    block(new Uint8Array(0)),
    block(enc.encode("b\n")),
    control("SERVER|h|done"),
  );
  const whole = read(stream, []);
  assert.deepEqual(whole, [
    "message:\ufffd\x03.syn hello",
    `block:${[...raw].join(",")}`,
    "message:REMOTE|h|x¬\n",
    "block:98,10", // the empty block has no piece; "b\n" follows
    "message:\ufffd\x03SERVER|h|done",
  ]);
  for (let a = 1; a < stream.length; a++) {
    for (const b of [a + 1, a + 7, a + 13]) {
      const cuts = b < stream.length ? [a, b] : [a];
      assert.deepEqual(read(stream, cuts), whole, `cut at ${cuts}`);
    }
  }
});

Deno.test("a malformed block is an error after the good items of its chunk", () => {
  const good = block(enc.encode("ok\n"));
  const badSize = new Uint8Array([0xab, 4, ...enc.encode("0000001g"), 0x41, 0xac]);
  const reader = new BlockStreamReader();
  const items = reader.push(concatBytes(good, badSize));
  assert.deepEqual(items.map((i) => i instanceof BlockPiece ? dec.decode(i.bytes) : "?"), ["ok\n"]);
  assert.match(reader.error ?? "", /bad block size "0000001g"/);
  assert.deepEqual(reader.push(good), [], "nothing after the error");
  const noDelimiter = new BlockStreamReader();
  noDelimiter.push(concatBytes(blockHeader(2), enc.encode("x\ny")));
  assert.match(noDelimiter.error ?? "", /not followed by 0xAC/);
});

Deno.test("a stream cut inside a block is reported as truncated", () => {
  const reader = new BlockStreamReader();
  const items = reader.push(concatBytes(blockHeader(10), enc.encode("abc")));
  assert.equal(items.length, 1);
  assert.ok(reader.truncated);
});

Deno.test("a block whose lines do not end is an error, whatever the chunks", () => {
  const stream = concatBytes(block(enc.encode("a\n")), block(enc.encode("b\nhalf")));
  for (let cut = 1; cut < stream.length; cut++) {
    const reader = new BlockStreamReader();
    const pieces: string[] = [];
    for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
      for (const item of reader.push(part)) {
        if (item instanceof BlockPiece) pieces.push(dec.decode(item.bytes));
      }
    }
    assert.equal(reader.error, "block does not end with a line's end", `cut at ${cut}`);
    assert.ok(pieces.join("").startsWith("a\n"), `cut at ${cut}`);
  }
});

Deno.test("a block larger than a message may be is refused at its header", () => {
  const reader = new BlockStreamReader();
  assert.deepEqual(reader.push(blockHeader(64 * 1024 * 1024 + 1)), []);
  assert.equal(reader.error, `a block of ${64 * 1024 * 1024 + 1} bytes, more than 64 MiB`);
  const fits = new BlockStreamReader();
  fits.push(blockHeader(64 * 1024 * 1024));
  assert.equal(fits.error, null);
  assert.ok(fits.truncated);
});
