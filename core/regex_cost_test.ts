import assert from "node:assert/strict";
import { irregexpCompileMs, MAX_IRREGEXP_COMPILE_MS } from "./regex_cost.ts";

Deno.test("ordinary sources are estimated far below the limit", () => {
  for (const source of ["ERROR.*lock", "\\d{4}-\\d{2}", "error|warn|fatal|panic", "a?b?c?d?e?f?"]) {
    assert.ok(irregexpCompileMs(source) < MAX_IRREGEXP_COMPILE_MS / 5, source);
  }
});

Deno.test("a chain of optional atoms grows the estimate; a loop multiplies nothing", () => {
  const optional = (n: number) => irregexpCompileMs("z?".repeat(n) + "ABCDEFGH");
  assert.ok(optional(12) < optional(20) && optional(20) < optional(40));
  assert.ok(optional(40) > MAX_IRREGEXP_COMPILE_MS);
  assert.ok(irregexpCompileMs("z*".repeat(100) + "ABCDEFGH") < MAX_IRREGEXP_COMPILE_MS);
});

Deno.test("over the limit a lower bound above it is enough; deep nesting is Infinity", () => {
  const source = "(?:a|b)?".repeat(2000);
  const bound = irregexpCompileMs(source, MAX_IRREGEXP_COMPILE_MS);
  assert.ok(bound > MAX_IRREGEXP_COMPILE_MS);
  assert.ok(bound <= irregexpCompileMs(source));
  assert.equal(irregexpCompileMs("(".repeat(300) + "a" + ")".repeat(300)), Infinity);
});

Deno.test("in a multiline source each $ after what may be empty doubles the estimate", () => {
  const multiline = { multiline: true };
  const chain = (piece: string, n: number) =>
    irregexpCompileMs(piece.repeat(n) + "(?:a+)", Infinity, multiline);
  assert.ok(chain("(?:)$", 20) > 10 * chain("(?:)$", 15));
  assert.ok(chain("(?:)$", 20) > MAX_IRREGEXP_COMPILE_MS);
  assert.ok(chain("(?:^|$)", 15) > MAX_IRREGEXP_COMPILE_MS);
  // Without the m flag a $ is one assertion; after a character it starts no chain.
  assert.ok(irregexpCompileMs("(?:)$".repeat(20) + "(?:a+)") < MAX_IRREGEXP_COMPILE_MS);
  assert.ok(chain("x$", 20) < MAX_IRREGEXP_COMPILE_MS);
  assert.ok(irregexpCompileMs("^ERROR.*timeout$", Infinity, multiline) < 1);
});

Deno.test("a word boundary is a choice: a chain of them after what may be empty grows the estimate", () => {
  const chain = (piece: string, n: number) => irregexpCompileMs(piece.repeat(n) + "(?:a+)");
  assert.ok(chain("(?:^|\\b)", 16) > MAX_IRREGEXP_COMPILE_MS);
  assert.ok(chain("(?:\\b|\\B)", 16) > MAX_IRREGEXP_COMPILE_MS);
  assert.ok(irregexpCompileMs("\\b(?:GET|POST)\\b \\S+ \\b[45]\\d\\d\\b") < 1);
});
