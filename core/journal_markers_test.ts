import * as assert from "node:assert/strict";
import { MarkerFilter } from "./journal_markers.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The filter's output for `chunks`, as text. */
function filtered(chunks: string[]): string {
  const filter = new MarkerFilter();
  let out = "";
  for (const c of chunks) out += dec.decode(filter.push(enc.encode(c)));
  return out + dec.decode(filter.end());
}

/** The same, line by line: the expected output. */
function byLines(text: string): string {
  const parts = text.split(/(?<=\n)/);
  return parts.filter((l) => !/^-- .+ --\r?\n?$/.test(l)).join("");
}

const ENTRY = "Dec 05 11:29:25 host app[42]: started -- not a marker --\n";

Deno.test("journalctl's own lines are removed and entries kept", () => {
  const text = "-- Logs begin at Thu 2026-12-03 10:00:00 UTC, end at Sat 2026-12-05. --\n" + ENTRY +
    "-- Boot 5f3e1c0a9b --\n" + ENTRY + "-- Reboot --\r\n";
  assert.equal(filtered([text]), ENTRY + ENTRY);
  assert.equal(filtered(["-- No entries --\n"]), "");
});

Deno.test("lines that only look a little like markers are entries", () => {
  const text = "--\n-- x\n--x --\n---- --\n - x --\n-- unterminated --x\n  -- indented --\n";
  assert.equal(filtered([text]), text);
});

Deno.test("a marker split across chunks is still removed, byte by byte", () => {
  const text = ENTRY + "-- No entries --\n" + ENTRY;
  assert.equal(filtered([...text]), ENTRY + ENTRY);
});

Deno.test("an unterminated last line is passed on unless it is a marker", () => {
  assert.equal(filtered([ENTRY, "-- partial"]), ENTRY + "-- partial");
  assert.equal(filtered([ENTRY, "-- No entries --"]), ENTRY);
  assert.equal(
    filtered(["tail of a line ", "-- No entries --\n"]),
    "tail of a line -- No entries --\n",
  );
});

Deno.test("a long line starting like a marker is not held back without bound", () => {
  const filter = new MarkerFilter();
  const long = "-- " + "x".repeat(10_000);
  assert.equal(dec.decode(filter.push(enc.encode(long))), long);
  assert.equal(dec.decode(filter.push(enc.encode(" --\nnext\n"))), " --\nnext\n");
});

Deno.test("random splits of random journal output give the line-by-line result", () => {
  let seed = 20261205;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = [ENTRY, "-- Boot ab12 --\n", "-- No entries --\r\n", "--\n", "-- x --", "\n", "-"];
  for (let round = 0; round < 300; round++) {
    let text = "";
    for (let n = Math.floor(random() * 12); n > 0; n--) {
      text += pieces[Math.floor(random() * pieces.length)];
    }
    const chunks: string[] = [];
    for (let at = 0; at < text.length;) {
      const size = 1 + Math.floor(random() * 20);
      chunks.push(text.slice(at, at + size));
      at += size;
    }
    assert.equal(filtered(chunks), byLines(text), JSON.stringify(chunks));
  }
});
