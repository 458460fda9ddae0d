import assert from "node:assert/strict";
import { GroupSet } from "./aggregate.ts";
import { errorKind } from "../errors.ts";
import { applySet, passesWhere } from "./evaluate.ts";
import { DEFAULT_TERM_COLORS } from "../color.ts";
import {
  checkOutfileWritable,
  clientLine,
  formatFixed,
  formatInt,
  renderCsv,
  renderTable,
  sortRows,
  writeOutfile,
} from "./render.ts";
import { testQuery } from "./_test_query.ts";
import { parseQuery } from "./query.ts";
import type { Fields, Query, ResultRow } from "./types.ts";

const UPSTREAM = new URL("../../tests/testdata/dtail-upstream/", import.meta.url);

const query = (raw: string, select: string, extra: Partial<Query> = {}): Query =>
  testQuery(select, { raw, table: "STATS", groupBy: ["$hostname"], ...extra });

const row = (groupKey: string, cells: Record<string, number | string>): ResultRow => ({
  groupKey,
  cells: new Map(Object.entries(cells)),
});

/** Just enough of the default log format for the upstream test data. */
function statsFields(line: string): Fields {
  const f = line.trim().split("|");
  const fields: Fields = new Map([
    ["*", "*"],
    ["$line", line.trim()],
    ["$hostname", "earth"],
    ["$time", f[1]!],
    ["$goroutines", f[5]!],
  ]);
  for (const kv of f.slice(10)) {
    const eq = kv.indexOf("=");
    fields.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return fields;
}

async function runStats(q: Query): Promise<ResultRow[]> {
  const text = await Deno.readTextFile(new URL("mapr_testdata.log", UPSTREAM));
  const set = new GroupSet(q);
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const fields = statsFields(line);
    if (!passesWhere(q.where, fields)) continue;
    applySet(q.set, fields);
    set.add(fields);
  }
  return set.rows();
}

const golden = (name: string) => Deno.readTextFile(new URL(name, UPSTREAM));

const DMAP1 =
  "count($line),last($time),avg($goroutines),min(concurrentConnections),max(lifetimeConnections)";

Deno.test("the table matches the layout example byte for byte", () => {
  const raw = "from STATS select count($line),last($time),avg($goroutines) group by $hostname";
  const q = query(raw, "count($line),last($time),avg($goroutines)");
  const rows = [row("earth", {
    "count($line)": 597,
    "last($time)": "1002-071949",
    "avg($goroutines)": 6942 / 597,
  })];
  assert.equal(
    renderTable(q, rows, { color: false }),
    raw + "\n" +
      " count($line) | last($time) | avg($goroutines) \n" +
      "--------------|-------------|------------------\n" +
      "          597 | 1002-071949 |        11.628141 \n" +
      "\n",
  );
});

Deno.test("columns widen to their longest value", () => {
  const q = query("q", "last(x),count(y)");
  const rows = [row("a", { "last(x)": "a much longer value", "count(y)": 12345678901 })];
  assert.equal(
    renderTable(q, rows, { color: false }),
    "q\n" +
      "             last(x) |    count(y) \n" +
      "---------------------|-------------\n" +
      " a much longer value | 12345678901 \n\n",
  );
});

Deno.test("a table for a terminal shows control characters of its values, and is as wide", () => {
  const q = query("q", "last(x)");
  const rows = [row("a", { "last(x)": "t\x1b]0;x\x07\r" })];
  assert.equal(
    renderTable(q, rows, { color: false, visibleControls: true }),
    "q\n" +
      "         last(x) \n" +
      "-----------------\n" +
      " t\\x1b]0;x\\x07\\r \n\n",
  );
  assert.ok(renderTable(q, rows, { color: false }).includes(" t\x1b]0;x\x07\r \n"));
});

Deno.test("rows sort by group key, then descending by the order by column", () => {
  const q = query("q", "count(x)", { orderBy: { key: "count(x)", descending: true } });
  const rows = [
    row("b", { "count(x)": 2 }),
    row("c", { "count(x)": 5 }),
    row("a", { "count(x)": 2 }),
    row("d", { "count(x)": 9 }),
  ];
  assert.deepEqual(sortRows(q, rows).map((r) => r.groupKey), ["d", "c", "a", "b"]);
});

Deno.test("rorder by sorts ascending and keeps group key order among ties", () => {
  const q = query("q", "sum(x)", { orderBy: { key: "sum(x)", descending: false } });
  const rows = [
    row("b", { "sum(x)": 2 }),
    row("c", { "sum(x)": 5 }),
    row("a", { "sum(x)": 2 }),
  ];
  assert.deepEqual(sortRows(q, rows).map((r) => r.groupKey), ["a", "b", "c"]);
});

Deno.test("a last column sorts by its numeric value, non-numbers counting as 0", () => {
  const q = query("q", "$v", { orderBy: { key: "$v", descending: true } });
  const rows = [
    row("a", { $v: "abc" }),
    row("b", { $v: "10" }),
    row("c", { $v: "9.5" }),
    row("d", { $v: "-1" }),
  ];
  assert.deepEqual(sortRows(q, rows).map((r) => r.groupKey), ["b", "c", "a", "d"]);
});

Deno.test("without an order clause rows are in group key byte order", () => {
  const q = query("q", "count(x)");
  const keys = ["b", "a", "", "\uffff", "😀", "B"];
  const rows = keys.map((k) => row(k, { "count(x)": 1 }));
  assert.deepEqual(sortRows(q, rows).map((r) => r.groupKey), ["", "B", "a", "b", "\uffff", "😀"]);
});

const BUCKETS = ["2026-12-03T10:02:00Z", "2026-12-03T09:59:00Z", "2026-12-03T10:00:00Z"];

Deno.test("time bucket rows are in time order by default, grouped by host first if asked", () => {
  const byTime = parseQuery("select bucket($time, 1m),count($line)");
  const rows = BUCKETS.map((b) => row(b, { "bucket($time, 1m)": b, "count($line)": 1 }));
  assert.deepEqual(sortRows(byTime, rows).map((r) => r.groupKey), [
    "2026-12-03T09:59:00Z",
    "2026-12-03T10:00:00Z",
    "2026-12-03T10:02:00Z",
  ]);
  const byHost = parseQuery("select count($line) group by $hostname,bucket($time, 1m)");
  const keys = ["b," + BUCKETS[0], "a," + BUCKETS[0], "b," + BUCKETS[1]];
  assert.deepEqual(
    sortRows(byHost, keys.map((k) => row(k, { "count($line)": 1 }))).map((r) => r.groupKey),
    ["a,2026-12-03T10:02:00Z", "b,2026-12-03T09:59:00Z", "b,2026-12-03T10:02:00Z"],
  );
});

Deno.test("order by a bucket puts the latest first, rorder by it the earliest", () => {
  const rows = ["b", "a", "c"].map((h, i) =>
    row(h, { "bucket($time, 1m)": BUCKETS[i]!, "count($line)": 1 })
  );
  rows.push(row("d", { "count($line)": 1 }));
  const sorted = (clause: string) =>
    sortRows(
      parseQuery(`select bucket($time, 1m),count($line) group by $hostname ${clause}`),
      rows,
    ).map((r) => r.groupKey);
  assert.deepEqual(sorted("order by bucket($time,1m)"), ["b", "c", "a", "d"]);
  assert.deepEqual(sorted("rorder by bucket($time, 1m)"), ["d", "a", "c", "b"]);
});

function numbered(n: number): ResultRow[] {
  return Array.from({ length: n }, (_, i) => row(String(i).padStart(2, "0"), { $k: String(i) }));
}

Deno.test("the terminal shows at most 10 rows and warns about the cut as Go's client does", () => {
  const out = renderTable(query("q", "$k"), numbered(12), { color: false, hostname: "vm" })
    .split("\n");
  assert.equal(out[0], "q");
  // Go DTail 4.3.2-ng, observed: a CLIENT WARN line of its own log, on stdout.
  assert.equal(
    out[1],
    "CLIENT|vm|WARN|Got 12 results but limited terminal output to 10 rows! " +
      "Use 'limit' clause to override!",
  );
  assert.deepEqual(out.slice(4), [
    "  0 ",
    "  1 ",
    "  2 ",
    "  3 ",
    "  4 ",
    "  5 ",
    "  6 ",
    "  7 ",
    "  8 ",
    "  9 ",
    "",
    "",
  ]);
});

Deno.test("a limit clause replaces the terminal cap", () => {
  const all = renderTable(query("q", "$k", { limit: 12 }), numbered(12), { color: false });
  assert.ok(!all.includes("Got "));
  assert.equal(all.split("\n").length, 1 + 2 + 12 + 2);
  // Go DTail, observed: a limit clause cuts without the warning.
  const three = renderTable(query("q", "$k", { limit: 3 }), numbered(5), { color: false });
  assert.ok(!three.includes("Got "));
  assert.equal(three.split("\n").length, 1 + 2 + 3 + 2);
  assert.equal(
    renderTable(query("q", "$k"), numbered(3), { color: false, defaultCap: 2 })
      .split("\n").length,
    1 + 1 + 2 + 2 + 2,
  );
});

const E = "\x1b[";
const RESET = `${E}0m${E}49m${E}39m`;

Deno.test("the colored table paints header, sort and group columns, data and delimiters", () => {
  const q = query("select $hostname,count(x)", "$hostname,count(x)", {
    orderBy: { key: "count(x)", descending: true },
  });
  const out = renderTable(q, [row("earth", { $hostname: "earth", "count(x)": 3 })], {
    color: true,
  });
  const headerDelim = `${E}37m${E}44m${E}2m|${RESET}`;
  const dataDelim = headerDelim;
  const rule = (n: number) => `${E}37m${E}44m${E}2m${"-".repeat(n)}${RESET}`;
  const data = (t: string) => `${E}37m${E}44m${t}${E}49m${E}39m`;
  // Go wraps its raw query line and its table each in `39m 49m` … `49m 39m`.
  assert.equal(
    out,
    `${E}39m${E}49m${E}36m${E}40m${E}2mselect $hostname,count(x)${RESET}${E}49m${E}39m\n` +
      `${E}39m${E}49m${E}37m${E}44m${E}1m${E}7m $hostname ${RESET}${headerDelim}` +
      `${E}37m${E}44m${E}1m${E}4m count(x) ${RESET}\n` +
      `${rule(11)}${headerDelim}${rule(10)}\n` +
      `${data("     earth ")}${dataDelim}${data("        3 ")}\n${E}49m${E}39m\n`,
  );
});

Deno.test("the colored cap warning is painted as Go's CLIENT lines", () => {
  const out = renderTable(query("q", "$k"), numbered(11), { color: true, hostname: "vm" });
  const client = (t: string) => `${E}30m${E}43m${E}2m${t}${RESET}`;
  assert.equal(
    out.split("\n")[1],
    client("CLIENT") + client("|") + client("vm") + client("|") +
      `${E}37m${E}40m${E}1mWARN|Got 11 results but limited terminal output to 10 rows! ` +
      `Use 'limit' clause to override!${RESET}`,
  );
});

Deno.test("clientLine is Go's CLIENT|host|severity|text, INFO text in Client.Text", () => {
  assert.equal(
    clientLine("h", "INFO", "Writing to outfile|/x", null),
    "CLIENT|h|INFO|Writing to outfile|/x\n",
  );
  const client = (t: string) => `${E}30m${E}43m${E}2m${t}${RESET}`;
  assert.equal(
    clientLine("h", "INFO", "Writing to outfile|/x", DEFAULT_TERM_COLORS),
    client("CLIENT") + client("|") + client("h") + client("|") +
      `${E}37m${E}40mINFO|Writing to outfile|/x${E}49m${E}39m\n`,
  );
});

Deno.test("formatFixed is Go's %f", () => {
  const cases: [number, string][] = [
    [0, "0.000000"],
    [11.628140703517587, "11.628141"],
    [-1.5, "-1.500000"],
    [0.0078125, "0.007812"], // tie: to even
    [0.0234375, "0.023438"], // tie: to even
    [1e21, "1000000000000000000000.000000"],
    [-0, "-0.000000"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [value, want] of cases) assert.equal(formatFixed(value), want, String(value));
});

Deno.test("formatInt truncates toward zero", () => {
  assert.equal(formatInt(597), "597");
  assert.equal(formatInt(2.9), "2");
  assert.equal(formatInt(-2.9), "-2");
  assert.equal(formatInt(2 ** 53), "9007199254740992");
  // Go's int() of an out-of-range float on amd64.
  assert.equal(formatInt(1e20), "-9223372036854775808");
  assert.equal(formatInt(NaN), "-9223372036854775808");
});

Deno.test("the CSV has the select texts as header, formatted cells and \\n line ends", () => {
  const q = query("q", "count(a),$b,sum(c),avg(d)", {
    orderBy: { key: "count(a)", descending: true },
  });
  const rows = [
    row("x", { "count(a)": 1, $b: "x", "sum(c)": 2.5, "avg(d)": 0 }),
    row("y", { "count(a)": 7, $b: "", "sum(c)": 0, "avg(d)": 1 / 3 }),
  ];
  assert.equal(
    renderCsv(q, rows),
    "count(a),$b,sum(c),avg(d)\n7,,0.000000,0.333333\n1,x,2.500000,0.000000\n",
  );
});

Deno.test("CSV values with a comma, a quote or a line break are quoted, others are not", () => {
  const q = query("q", "$k,last(v),sum(n)");
  const rows = [
    row("a", { $k: "a,b", "last(v)": 'say "hi"', "sum(n)": 1 }),
    row("b", { $k: "plain", "last(v)": "cr\rhere", "sum(n)": 2 }),
  ];
  assert.equal(
    renderCsv(q, rows),
    '$k,last(v),sum(n)\n"a,b","say ""hi""",1.000000\nplain,"cr\rhere",2.000000\n',
  );
});

Deno.test("the CSV applies limit but no default cap", () => {
  assert.equal(renderCsv(query("q", "$k"), numbered(12)).split("\n").length, 1 + 12 + 1);
  assert.equal(renderCsv(query("q", "$k", { limit: 2 }), numbered(12)), "$k\n0\n1\n");
  assert.equal(renderCsv(query("q", "$k", { limit: 0 }), numbered(12)), "$k\n");
});

Deno.test("the dmap1a query over the upstream test data gives the golden CSV", async () => {
  const q = query("", DMAP1);
  assert.equal(renderCsv(q, await runStats(q)), await golden("dmap1a.csv.expected"));
});

Deno.test("the dmap1b where query gives the golden CSV", async () => {
  const q = query("", DMAP1, {
    where: [{
      left: { kind: "field", name: "lifetimeConnections" },
      op: ">=",
      right: { kind: "number", value: 3 },
    }],
  });
  assert.equal(renderCsv(q, await runStats(q)), await golden("dmap1b.csv.expected"));
});

Deno.test("the dmap1c string where query gives the golden CSV", async () => {
  const q = query("", DMAP1, {
    where: [{
      left: { kind: "field", name: "$time" },
      op: "eq",
      right: { kind: "string", value: "1002-071949" },
    }],
  });
  assert.equal(renderCsv(q, await runStats(q)), await golden("dmap1c.csv.expected"));
});

Deno.test("the dmap1d set query gives the golden CSV", async () => {
  const time = { kind: "field", name: "$time" } as const;
  const q = query("", "$mask,$md5,$foo,$bar,$baz,last($time)", {
    set: [
      { target: "$mask", expr: { kind: "call", fn: "maskdigits", arg: time } },
      { target: "$md5", expr: { kind: "call", fn: "md5sum", arg: time } },
      { target: "$foo", expr: { kind: "number", text: "42" } },
      { target: "$bar", expr: { kind: "string", value: "baz" } },
      { target: "$baz", expr: time },
    ],
  });
  assert.equal(renderCsv(q, await runStats(q)), await golden("dmap1d.csv.expected"));
});

Deno.test("the dmap5 csv query with backticked field names gives the golden CSV", async () => {
  const [header, ...lines] = (await golden("dmap5.csv.in")).trimEnd().split("\n");
  const q = query("", "sum($timecount),last($time),min($min_goroutines)", {
    set: [
      { target: "$timecount", expr: { kind: "field", name: "count($time)" } },
      { target: "$time", expr: { kind: "field", name: "$time" } },
      { target: "$min_goroutines", expr: { kind: "field", name: "min($goroutines)" } },
    ],
  });
  const set = new GroupSet(q);
  for (const line of lines) {
    const values = line.split(",");
    const fields: Fields = new Map(header!.split(",").map((name, i) => [name, values[i]!]));
    fields.set("$hostname", "earth");
    applySet(q.set, fields);
    set.add(fields);
  }
  assert.equal(renderCsv(q, set.rows()), await golden("dmap5.csv.expected"));
});

Deno.test("the group by $time order by count query gives the golden CSV", async () => {
  // The goldens order ties randomly (Go map order); ours breaks ties by group key.
  const q = query("", "count($time),$time,max($goroutines),avg($goroutines),min($goroutines)", {
    groupBy: ["$time"],
    orderBy: { key: "count($time)", descending: true },
  });
  const ours = renderCsv(q, await runStats(q)).split("\n");
  for (const name of ["dmap2.csv.expected", "dmap4_query1.csv.expected"]) {
    assert.deepEqual([...ours].sort(), (await golden(name)).split("\n").sort(), name);
  }
  const counts = ours.slice(1, -1).map((l) => Number(l.split(",")[0]));
  const times = ours.slice(1, -1).map((l) => l.split(",")[1]!);
  for (let i = 1; i < counts.length; i++) {
    assert.ok(counts[i - 1]! > counts[i]! || times[i - 1]! < times[i]!, ours[i + 1]);
  }
});

Deno.test("writeOutfile writes the query file and replaces the CSV", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.csv`;
    const raw = "select $k outfile out.csv";
    const q = query(raw, "$k", { outfile: { path, append: false } });
    const notes: string[] = [];
    await writeOutfile(q, numbered(2), (t) => notes.push(t));
    assert.deepEqual(notes, [
      `Writing to outfile|${path}`,
      `Successfully renamed outfile to|${path}`,
    ]);
    await writeOutfile(q, numbered(3));
    assert.equal(await Deno.readTextFile(path), "$k\n0\n1\n2\n");
    assert.equal(await Deno.readTextFile(`${path}.query`), raw);
    await writeOutfile(q, []);
    assert.equal(await Deno.readTextFile(path), "$k\n");
    const names = await namesIn(dir);
    assert.deepEqual(names.sort(), ["out.csv", "out.csv.query"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOutfile writes through a symlink, and into a FIFO or device without replacing it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink("real/out.csv", `${dir}/out.csv`);
    const linked = query("q", "$k", { outfile: { path: `${dir}/out.csv`, append: false } });
    checkOutfileWritable(`${dir}/out.csv`);
    await writeOutfile(linked, numbered(2));
    assert.ok(Deno.lstatSync(`${dir}/out.csv`).isSymlink);
    assert.equal(await Deno.readTextFile(`${dir}/real/out.csv`), "$k\n0\n1\n");

    const fifo = `${dir}/out.fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    checkOutfileWritable(fifo); // does not open it: a reader would see an end early
    const reader = Deno.open(fifo, { read: true }).then(async (f) => {
      const decoder = new TextDecoder();
      let text = "";
      for await (const chunk of f.readable) text += decoder.decode(chunk, { stream: true });
      return text + decoder.decode();
    });
    const notes: string[] = [];
    await writeOutfile(
      query("q", "$k", { outfile: { path: fifo, append: false } }),
      numbered(3),
      (t) => notes.push(t),
    );
    assert.equal(await reader, "$k\n0\n1\n2\n");
    assert.deepEqual(notes, [`Writing to outfile|${fifo}`]);
    assert.ok(Deno.statSync(fifo).isFifo);
    await writeOutfile(query("q", "$k", { outfile: { path: "/dev/null", append: false } }), []);
    assert.ok(Deno.statSync("/dev/null").isCharDevice);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "out.csv",
      "out.csv.query",
      "out.fifo",
      "real",
    ]);
    assert.throws(() => checkOutfileWritable(`${dir}/real`), /it is a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOutfile leaves another dmap's temporary file of the same outfile alone", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.csv`;
    // What a second dmap with this outfile (Go's name) is writing right now.
    await Deno.writeTextFile(`${path}.tmp`, "another run's rows\n");
    await Deno.writeTextFile(`${path}.query.tmp`, "another run's query");
    await writeOutfile(
      query("select $k outfile out.csv", "$k", { outfile: { path, append: false } }),
      numbered(2),
    );
    assert.equal(await Deno.readTextFile(path), "$k\n0\n1\n");
    assert.equal(await Deno.readTextFile(`${path}.tmp`), "another run's rows\n");
    assert.equal(await Deno.readTextFile(`${path}.query.tmp`), "another run's query");
    const names = await namesIn(dir);
    assert.deepEqual(names.sort(), [
      "out.csv",
      "out.csv.query",
      "out.csv.query.tmp",
      "out.csv.tmp",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOutfile that cannot write says so in one line, as an output error, and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.csv`;
    // The rename of out.csv.query.tmp over a non-empty directory fails.
    await Deno.mkdir(`${path}.query/x`, { recursive: true });
    const q = query("select $k outfile out.csv", "$k", { outfile: { path, append: false } });
    await assert.rejects(
      writeOutfile(q, numbered(2)),
      (err: unknown) =>
        errorKind(err) === "output" && err instanceof Error &&
        /^cannot write outfile ".*out\.csv": [a-z ]+$/.test(err.message),
    );
    const names = await namesIn(dir);
    assert.deepEqual(names, ["out.csv.query"]);
    if (Deno.statSync("/dev/full").isCharDevice) {
      const full = query("select $k outfile /dev/full", "$k", {
        outfile: { path: "/dev/full", append: false },
      });
      await assert.rejects(
        writeOutfile(full, numbered(2)),
        { message: 'cannot write outfile "/dev/full": no space left on device' },
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeOutfile in append mode writes the header only into a missing or empty file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/out.csv`;
    const q = query("q", "$k", { outfile: { path, append: true } });
    const notes: string[] = [];
    await writeOutfile(q, numbered(1), (t) => notes.push(t));
    assert.deepEqual(notes, [`Appending to outfile|${path}`]);
    await writeOutfile(q, numbered(2));
    assert.equal(await Deno.readTextFile(path), "$k\n0\n0\n1\n");
    await Deno.writeTextFile(path, "");
    await writeOutfile(q, numbered(1));
    assert.equal(await Deno.readTextFile(path), "$k\n0\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkOutfileWritable accepts a writable directory and leaves nothing behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    checkOutfileWritable(`${dir}/out.csv`);
    checkOutfileWritable(`${dir}/out.csv`, true);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkOutfileWritable throws a one-line error for a missing directory", () => {
  assert.throws(
    () => checkOutfileWritable("/nonexistent-dir-for-dtail-test/out.csv"),
    {
      message: 'cannot write outfile "/nonexistent-dir-for-dtail-test/out.csv": directory ' +
        '"/nonexistent-dir-for-dtail-test" does not exist',
    },
  );
});

Deno.test("checkOutfileWritable throws for a read-only directory", {
  ignore: Deno.uid() === 0,
}, async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o555);
    assert.throws(() => checkOutfileWritable(`${dir}/out.csv`), {
      message: `cannot write outfile "${dir}/out.csv": directory "${dir}" is not writable`,
    });
  } finally {
    await Deno.chmod(dir, 0o755);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkOutfileWritable throws when the outfile is a directory", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.throws(() => checkOutfileWritable(dir), /it is a directory/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkOutfileWritable throws when the directory part is a file", async () => {
  const file = await Deno.makeTempFile();
  try {
    assert.throws(() => checkOutfileWritable(`${file}/out.csv`), {
      message: `cannot write outfile "${file}/out.csv": "${file}" is not a directory`,
    });
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("quantiles print as %f, count_distinct as an integer, quantile(x, q) quoted in the CSV", () => {
  const q = parseQuery("select g,p99(lat),quantile(lat, 0.5),count_distinct(u) group by g");
  const rows = [
    row("a", { g: "a", "p99(lat)": 12.25, "quantile(lat, 0.5)": 3, "count_distinct(u)": 42 }),
  ];
  assert.equal(
    renderCsv(q, rows),
    'g,p99(lat),"quantile(lat, 0.5)",count_distinct(u)\na,12.250000,3.000000,42\n',
  );
  const table = renderTable(q, rows, { color: false, hostname: "h" });
  assert.match(table, / quantile\(lat, 0\.5\) \| count_distinct\(u\) \n/);
  assert.match(table, / 12\.250000 \| +3\.000000 \| +42 \n/);
});

/** The names of a directory's entries. */
async function namesIn(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names;
}

Deno.test("an outfile directory the OS will not take says why in words", () => {
  assert.throws(() => checkOutfileWritable("/proc/self/x.csv"), {
    message:
      'cannot write outfile "/proc/self/x.csv": directory "/proc/self" is not writable: no such file or directory',
  });
});
