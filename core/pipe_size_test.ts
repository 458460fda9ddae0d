import assert from "node:assert/strict";
import { growingSink } from "./pipe_size.ts";

Deno.test("standard output's sink grows the pipe once, before the write that reaches the bound", () => {
  const events: string[] = [];
  const sink = growingSink(
    (bytes) => events.push(`write ${bytes.length}`),
    100,
    () => events.push("grow"),
  );
  sink(new Uint8Array(60));
  sink(new Uint8Array(39));
  assert.deepEqual(events, ["write 60", "write 39"], "99 bytes: no FFI set-up");
  sink(new Uint8Array(1));
  sink(new Uint8Array(500));
  assert.deepEqual(events, ["write 60", "write 39", "grow", "write 1", "write 500"]);
});

Deno.test("one large first write grows the pipe before it goes out", () => {
  const events: string[] = [];
  const sink = growingSink((b) => events.push(`write ${b.length}`), 100, () => events.push("grow"));
  sink(new Uint8Array(1 << 20));
  assert.deepEqual(events, ["grow", `write ${1 << 20}`]);
});
