import assert from "node:assert/strict";
import { caseSeed, mutate, Rng, show } from "./mutate.ts";
import { caseInput, findingKey, makeTree, removeTree, runCase } from "./parsers.ts";

Deno.test("a fuzz case is replayed exactly from its seed", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  assert.deepEqual(
    Array.from({ length: 20 }, () => mutate(a, "select $line", ["from x"])),
    Array.from({ length: 20 }, () => mutate(b, "select $line", ["from x"])),
  );
  assert.equal(caseSeed(2 ** 32 - 1, 2), 1);
  for (let seed = 0; seed < 50; seed++) {
    assert.equal(show(caseInput(seed).input), show(caseInput(seed).input));
  }
});

Deno.test("fuzz cases pass on valid input, and findings of a kind share one key", async () => {
  const tree = await makeTree();
  try {
    for (let seed = 0; seed < 30; seed++) {
      assert.equal(typeof await runCase(seed, { tree }), "string", `seed ${seed}`);
    }
  } finally {
    await removeTree(tree);
  }
  const finding = (problem: string) => ({ seed: 1, target: "query", problem, input: "" });
  assert.equal(
    findingKey(finding('parseQuery threw TypeError: "a b" at 12\nstack')),
    findingKey(finding('parseQuery threw TypeError: "c" at 3')),
  );
  assert.equal(
    findingKey(finding("x threw SyntaxError: Invalid regular expression: /^[b-a]$/s: Range out")),
    findingKey(finding("x threw SyntaxError: Invalid regular expression: /[9-0]/: Range out")),
  );
});
