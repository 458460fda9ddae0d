/**
 * The query bench's helpers (bench/query_checks.ts, bench/query_report.ts,
 * bench/query_generate.ts): the jq program does dmap's aggregation, the checks catch wrong groups
 * and wrong `--since` output, and the tables say PASS, MISS or n/a.
 */
import assert from "node:assert/strict";
import {
  groupDiffs,
  jqAggregateProgram,
  parseGroups,
  sinceWindowMiss,
} from "../bench/query_checks.ts";
import { formatTable, sinceMisses, type SinceRow, sinceTable } from "../bench/query_report.ts";
import { TIMED_LINE_BYTES, timedLine } from "../bench/query_generate.ts";
import { Prng } from "../bench/generate.ts";

const jqMissing = !(await Deno.stat("/usr/bin/jq").catch(() => null)) &&
  !(await new Deno.Command("jq", { args: ["--version"], stdout: "null", stderr: "null" })
    .output().then((o) => o.success, () => false));

const LINES = [
  { a: "web", b: "GET", x: 10, y: 1.5 },
  { a: "web", b: "GET", x: 20, y: 2.5 },
  { a: "web", b: "POST", x: 7, y: 4 },
  { a: "db", b: "GET", x: 1, y: 0.25 },
].map((l) => JSON.stringify(l)).join("\n") + "\n";

Deno.test({
  name: "the jq program prints each group's count, sum and average as dmap's CSV rows",
  ignore: jqMissing,
  async fn() {
    const program = jqAggregateProgram({ group: ["a", "b"], sum: "x", avg: "y" });
    const child = new Deno.Command("jq", {
      args: ["-n", "-r", program],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(LINES));
    await writer.close();
    const out = new TextDecoder().decode((await child.output()).stdout);
    const groups = parseGroups(out, 2, false);
    assert.deepEqual(groups.get("web,GET"), { count: 2, sum: 30, avg: 2 });
    assert.deepEqual(groups.get("web,POST"), { count: 1, sum: 7, avg: 4 });
    assert.deepEqual(groups.get("db,GET"), { count: 1, sum: 1, avg: 0.25 });
    assert.equal(groups.size, 3);
  },
});

Deno.test("the jq program refuses a field name it would have to quote", () => {
  assert.throws(
    () => jqAggregateProgram({ group: ["a", "b c"], sum: "x", avg: "y" }),
    /not a plain field name: b c/,
  );
  assert.match(jqAggregateProgram({ group: ["req.path"], sum: "x", avg: "y" }), /\$l\.req\.path/);
});

Deno.test("dmap's CSV is read without its header, and a line that does not fit is an error", () => {
  const csv = "a,b,count($line),sum(x),avg(y)\nweb,GET,2,30.000000,2.000000\n";
  assert.deepEqual([...parseGroups(csv, 2, true)], [["web,GET", { count: 2, sum: 30, avg: 2 }]]);
  assert.throws(() => parseGroups("web,GET,2,30\n", 2, false), /not a group line: web,GET,2,30/);
});

Deno.test("group checks name a wrong count, a wrong average and a missing group", () => {
  const expected = new Map([
    ["web,GET", { count: 2, sum: 30, avg: 2 }],
    ["db,GET", { count: 1, sum: 1, avg: 0.25 }],
  ]);
  assert.deepEqual(groupDiffs(new Map(expected), expected), []);
  const rounded = new Map([...expected, ["web,GET", { count: 2, sum: 30, avg: 2.000004 }]]);
  assert.deepEqual(groupDiffs(rounded, expected), []);
  const wrong = new Map([["web,GET", { count: 3, sum: 30, avg: 2.1 }]]);
  assert.deepEqual(groupDiffs(wrong, expected), [
    "db,GET: missing vs 1/1/0.25",
    "web,GET: 3/30/2.1 vs 2/30/2",
  ]);
});

Deno.test("every timed line has the same width, its time first", () => {
  const rng = new Prng(1);
  const line = timedLine(Date.UTC(2026, 11, 3, 10, 0, 0, 7), rng);
  assert.equal(line.length, TIMED_LINE_BYTES);
  assert.ok(line.startsWith("2026-12-03T10:00:00.007Z INFO svc=svc"));
  assert.ok(line.endsWith("\n"));
});

/** 1,000 lines, one a second, the last at 999 s. */
const LOG = { bytes: 1000 * 10, lines: 1000, firstMs: 0, stepMs: 1000, lineBytes: 10 };

Deno.test("--since output passes when it is the tail from the first line in the window", () => {
  // now between 1,000 s and 1,001 s, window 100 s: lines from 900 s (or 901 s) on.
  assert.equal(sinceWindowMiss(LOG, 100 * 10, 100_000, 1_000_000, 1_000_500), null);
  assert.equal(sinceWindowMiss(LOG, 99 * 10, 100_000, 1_000_000, 1_001_200), null);
});

Deno.test("--since output fails with a line before the window, a missed line or a torn line", () => {
  assert.match(
    sinceWindowMiss(LOG, 150 * 10, 100_000, 1_000_000, 1_000_500) ?? "",
    /first line printed at 1970-01-01T00:14:10.000Z, before the window/,
  );
  assert.match(
    sinceWindowMiss(LOG, 50 * 10, 100_000, 1_000_000, 1_000_500) ?? "",
    /line at 1970-01-01T00:15:49.000Z is in the window but was not printed/,
  );
  assert.match(sinceWindowMiss(LOG, 15, 100_000, 0, 0) ?? "", /15 B is not whole lines/);
});

const since = (over: Partial<SinceRow>): SinceRow => ({
  name: "bin/dcat --plain --since 10m since.log",
  firstLine: [0.05, 0.07, 0.06],
  whole: 0.2,
  targetSeconds: 0.1,
  ok: true,
  checks: "",
  ...over,
});

Deno.test("a --since row passes on its median first line and misses above the target", () => {
  assert.match(sinceTable([since({})]), /\| 0\.060 \(0\.050–0\.070\) \| 0\.200 \|.*\| PASS \|/);
  const slow = since({ firstLine: [0.2, 0.3, 0.25] });
  assert.match(sinceTable([slow]), /\| first line < 0\.1 s \| \*\*MISS\*\* \|/);
  assert.equal(sinceMisses([since({}), slow]), 1);
});

Deno.test("a refused --since is an n/a row, not a miss", () => {
  const refused = since({ firstLine: [], whole: NaN, unavailable: "n/a: --since not available" });
  assert.match(sinceTable([refused]), /\| n\/a \| n\/a \|.*\| n\/a: --since not available \|/);
  assert.equal(sinceMisses([refused]), 0);
});

Deno.test("the logfmt row has no jq figures and says why", () => {
  const row = {
    format: "logfmt",
    query: "select … logformat logfmt",
    bytes: 300e6,
    seconds: 1.5,
    rssMb: 60,
    jq: "n/a: jq cannot read logfmt",
    targetMbPerS: 150,
    ok: true,
    checks: "20 groups = generated",
  };
  assert.match(
    formatTable([row]),
    /\| 200 \(1\.500\) \| n\/a: jq cannot read logfmt \| - \| >= 150 MB\/s.*\| PASS \|/,
  );
  const jq = { name: "jq", seconds: 15, rssMb: 3 };
  assert.match(formatTable([{ ...row, format: "json", jq }]), /\| 20\.0 \(15\.000\) \| 10\.00x \|/);
  assert.match(formatTable([{ ...row, seconds: 3 }]), /\| 100 \(3\.000\) \|.*\*\*MISS\*\*/);
});
