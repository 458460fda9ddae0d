import assert from "node:assert/strict";
import { queryDeadline } from "./deadline.ts";

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
