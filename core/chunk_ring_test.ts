import assert from "node:assert/strict";
import {
  END_DONE,
  END_FAILED,
  newRingMemory,
  RingReader,
  RingWriter,
  SLOT_BYTES,
  SLOTS,
} from "./chunk_ring.ts";

const into = () => new Uint8Array(SLOT_BYTES);

Deno.test("chunks come out of the ring in order, each with its length, then its end", async () => {
  const memory = newRingMemory();
  const writer = new RingWriter(memory);
  const reader = new RingReader(memory);
  const buffer = into();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < SLOTS; i++) {
      assert.equal(writer.put(new Uint8Array(100 + i).fill(round * 10 + i)), true);
    }
    for (let i = 0; i < SLOTS; i++) {
      assert.equal(await reader.take(buffer), 100 + i);
      assert.ok(buffer.subarray(0, 100 + i).every((b) => b === round * 10 + i));
    }
  }
  assert.equal(writer.put(new Uint8Array(SLOT_BYTES).fill(7)), true, "a whole slot");
  writer.end(END_DONE);
  assert.equal(await reader.take(buffer), SLOT_BYTES, "a chunk put before the end still comes");
  assert.equal(await reader.take(buffer), -END_DONE);
  assert.equal(await reader.take(buffer), -END_DONE);
});

Deno.test("a reader waiting for a chunk wakes for it, and for a failed end", async () => {
  const memory = newRingMemory();
  const writer = new RingWriter(memory);
  const reader = new RingReader(memory);
  const buffer = into();
  // A wait keeps no event loop alive (the producing worker does): a timer stands in for it.
  const alive = setInterval(() => {}, 5);
  try {
    const waiting = reader.take(buffer);
    setTimeout(() => writer.put(new Uint8Array([1, 2, 3])), 20);
    assert.equal(await waiting, 3);
    const failing = reader.take(buffer);
    setTimeout(() => writer.end(END_FAILED), 20);
    assert.equal(await failing, -END_FAILED);
  } finally {
    clearInterval(alive);
  }
});

Deno.test("a reader that gives up stops the writer and its own wait", async () => {
  const memory = newRingMemory();
  const writer = new RingWriter(memory);
  const reader = new RingReader(memory);
  const alive = setInterval(() => {}, 5);
  const waiting = reader.take(into());
  reader.cancel();
  assert.equal(await waiting, -END_FAILED);
  clearInterval(alive);
  for (let i = 0; i < SLOTS; i++) writer.put(new Uint8Array(1));
  // The ring is full: without the cancel, this put would wait for room forever.
  assert.equal(writer.put(new Uint8Array(1)), false);
});

Deno.test("a chunk decoded into its claimed slot is put without a copy, in claim order", async () => {
  const memory = newRingMemory();
  const writer = new RingWriter(memory);
  const reader = new RingReader(memory);
  const buffer = into();
  // A decoder claims the next slot before it puts the one it filled.
  let filling = writer.claim()!;
  for (let i = 0; i < 3 * SLOTS; i++) {
    filling.fill(i + 1, 0, 1000 + i);
    const full = filling.subarray(0, 1000 + i);
    filling = writer.claim()!;
    assert.notEqual(filling.byteOffset, full.byteOffset, "the next claim is another slot");
    assert.equal(full.buffer, memory.slots);
    assert.equal(writer.put(full), true);
    assert.equal(await reader.take(buffer), 1000 + i);
    assert.ok(buffer.subarray(0, 1000 + i).every((b) => b === i + 1), `chunk ${i}`);
  }
});

Deno.test("a claim gets the slot a take freed, and nothing once the consumer gave up", async () => {
  const memory = newRingMemory();
  const writer = new RingWriter(memory);
  const reader = new RingReader(memory);
  let filling = writer.claim()!;
  for (let i = 0; i < SLOTS - 1; i++) {
    const full = filling.subarray(0, 1);
    filling = writer.claim()!;
    writer.put(full);
  }
  // Three chunks put, the fourth slot claimed: a fifth claim needs the first slot back.
  assert.equal(await reader.take(into()), 1);
  const again = writer.claim()!;
  assert.equal(again.byteOffset, 0, "the slot the take freed");
  reader.cancel();
  assert.equal(writer.claim(), null);
});
