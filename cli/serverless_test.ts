import assert from "node:assert/strict";
import { BufferedOutput } from "../core/output.ts";
import { NoopMatcher } from "../core/noop_matcher.ts";
import { compileMatcher } from "../core/matcher.ts";
import { printerOf, type ReadJob, type RunIO } from "./serverless.ts";

const everyLine = new NoopMatcher("");
const aPattern = compileMatcher("ERROR");

function job(
  change: { plain?: boolean; json?: boolean; mode?: ReadJob["mode"] } = {},
  filter = {},
) {
  return {
    mode: change.mode ?? "cat",
    targets: ["x.log"],
    filter: { matcher: everyLine, ...filter },
    frame: { plain: change.plain ?? true, color: false, hostname: "h" },
    maxGlobTargets: 10,
    maxGlobDirs: 10,
    json: change.json ?? false,
  } as ReadJob;
}

function io(sendTo?: number): RunIO {
  return {
    out: new BufferedOutput(() => {}),
    warn: () => {},
    signal: new AbortController().signal,
    sendTo,
  };
}

Deno.test("plain files are sent to stdout only where every line prints as it is", () => {
  const sends = (j: ReadJob, o = io(1)) => printerOf(j, o).leadingLines !== undefined;
  assert.equal(sends(job()), true);
  assert.equal(sends(job({ mode: "grep" })), true, "a grep whose pattern matches every line");
  assert.equal(sends(job({ plain: false })), false, "labelled lines");
  assert.equal(sends(job({ json: true })), false, "--json");
  assert.equal(sends(job({ mode: "tail" })), false, "a follow");
  assert.equal(sends(job({}, { matcher: aPattern })), false, "a pattern");
  assert.equal(sends(job({}, { invert: true })), false, "--invert");
  assert.equal(sends(job({}, { max: 3 })), false, "--max");
  assert.equal(sends(job({}, { timeRange: { since: 0, until: Infinity } })), false, "--since");
  assert.equal(sends(job(), io()), false, "output that is not standard output");
});
