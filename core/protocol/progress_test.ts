import assert from "node:assert/strict";
import { parseProgressMessage, progressMessage } from "./progress.ts";

Deno.test("a progress message carries the bytes read and the total, and reads back", () => {
  const text = progressMessage({ read: 1200, total: 4000 });
  assert.equal(text, ".progress 1200 4000");
  assert.deepEqual(parseProgressMessage(text), { read: 1200, total: 4000 });
});

Deno.test("other hidden messages and damaged progress messages are not progress", () => {
  assert.equal(parseProgressMessage(".mapr malformed 3"), null);
  assert.equal(parseProgressMessage(".progress 12"), null);
  assert.equal(parseProgressMessage(".progress -1 4"), null);
  assert.equal(parseProgressMessage(".progress 1 2 3"), null);
  assert.equal(parseProgressMessage(`.progress ${"9".repeat(40)} 1`), null);
});
