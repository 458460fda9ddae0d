import assert from "node:assert/strict";
import { armDeadline, queryDeadline } from "./deadline.ts";

Deno.test("dtail queries stop at the earliest of --timeout and --shutdownAfter", () => {
  assert.equal(queryDeadline("dtail", true, 5, 86400), 5);
  assert.equal(queryDeadline("dtail", false, 0, 30), 30);
  assert.equal(queryDeadline("dtail", true, 0, 0), 0);
});

Deno.test("a remote dmap leaves --timeout to the servers; a serverless one applies it", () => {
  assert.equal(queryDeadline("dmap", true, 3, 0), 0);
  assert.equal(queryDeadline("dmap", false, 3, 0), 3);
  assert.equal(queryDeadline("dmap", false, 0, 10), 0);
});

Deno.test("a deadline fires after its seconds, and one past a 32-bit timer does not fire at once", async () => {
  let fired = 0;
  armDeadline(0.02, () => fired++);
  const cancel = armDeadline(99_999_999_999, () => fired += 100);
  await new Promise((r) => setTimeout(r, 100));
  cancel();
  assert.equal(fired, 1);
});

Deno.test("a cancelled deadline never fires", async () => {
  let fired = false;
  armDeadline(0.02, () => fired = true)();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(fired, false);
});
