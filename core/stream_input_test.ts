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

Deno.test("stream input hands out plain Uint8Array views, not Node Buffers", async () => {
  const { Buffer } = await import("node:buffer");
  const s = new FakeStream();
  const it = streamInput(s);
  const next = it.next();
  s.emit("data", Buffer.from([1, 2, 3]));
  const { value } = await next;
  assert.equal(Object.getPrototypeOf(value), Uint8Array.prototype);
  assert.deepEqual([...value!], [1, 2, 3]);
  await it.return(undefined);
});

Deno.test("stream writes go on while the backlog is small and wait for drain beyond it", async () => {
  class Sink extends EventEmitter {
    destroyed = false;
    writable = true;
    writableLength = 0;
    write(b: Uint8Array) {
      this.writableLength += b.length;
      return false; // like an SSH channel whose window is in use
    }
  }
  const { streamWrite, MAX_BACKLOG } = await import("./stream_input.ts");
  const sink = new Sink();
  await streamWrite(sink, new Uint8Array(1024)); // small backlog: no wait
  let resolved = false;
  const big = streamWrite(sink, new Uint8Array(MAX_BACKLOG)).then(() => (resolved = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(resolved, false, "waits beyond the backlog limit");
  sink.writableLength = 0;
  sink.emit("drain");
  await big;
  assert.equal(sink.listenerCount("drain"), 0);
});
