/**
 * dmap against the Go DTail's golden CSV and .query files (tests/testdata/dtail-upstream):
 * serverless from a file and from standard input.
 */
import assert from "node:assert/strict";
import { ROOT, run, tempDir, UPSTREAM } from "./helpers.ts";
import { goPeerSkipReason, goRaw } from "./go_peer_env.ts";
import {
  assertCaseOutput,
  assertIntervalReports,
  CASES,
  mapr,
  outfileOf,
  read,
} from "./dmap_cases.ts";

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
    await assertCaseOutput(c, dir);
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

Deno.test("dtail --query reports each interval's new lines while the file grows", async () => {
  const dir = await tempDir("dtail-query-");
  const log = `${dir}/app.log`;
  await Deno.writeTextFile(log, "");
  await assertIntervalReports(log, (args) => run("dtail", ["--cfg", "none", ...args]));
});

Deno.test("outfile /dev/stdout writes the CSV into stdout, after what is there, and keeps the name", async () => {
  const dir = await tempDir("dtail-devout-");
  const out = `${dir}/out.txt`;
  const dmap = `${ROOT}/bin/dmap`;
  const query = "from STATS select count($line),$hostname group by $hostname outfile /dev/stdout";
  // stdout is a regular file opened without O_APPEND: a second open of /dev/stdout would write
  // from offset 0 over "before", and a rename over it would take the file from the shell.
  const script =
    `echo before; '${dmap}' --cfg none --plain --query '${query}' '${mapr}'; echo after`;
  const r = await new Deno.Command("sh", {
    args: ["-c", `(${script}) > '${out}'`],
    env: { DTAIL_PROGRAM: "" },
  }).output();
  assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
  const lines = (await Deno.readTextFile(out)).split("\n");
  assert.equal(lines[0], "before");
  assert.equal(lines[1], "count($line),$hostname");
  assert.match(lines[2]!, /^597,/);
  assert.equal(lines.at(-2), "after");
  assert.ok(Deno.lstatSync("/dev/stdout").isSymlink);
  assert.deepEqual([...Deno.readDirSync("/dev")].filter((e) => /stdout\./.test(e.name)), []);
});

Deno.test("an outfile quotes values with a comma or a quote, which logformat csv reads back; Go writes them unquoted", async () => {
  const dir = await tempDir("dtail-dmap-csv-");
  const log = `${dir}/paths.log`;
  await Deno.writeTextFile(log, 'GET /a,b\nGET "q"\nGET /plain\n');
  const query = (out: string) =>
    `select count($line),last($line) group by $line logformat generic outfile ${out}`;
  const r = await run("dmap", ["--cfg", "none", "--query", query(`${dir}/ours.csv`), log]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir}/ours.csv`),
    'count($line),last($line)\n1,"GET ""q"""\n1,"GET /a,b"\n1,GET /plain\n',
  );
  // Read back with `logformat csv`: the quoted values are the groups again, quoted again.
  const again = await run("dmap", [
    ...["--cfg", "none", "--query"],
    "select count($line),`last($line)` group by `last($line)` logformat csv " +
    `outfile ${dir}/again.csv`,
    `${dir}/ours.csv`,
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir}/again.csv`),
    'count($line),last($line)\n1,"GET ""q"""\n1,"GET /a,b"\n1,GET /plain\n',
  );
  if (goPeerSkipReason !== null) {
    console.log(`skipped the Go dmap comparison: ${goPeerSkipReason}`);
    return;
  }
  // A fact of the peer: the same rows unquoted, the first with three columns.
  const g = await goRaw("dmap", ["--cfg", "none", "--query", query(`${dir}/go.csv`), log]);
  assert.equal(g.code, 0, g.stderr);
  assert.equal(
    await Deno.readTextFile(`${dir}/go.csv`),
    'count($line),last($line)\n1,GET "q"\n1,GET /a,b\n1,GET /plain\n',
  );
});
