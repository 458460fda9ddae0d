import assert from "node:assert/strict";
import { Outbox } from "./outbox.ts";

Deno.test("the backlog counts bytes the channel has not taken yet, large pieces included", async () => {
  const accepted: number[] = [];
  let release: () => void = () => {};
  const outbox = new Outbox({
    write: (bytes) =>
      new Promise<void>((resolve) => {
        release = () => {
          accepted.push(bytes.length);
          resolve();
        };
      }),
  }, 1024);
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
