import assert from "node:assert/strict";
import { clip, escapeControls } from "./clip.ts";

Deno.test("clip keeps short text as it is and cuts long text to the limit with dots", () => {
  assert.equal(clip("short"), "short");
  assert.equal(clip("x".repeat(80)), "x".repeat(80));
  const long = clip("y".repeat(60_000));
  assert.equal(long.length, 80);
  assert.ok(long.endsWith("..."));
  assert.equal(clip("abcdefghij", 8), "abcde...");
});

Deno.test("clip never splits a surrogate pair", () => {
  const text = "a".repeat(76) + "😀".repeat(10);
  const cut = clip(text);
  assert.ok(cut.length <= 80);
  assert.equal(cut, "a".repeat(76) + "...");
  assert.equal(clip("ab😀cdefgh", 6), "ab...");
});

Deno.test("escapeControls writes control characters as escapes and keeps other text", () => {
  assert.equal(escapeControls("plain € text\twith a tab"), "plain € text\twith a tab");
  assert.equal(escapeControls("a\nb\rc"), "a\\nb\\rc");
  assert.equal(escapeControls("\x00\x1b[2J\x7f!"), "\\x00\\x1b[2J\\x7f!");
  assert.equal(escapeControls("\u009b2J\u00a0"), "\\x9b2J\u00a0", "C1 escaped, U+00A0 kept");
});
