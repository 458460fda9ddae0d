import assert from "node:assert/strict";
import { CandidateLines } from "./candidate_lines.ts";
import { LineBatch } from "./line_batch.ts";
import { decodeUtf8 } from "./utf8.ts";

Deno.test("each candidate's text is its line decoded alone, dense or sparse, with or without its newline", () => {
  const lines = Array.from(
    { length: 400 },
    (_, i) => i % 7 === 0 ? `${"pad ".repeat(200)}${i}` : i % 3 === 0 ? `é ${i} 😀` : `line ${i}\r`,
  );
  const bytes = new TextEncoder().encode(lines.join("\n") + "\n");
  const starts: number[] = [];
  for (let at = 0; at < bytes.length;) {
    const nl = bytes.indexOf(10, at);
    starts.push(at, nl + 1);
    at = nl + 1;
  }
  for (const step of [1, 2, 5]) {
    const candidates = starts.filter((_, i) => Math.floor(i / 2) % step === 0);
    for (const keepNewline of [false, true]) {
      const text = new CandidateLines(new LineBatch(bytes, 1), candidates, keepNewline, {});
      for (let i = 0; i < candidates.length; i += 2) {
        const end = keepNewline ? candidates[i + 1]! : candidates[i + 1]! - 1;
        assert.equal(text.text(i), decodeUtf8(bytes.subarray(candidates[i]!, end)), `${step} ${i}`);
      }
    }
  }
});
