/**
 * dmap against the Go DTail's golden CSV and .query files (../shared/testdata/dtail-upstream):
 * serverless from a file and from standard input.
 */
import assert from "node:assert/strict";
import { run, tempDir, UPSTREAM } from "./helpers.ts";

const read = (name: string) => Deno.readTextFileSync(`${UPSTREAM}/${name}`);

interface Case {
  readonly name: string;
  readonly query: string;
  readonly inputs: string[];
  readonly expected: string;
  /** Rows tied on the order column may come in any order (Go's sort is not stable). */
  readonly tiesUnordered?: boolean;
}

const mapr = `${UPSTREAM}/mapr_testdata.log`;
const CASES: Case[] = [
  ...["dmap1a", "dmap1b", "dmap1c", "dmap1d"].map((n) => ({
    name: n,
    query: read(`${n}.csv.query.expected`),
    inputs: [mapr],
    expected: read(`${n}.csv.expected`),
  })),
  {
    name: "dmap2 (order by count)",
    query: read("dmap2.csv.query.expected"),
    inputs: [mapr],
    expected: read("dmap2.csv.expected"),
    tiesUnordered: true,
  },
  {
    name: "dmap3 (the same file 100 times)",
    query: read("dmap3.csv.query.expected"),
    inputs: Array(100).fill(mapr),
    expected: read("dmap3.csv.expected"),
    tiesUnordered: true,
  },
  {
    name: "dmap5 (logformat csv with backticked field names)",
    query: read("dmap5.csv.query.expected"),
    inputs: [`${UPSTREAM}/dmap5.csv.in`],
    expected: read("dmap5.csv.expected"),
  },
];

/** Same header, same rows, and the first (order) column in the same order as expected. */
function assertSameRowsInSortOrder(got: string, expected: string): void {
  const lines = (s: string) => s.trimEnd().split("\n");
  const [gotHeader, ...gotRows] = lines(got);
  const [wantHeader, ...wantRows] = lines(expected);
  assert.equal(gotHeader, wantHeader);
  assert.deepEqual([...gotRows].sort(), [...wantRows].sort());
  const first = (row: string) => Number(row.split(",")[0]);
  assert.deepEqual(gotRows.map(first), wantRows.map(first));
}

/** The outfile named in a query (relative, as the Go tests wrote them). */
function outfileOf(query: string): string {
  const m = /outfile\s+(\S+)\s*$/.exec(query.trim());
  if (!m) throw new Error(`no outfile in ${query}`);
  return m[1]!;
}

for (const c of CASES) {
  Deno.test(`dmap ${c.name} writes the expected CSV and .query file`, async () => {
    const dir = await tempDir("dtail-dmap-");
    const r = await run("dmap", [
      "--cfg",
      "none",
      "--query",
      c.query.trim(),
      "--files",
      c.inputs.join(","),
    ], {
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = outfileOf(c.query);
    const got = await Deno.readTextFile(`${dir}/${out}`);
    if (c.tiesUnordered) assertSameRowsInSortOrder(got, c.expected);
    else assert.equal(got, c.expected);
    assert.equal(await Deno.readTextFile(`${dir}/${out}.query`), c.query.trim());
  });
}

Deno.test("dmap reads the log from standard input when no file is given", async () => {
  const dir = await tempDir("dtail-dmap-");
  const query = read("dmap1a.csv.query.expected").trim();
  const r = await run("dmap", ["--cfg", "none", query], {
    cwd: dir,
    stdin: Deno.readFileSync(mapr),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/${outfileOf(query)}`), read("dmap1a.csv.expected"));
});

Deno.test("dmap over two CSV files with their own headers counts every data line", async () => {
  const dir = await tempDir("dtail-dmap-");
  const query = "select count($line) logformat csv outfile multi.csv";
  const r = await run("dmap", [
    "--cfg",
    "none",
    "--query",
    query,
    "--files",
    `${UPSTREAM}/dmap_csv_multifile_a.csv.in,${UPSTREAM}/dmap_csv_multifile_b.csv.in`,
  ], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir}/multi.csv`),
    read("dmap_csv_multifile.csv.expected"),
  );
});

Deno.test("dmap prints the result table on the terminal", async () => {
  const r = await run("dmap", [
    "--cfg",
    "none",
    "--noColor",
    "from STATS select count($line),last($time),avg($goroutines) group by $hostname",
    mapr,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.text, / count\(\$line\) \| last\(\$time\) \| avg\(\$goroutines\) \n/);
  assert.match(r.text, /\n +597 \| 1002-071949 \| +11\.628141 \n/);
});

Deno.test("a malformed query is one line naming the token and position, exit 2", async () => {
  const r = await run("dmap", ["--cfg", "none", "--query", "select count($line) limit ten", mapr]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /ten/);
  assert.match(r.stderr, /position/);
});
