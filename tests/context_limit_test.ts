/**
 * `--before` with more lines than a reader may hold (core/before_context.ts): the last lines that
 * fit in 16 MiB before the match are printed, exactly the file's, and a notice says it was cut,
 * serverless and from a real dserver alike.
 */
import assert from "node:assert/strict";
import { MAX_BEFORE_BYTES } from "../core/before_context.ts";
import { run, tempDir } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

const LINE_COUNT = 220_000; // ~22 MB of 100-byte lines: more than the bound
/** The match at the end, with more lines before it than the bound holds. */
const GREP = ["--plain", "--before", "10000000", "--grep", "MATCH"];

async function bigLog(): Promise<{ path: string; lines: string[] }> {
  const dir = await tempDir("dtail-context-");
  await Deno.chmod(dir, 0o755);
  const path = `${dir}/big.log`;
  const lines = Array.from(
    { length: LINE_COUNT },
    (_, i) => `line ${String(i).padStart(8, "0")} ${"x".repeat(85)}`,
  );
  lines.push("the MATCH at the end");
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  await Deno.chmod(path, 0o644);
  return { path, lines };
}

function assertCutContext(text: string, lines: string[]): void {
  const got = text.trimEnd().split("\n");
  assert.equal(got.at(-1), "the MATCH at the end");
  assert.ok(got.length < lines.length, `${got.length} lines: the context was not cut`);
  assert.ok(got.length > 50_000, `${got.length} lines: the context was cut too short`);
  assert.ok(text.length <= MAX_BEFORE_BYTES, `${text.length} bytes printed`);
  assert.deepEqual(got, lines.slice(lines.length - got.length), "the file's last lines, in order");
}

Deno.test("serverless, a --before context over 16 MiB prints the last lines that fit and says so", async () => {
  const { path, lines } = await bigLog();
  const r = await run("dgrep", ["--cfg", "none", ...GREP, path]);
  assert.equal(r.code, 0, r.stderr);
  assertCutContext(r.text, lines);
  assert.equal(
    r.stderr,
    `dgrep: ${path}: --before context cut (a reader holds at most 16 MiB of it): ` +
      "lines further back are not shown\n",
  );
});

Deno.test({
  name: "over SSH, a --before context over 16 MiB is cut on the server, which says so",
  ignore: !canRunServers,
  fn: async () => {
    const { path, lines } = await bigLog();
    const client = await TestClient.create();
    const server = await TestServer.start(client);
    try {
      const r = await client.run("dgrep", [server], ["--trustAllHosts", ...GREP, path]);
      assert.equal(r.code, 0, r.stderr);
      assertCutContext(r.text, lines);
      assert.match(
        r.stderr,
        /WARN\|[^\n]*--before context cut \(a reader holds at most 16 MiB of it\): lines further back are not shown\n/,
      );
    } finally {
      await server.stop();
    }
  },
});
