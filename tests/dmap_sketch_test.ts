/**
 * The sketch aggregations end to end in serverless dmap (docs/query-language.md#aggregations):
 * `p99` against the exact quantile of a generated log, `count_distinct` against the exact count.
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";
import { QUANTILE_ALPHA } from "../core/mapr/sketch_quantile.ts";
import { seeded } from "../core/mapr/_test_seeded.ts";

const STATUSES = ["200", "404", "500"];

interface Log {
  readonly text: string;
  /** Per status: the latencies and the users. */
  readonly latencies: Map<string, number[]>;
  readonly users: Map<string, Set<string>>;
}

/** DTail's own MAPREDUCE lines (the default format) with status, latency and user. */
function generate(lines: number): Log {
  const random = seeded(42);
  const latencies = new Map(STATUSES.map((s) => [s, [] as number[]]));
  const users = new Map(STATUSES.map((s) => [s, new Set<string>()]));
  let text = "";
  for (let i = 0; i < lines; i++) {
    const status = STATUSES[Math.floor(random() * STATUSES.length)]!;
    // Long-tailed, in milliseconds with three decimals.
    const latency = Math.round(Math.exp(random() * 4) * (1 + 20 * random() ** 8) * 1000) / 1000;
    const user = `user${Math.floor(random() * 30_000)}`;
    latencies.get(status)!.push(latency);
    users.get(status)!.add(user);
    text += `INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:REQ|status=${status}|` +
      `latency=${latency}|user=${user}\n`;
  }
  return { text, latencies, users };
}

function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** The outfile CSV as rows of cells by header (no quoted commas but the quantile header's). */
function readCsv(text: string): Record<string, string>[] {
  const [header = "", ...lines] = text.trimEnd().split("\n");
  const names = header.match(/"[^"]*"|[^,]+/g)!.map((n) => n.replace(/^"|"$/g, ""));
  return lines.map((line) => Object.fromEntries(line.split(",").map((c, i) => [names[i]!, c])));
}

Deno.test("dmap's p99 and quantile are within α of the exact ones, count_distinct within 2%", async () => {
  const dir = await tempDir("dtail-dmap-sketch-");
  const log = generate(60_000);
  await Deno.writeTextFile(`${dir}/requests.log`, log.text);
  const query = "from * select status,count($line),p99(latency),quantile(latency, 0.999)," +
    `count_distinct(user) group by status outfile ${dir}/out.csv`;
  const r = await run("dmap", [
    "--cfg",
    "none",
    "--files",
    `${dir}/requests.log`,
    "--query",
    query,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const rows = readCsv(await Deno.readTextFile(`${dir}/out.csv`));
  assert.deepEqual(rows.map((row) => row.status), STATUSES);
  for (const row of rows) {
    const status = row.status!;
    const latencies = log.latencies.get(status)!;
    assert.equal(Number(row["count($line)"]), latencies.length);
    for (
      const [text, q] of [["p99(latency)", 0.99], ["quantile(latency, 0.999)", 0.999]] as const
    ) {
      const exact = exactQuantile(latencies, q);
      // The CSV has six decimals: half a millionth more.
      const bound = QUANTILE_ALPHA * exact + 5e-7;
      const got = Number(row[text]);
      assert.ok(Math.abs(got - exact) <= bound, `${status} ${text}: ${got} vs exact ${exact}`);
    }
    const distinct = log.users.get(status)!.size;
    const estimate = row["count_distinct(user)"]!;
    assert.match(estimate, /^\d+$/);
    assert.ok(Math.abs(Number(estimate) / distinct - 1) <= 0.02, `${estimate} vs ${distinct}`);
  }
});

Deno.test("dmap counts distinct lines in the generic format and prints the table", async () => {
  const dir = await tempDir("dtail-dmap-sketch-");
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i % 1234}`).join("\n") + "\n";
  await Deno.writeTextFile(`${dir}/plain.log`, lines);
  const r = await run("dmap", [
    "--cfg",
    "none",
    "--noColor",
    "--files",
    `${dir}/plain.log`,
    "--query",
    "select count($line),count_distinct($line) logformat generic",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.text, / count\(\$line\) \| count_distinct\(\$line\) \n/);
  assert.match(r.text, /\n +5000 \| +1234 \n/);
});

Deno.test("dmap refuses a quantile beyond 1 in one line before reading anything", async () => {
  const r = await run("dmap", [
    "--cfg",
    "none",
    "--files",
    "/nonexistent/never-read.log",
    "--query",
    "from * select quantile(latency, 1.5) group by status",
  ]);
  assert.equal(r.code, 2);
  assertNoStackTrace(r.stderr);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /quantile's q must be a number in \(0, 1\], got "1\.5"/);
});
