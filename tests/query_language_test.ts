/**
 * Runs every example of docs/query-language.md and compares the CSV it shows. An example reads
 * DTail's upstream mapr_testdata.log, or the file of tests/testdata/query_language/ it names after
 * the fence (` ```dmap-example requests.json `).
 */
import assert from "node:assert/strict";
import { ROOT, run, tempDir, UPSTREAM } from "./helpers.ts";

const doc = Deno.readTextFileSync(`${ROOT}/docs/query-language.md`);
const examples = [
  ...doc.matchAll(/```dmap-example(?: (\S+))?\n([\s\S]*?)\n```\s*```csv\n([\s\S]*?)```/g),
];

Deno.test("docs/query-language.md has examples", () => {
  assert.ok(examples.length >= 5, `found ${examples.length}`);
});

for (const [, input, query, csv] of examples) {
  Deno.test(`the documented query runs as shown: ${query!.slice(0, 60)}…`, async () => {
    const dir = await tempDir("dtail-doc-");
    const r = await run("dmap", [
      "--cfg",
      "none",
      "--query",
      query!,
      input === undefined
        ? `${UPSTREAM}/mapr_testdata.log`
        : `${ROOT}/tests/testdata/query_language/${input}`,
    ], {
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(`${dir}/out.csv`), csv);
  });
}
