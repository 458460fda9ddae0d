import assert from "node:assert/strict";
import { LINEAR_V8_FLAGS, linearCapable, linearEngineAvailable } from "./linear_engine.ts";

Deno.test("the test process runs with V8's linear engine", () => {
  // tools/run_tests.sh and deno.json pass LINEAR_V8_FLAGS; without them every regex runs on re2js.
  assert.ok(LINEAR_V8_FLAGS.includes("--enable-experimental-regexp-engine"));
  assert.equal(linearEngineAvailable(), true);
});

Deno.test("the linear engine takes loops and classes, not backreferences or a global lookbehind", () => {
  assert.equal(linearCapable("a+b[0-9]*", "a+b[0-9]*"), true);
  assert.equal(linearCapable("(a)\\1", "(a)\\1"), false);
  // A line source may look behind ("(?<=\n)" for (?m)^); the "gm" search of a text may not.
  assert.equal(linearCapable("(?<=a)b", "^b"), true);
  assert.equal(linearCapable("(?<=a)b", "(?<=a)b"), false);
});
