/** Runs every example of docs/query-language.md and compares the CSV it shows. */
import assert from "node:assert/strict";
import { ROOT, run, tempDir, UPSTREAM } from "./helpers.ts";

const doc = Deno.readTextFileSync(`${ROOT}/docs/query-language.md`);
const examples = [...doc.matchAll(/```dmap-example\n([\s\S]*?)\n```\s*```csv\n([\s\S]*?)```/g)];

Deno.test("docs/query-language.md has examples", () => {
  assert.ok(examples.length >= 5, `found ${examples.length}`);
});

for (const [, query, csv] of examples) {
  Deno.test(`the documented query runs as shown: ${query!.slice(0, 60)}…`, async () => {
    const dir = await tempDir("dtail-doc-");
    const r = await run("dmap", [
      "--cfg",
      "none",
      "--query",
      query!,
      `${UPSTREAM}/mapr_testdata.log`,
    ], {
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/out.csv`), csv);
  });
}
