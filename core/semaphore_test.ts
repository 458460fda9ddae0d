import assert from "node:assert/strict";
import { Semaphore } from "./semaphore.ts";

Deno.test("take with an already aborted signal returns null and takes nothing", async () => {
  const s = new Semaphore(1);
  const held = await s.take();
  assert.ok(held);
  const gone = new AbortController();
  gone.abort();
  assert.equal(await s.take(gone.signal), null);
  assert.equal(s.waiting, 0, "no waiter left behind to be granted later");
  held.release();
  assert.equal(s.free, 1);
});

Deno.test("a waiter whose signal aborts leaves the queue, and the slot goes to the next", async () => {
  const s = new Semaphore(1);
  const first = await s.take();
  const stop = new AbortController();
  const cancelled = s.take(stop.signal);
  const next = s.take();
  stop.abort();
  assert.equal(await cancelled, null);
  first![Symbol.dispose]();
  const granted = await next;
  assert.ok(granted);
  assert.equal(s.free, 0);
  granted.release();
  assert.equal(s.free, 1);
});

Deno.test("a slot is given back exactly once, by using or by release", async () => {
  const s = new Semaphore(2);
  {
    using _slot = await s.take();
    assert.equal(s.free, 1);
  }
  assert.equal(s.free, 2);
  const slot = (await s.take())!;
  slot.release();
  slot.release();
  slot[Symbol.dispose]();
  assert.equal(s.free, 2);
});
