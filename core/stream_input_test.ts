import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { streamInput } from "./stream_input.ts";

class FakeStream extends EventEmitter {
  paused = false;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
}

const bytes = (n: number) => new Uint8Array([n]);

Deno.test("stream input yields chunks in order and ends with the stream", async () => {
  const s = new FakeStream();
  const got: number[] = [];
  const reading = (async () => {
    for await (const c of streamInput(s)) got.push(c[0]!);
  })();
  for (let i = 0; i < 5; i++) s.emit("data", bytes(i));
  s.emit("end");
  await reading;
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
});

Deno.test("stream input pauses a fast sender and resumes it as chunks are taken", async () => {
  const s = new FakeStream();
  const it = streamInput(s);
  const first = it.next();
  for (let i = 0; i < 20; i++) s.emit("data", bytes(i));
  assert.equal(s.paused, true);
  await first; // 19 left
  for (let i = 0; i < 10; i++) await it.next(); // 9 left: still above half
  assert.equal(s.paused, true);
  await it.next(); // 8 left
  assert.equal(s.paused, false);
  await it.return(undefined);
});

Deno.test("stopping early leaves the stream alone and removes the listeners", async () => {
  const s = new FakeStream();
  const it = streamInput(s);
  const next = it.next();
  s.emit("data", bytes(1));
  await next;
  await it.return(undefined);
  assert.equal(s.listenerCount("data"), 0);
  assert.equal(s.listenerCount("end"), 0);
});
