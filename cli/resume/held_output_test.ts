import assert from "node:assert/strict";
import { BufferedOutput } from "../../core/output.ts";
import { HeldOutput } from "./held_output.ts";

function sink(): { out: BufferedOutput; text: () => string } {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((bytes) => parts.push(bytes.slice()), 1024);
  return {
    out,
    text: () => {
      out.flush();
      return parts.map((p) => new TextDecoder().decode(p)).join("");
    },
  };
}

Deno.test("held lines reach the output only when released, and never when discarded", () => {
  const target = sink();
  const held = new HeldOutput(target.out, 16);
  held.out.string("one\n");
  assert.equal(target.text(), "", "nothing before the position arrives");
  held.release();
  assert.equal(target.text(), "one\n");
  held.out.string("two\n");
  held.discard(); // the connection broke: these come again after the resume
  held.out.string("two\nthree\n");
  held.release();
  assert.equal(target.text(), "one\ntwo\nthree\n");
  assert.equal(held.pending, 0);
});

Deno.test("a batch larger than the hold buffer is held whole, in order", () => {
  const target = sink();
  const held = new HeldOutput(target.out, 8);
  const batch = Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join("");
  for (const line of batch.split(/(?<=\n)/)) held.out.string(line);
  assert.equal(target.text(), "");
  assert.equal(held.pending, batch.length);
  held.release();
  assert.equal(target.text(), batch);
});
