import assert from "node:assert/strict";
import { LineSplitter } from "./line_splitter.ts";

Deno.test("lines are split across pieces, without their line ends", () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push(":sh"), { lines: [], dropped: 0 });
  assert.deepEqual(s.push("ow\r\n:reload --grep x\n:q"), {
    lines: [":show", ":reload --grep x"],
    dropped: 0,
  });
  assert.equal(s.end(), ":q");
  assert.equal(s.end(), null);
});

Deno.test("a line over the limit is dropped when it reaches it, and skipped to its end", () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push("0123456789"), { lines: [], dropped: 0 }); // exactly the limit
  assert.deepEqual(s.push("x"), { lines: [], dropped: 1 });
  assert.deepEqual(s.push("y".repeat(1000)), { lines: [], dropped: 0 });
  assert.deepEqual(s.push("z\n:show\n"), { lines: [":show"], dropped: 0 });
  assert.deepEqual(s.push("a".repeat(25) + "\nb\n"), { lines: ["b"], dropped: 1 });
  assert.deepEqual(s.push("c".repeat(11)), { lines: [], dropped: 1 });
  assert.equal(s.end(), null);
});

Deno.test("an endless input without line ends stays within the limit", () => {
  const s = new LineSplitter(64 * 1024);
  const zeros = "\0".repeat(4096);
  let dropped = 0;
  for (let i = 0; i < 10_000; i++) dropped += s.push(zeros).dropped;
  assert.equal(dropped, 1);
  assert.deepEqual(s.push("\n:quit\n").lines, [":quit"]);
});
