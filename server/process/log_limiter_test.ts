import assert from "node:assert/strict";
import { LogLimiter } from "./log_limiter.ts";

Deno.test("a log limiter writes one line per kind and interval, then says how many it left out", () => {
  let now = 0;
  const limiter = new LogLimiter(1000, () => now);
  const lines: string[] = [];
  for (let i = 0; i < 5; i++) limiter.log("refused", `refused ${i}`, (t) => lines.push(t));
  limiter.log("timeout", "timeout 0", (t) => lines.push(t));
  now = 1000;
  limiter.log("refused", "refused 5", (t) => lines.push(t));
  assert.deepEqual(lines, ["refused 0", "timeout 0", "refused 5 (4 more like it not logged)"]);
});
