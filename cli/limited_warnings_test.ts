import assert from "node:assert/strict";
import { LimitedWarnings } from "./limited_warnings.ts";

Deno.test("the first warnings are printed, then one line, and the total at the end", () => {
  const printed: string[] = [];
  const warnings = new LimitedWarnings((line) => printed.push(line), "things ignored", 2);
  for (let i = 1; i <= 5; i++) warnings.add(`thing ${i}`);
  warnings.end();
  assert.deepEqual(printed, [
    "thing 1",
    "thing 2",
    "more things ignored: not shown one by one",
    "5 things ignored in all",
  ]);
});

Deno.test("warnings within the limit print as they are, with no total", () => {
  const printed: string[] = [];
  const warnings = new LimitedWarnings((line) => printed.push(line), "things ignored", 2);
  warnings.add("a");
  warnings.add("b");
  warnings.end();
  assert.deepEqual(printed, ["a", "b"]);
});
