import assert from "node:assert/strict";
import { awaitCapabilities } from "./handshake.ts";

const enc = new TextEncoder();

/** An input that yields `chunks` after `delayMs`, then ends. */
async function* input(chunks: Uint8Array[], delayMs = 0): AsyncGenerator<Uint8Array> {
  if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  yield* chunks;
}

const message = (text: string) => new Uint8Array([...enc.encode(text), 0xac]);

Deno.test("the capability list is taken from the first message", async () => {
  const h = await awaitCapabilities(input([message(".syn capabilities escape-ac-v1 x")]), 1000);
  assert.deepEqual(h.capabilities, ["escape-ac-v1", "x"]);
  assert.deepEqual(h.early, []);
  assert.equal(h.partial, null);
  assert.equal(h.pendingRead, null);
});

Deno.test("messages after the capability list and a cut-off one are kept for later", async () => {
  const chunk = new Uint8Array([...message(".syn capabilities a"), ...message("one"), 0x74, 0x77]);
  const h = await awaitCapabilities(input([chunk]), 1000);
  assert.deepEqual(h.capabilities, ["a"]);
  assert.deepEqual(h.early, [enc.encode("one")]);
  assert.deepEqual(h.partial, enc.encode("tw"));
});

Deno.test("a first message that is not a capability list is kept as an early message", async () => {
  const h = await awaitCapabilities(input([message("SERVER|h|hello")]), 1000);
  assert.deepEqual(h.capabilities, []);
  assert.deepEqual(h.early, [enc.encode("SERVER|h|hello")]);
});

Deno.test("a server that says nothing in time leaves its first read under way", async () => {
  const it = input([message("late")], 50);
  const h = await awaitCapabilities(it, 1);
  assert.deepEqual(h.capabilities, []);
  assert.notEqual(h.pendingRead, null);
  const first = await h.pendingRead!;
  assert.deepEqual(first.value, message("late"));
});

Deno.test("a stream that ends at once gives no capabilities and no read under way", async () => {
  const h = await awaitCapabilities(input([]), 1000);
  assert.deepEqual(h.capabilities, []);
  assert.equal(h.pendingRead, null);
});
