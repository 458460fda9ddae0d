import assert from "node:assert/strict";
import { flagsDoc } from "./flags_doc.ts";
import { FLAGS } from "./flag_table.ts";

Deno.test("docs/flags.md is generated from the current flag table", () => {
  const onDisk = Deno.readTextFileSync(new URL("../docs/flags.md", import.meta.url));
  assert.equal(onDisk, flagsDoc(), "run `make docs` to regenerate docs/flags.md");
});

Deno.test("the flags reference lists every visible flag once", () => {
  const doc = flagsDoc();
  for (const f of FLAGS.filter((f) => !f.hidden)) {
    assert.equal(doc.split(`| \`--${f.name}\` |`).length, 2, f.name);
  }
});
