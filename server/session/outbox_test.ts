import assert from "node:assert/strict";
import { Outbox, SessionClosedError } from "./outbox.ts";

Deno.test("the backlog counts bytes the channel has not taken yet, large pieces included", async () => {
  const accepted: number[] = [];
  let release: () => void = () => {};
  const outbox = new Outbox(
    {
      write: (bytes) =>
        new Promise<void>((resolve) => {
          release = () => {
            accepted.push(bytes.length);
            resolve();
          };
        }),
    },
    undefined,
    1024,
  );
  outbox.out.bytes(new Uint8Array(100));
  assert.equal(outbox.backlog, 100);
  outbox.out.bytes(new Uint8Array(4096)); // bypasses the 1 KiB buffer
  assert.equal(outbox.backlog, 4196, "a piece handed straight to the channel still counts");
  const flushed = outbox.flush();
  await new Promise((r) => setTimeout(r, 0));
  release(); // the channel takes the first write (100 B)
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(outbox.backlog, 4096);
  release();
  await flushed;
  assert.equal(outbox.backlog, 0);
  assert.deepEqual(accepted, [100, 4096]);
});

Deno.test("a flush stuck on a channel that takes nothing fails at once when the session ends", async () => {
  const gone = new AbortController();
  const outbox = new Outbox({ write: () => new Promise<void>(() => {}) }, gone.signal);
  outbox.out.bytes(new Uint8Array(10));
  const flushed = outbox.flush();
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(outbox.stalledMs() >= 15, "output waits without progress");
  gone.abort();
  await assert.rejects(flushed, SessionClosedError);
  await assert.rejects(outbox.flush(), SessionClosedError);
  outbox.out.bytes(new Uint8Array(10));
  outbox.out.flush();
  assert.equal(outbox.backlog, 10, "nothing more is queued for the dead channel");
});

Deno.test("stalledMs is 0 while nothing waits and counts from when output started waiting", async () => {
  let release: () => void = () => {};
  const outbox = new Outbox({ write: () => new Promise<void>((r) => (release = r)) });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(outbox.stalledMs(), 0);
  outbox.out.bytes(new Uint8Array(10));
  outbox.out.flush();
  assert.ok(outbox.stalledMs() < 20, "an idle session before the output is no stall");
  await new Promise((r) => setTimeout(r, 0));
  release();
  await outbox.flush();
  assert.equal(outbox.stalledMs(), 0);
});

Deno.test("once a newer generation started, what older ones queued is dropped", async () => {
  const sent: string[] = [];
  const waiting: (() => void)[] = [];
  const outbox = new Outbox({
    write: (bytes) =>
      new Promise<void>((resolve) =>
        waiting.push(() => {
          sent.push(new TextDecoder().decode(bytes));
          resolve();
        })
      ),
  });
  const write = (generation: number, text: string) => {
    outbox.tag(generation);
    outbox.out.string(text);
    outbox.out.flush();
  };
  write(1, "taken by the channel;");
  await new Promise((r) => setTimeout(r, 0)); // the channel took it (its write has not ended)
  write(1, "queued;");
  write(0, "no generation;");
  outbox.startGeneration(2);
  assert.ok(outbox.isStale(1) && !outbox.isStale(0) && !outbox.isStale(2));
  write(0, "ack;");
  write(1, "late;");
  write(2, "new;");
  const flushed = outbox.flush();
  while (waiting.length > 0 || sent.length === 0) {
    waiting.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  }
  await flushed;
  assert.deepEqual(sent, ["taken by the channel;", "no generation;", "ack;", "new;"]);
  assert.equal(outbox.backlog, 0);
});
