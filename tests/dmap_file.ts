/** Test helper: serverless dmap over generated lines written to a file, and its outfile read back. */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";

/**
 * Runs serverless dmap with `query` (plus an outfile) on `lines` written to a file; checks it
 * exits 0 without a stack trace and returns the outfile and standard output.
 */
export async function dmapOnFile(
  lines: readonly string[],
  query: string,
  env: Record<string, string> = {},
): Promise<{ csv: string; out: string }> {
  const dir = await tempDir("dtail-dmap-file-");
  try {
    await Deno.writeTextFile(`${dir}/app.log`, lines.join("\n") + "\n");
    const r = await run("dmap", [
      "--cfg",
      "none",
      "--noColor",
      "--query",
      `${query} outfile ${dir}/out.csv`,
      "--files",
      `${dir}/app.log`,
    ], { env });
    assertNoStackTrace(r.stderr);
    assert.equal(r.code, 0, r.stderr);
    return { csv: await Deno.readTextFile(`${dir}/out.csv`), out: r.text };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
