import assert from "node:assert/strict";
import { DEFAULT_VARIABLES, DefaultParser } from "./format_default.ts";
import { assertIndexedParseAgrees, COMMON_FIELDS, STATS_LINE, UTC } from "./_test_fields.ts";

const DATA = new URL("../../tests/testdata/dtail-upstream/mapr_testdata.log", import.meta.url);
const LINES = Deno.readTextFileSync(DATA).split("\n").filter((l) => l !== "");
const FIRST = STATS_LINE;

const parser = (needed: ReadonlySet<string> | null = null) => new DefaultParser("h1", needed, UTC);
const parse = (line: string, needed: ReadonlySet<string> | null = null) =>
  parser(needed).parse(line, "src");
const fieldsOf = (line: string, needed: ReadonlySet<string> | null = null): Map<string, string> => {
  const result = parse(line, needed);
  assert.ok(result instanceof Map, `expected fields, got ${String(result)}`);
  return result;
};

Deno.test("the default parser yields every field of the first test data line", () => {
  assert.equal(LINES[0], FIRST);
  assert.deepEqual(
    fieldsOf(FIRST),
    new Map([
      ...COMMON_FIELDS,
      ["$line", FIRST],
      ["$severity", "INFO"],
      ["$loglevel", "INFO"],
      ["$time", "1002-071143"],
      ["$pid", "1"],
      ["$caller", "stats.go:56"],
      ["$cpus", "8"],
      ["$goroutines", "13"],
      ["$cgocalls", "7"],
      ["$loadavg", "0.21"],
      ["$uptime", "471h0m21s"],
      ["currentConnections", "0"],
      ["lifetimeConnections", "1"],
    ]),
  );
});

Deno.test("the default parser reads every test data line like dmap1a expects", () => {
  const p = parser();
  let sum = 0;
  let maxLifetime = -Infinity;
  let last = "";
  for (const line of LINES) {
    const fields = p.parse(line, "src");
    assert.ok(fields instanceof Map);
    sum += Number(fields.get("$goroutines"));
    maxLifetime = Math.max(maxLifetime, Number(fields.get("lifetimeConnections")));
    last = fields.get("$time") ?? "";
  }
  assert.equal(LINES.length, 597);
  assert.equal((sum / LINES.length).toFixed(6), "11.628141");
  assert.equal(maxLifetime, 6);
  assert.equal(last, "1002-071949");
});

Deno.test("an 11-character time gives no date, hour, minute or second", () => {
  const fields = fieldsOf(FIRST);
  for (const name of ["$date", "$hour", "$minute", "$second"]) {
    assert.equal(fields.has(name), false);
  }
});

Deno.test("a 15-character time gives date, hour, minute and second", () => {
  const fields = fieldsOf(FIRST.replace("1002-071143", "20211002-071209"));
  assert.equal(fields.get("$time"), "20211002-071209");
  assert.equal(fields.get("$date"), "20211002");
  assert.equal(fields.get("$hour"), "07");
  assert.equal(fields.get("$minute"), "12");
  assert.equal(fields.get("$second"), "09");
});

Deno.test("lines whose severity does not start with INFO are skipped", () => {
  assert.equal(parse(FIRST.replace("INFO", "WARN")), "skip");
  assert.equal(parse(FIRST.replace("INFO", "ERROR")), "skip");
  assert.equal(parse(FIRST.replace("INFO", "info")), "skip");
  assert.equal(fieldsOf(FIRST.replace("INFO", "INFORMATION")).get("$severity"), "INFORMATION");
});

Deno.test("lines without MAPREDUCE: in field 9 are skipped", () => {
  assert.equal(parse(FIRST.replace("MAPREDUCE:STATS", "STATS")), "skip");
  assert.equal(parse(FIRST.replace("|MAPREDUCE:STATS", "|x|MAPREDUCE:STATS")), "skip");
  assert.equal(parse("INFO|just a log message"), "skip");
  assert.equal(parse(""), "skip");
});

Deno.test("lines with fewer than 11 fields are skipped", () => {
  assert.equal(parse("INFO|1|2|3|4|5|6|7|8|MAPREDUCE:STATS"), "skip");
  assert.deepEqual(fieldsOf("INFO|1|2|3|4|5|6|7|8|MAPREDUCE:STATS|a=b").get("a"), "b");
});

Deno.test("a token after field 9 without = makes the line malformed", () => {
  assert.equal(parse(`${FIRST}|oops`), "malformed");
  assert.equal(parse(FIRST.replace("currentConnections=0", "currentConnections")), "malformed");
  assert.equal(parse(`${FIRST}|`), "malformed");
  assert.equal(parse(`${FIRST}|oops`, new Set(["$time"])), "malformed");
});

Deno.test("key-value tokens split at the first = and later keys overwrite earlier ones", () => {
  const fields = fieldsOf(`${FIRST}|q=a=b|=v|e=|currentConnections=9`);
  assert.equal(fields.get("q"), "a=b");
  assert.equal(fields.get(""), "v");
  assert.equal(fields.get("e"), "");
  assert.equal(fields.get("currentConnections"), "9");
});

Deno.test("surrounding whitespace is trimmed before parsing", () => {
  const fields = fieldsOf(`  ${FIRST}\r\n`);
  assert.equal(fields.get("$line"), FIRST);
  assert.equal(fields.get("lifetimeConnections"), "1");
});

Deno.test("needed fields get the same values as a full parse and nothing else", () => {
  const needed = new Set(["$line", "$time", "$goroutines", "currentConnections", "$hour"]);
  const full = parser();
  const partial = parser(needed);
  for (const line of LINES) {
    const all = full.parse(line, "s");
    const some = partial.parse(line, "s");
    assert.ok(all instanceof Map && some instanceof Map);
    const expected = new Map([...all].filter(([k]) => needed.has(k)));
    assert.deepEqual(some, expected);
  }
});

Deno.test("many needed keys are looked up by name with the same result", () => {
  const needed = new Set([...DEFAULT_VARIABLES, "*", "currentConnections", "lifetimeConnections"]);
  for (const line of [FIRST, LINES[596]!, `${FIRST}|a=1`]) {
    const all = fieldsOf(line);
    const expected = new Map([...all].filter(([k]) => needed.has(k)));
    assert.deepEqual(fieldsOf(line, needed), expected);
  }
});

Deno.test("DEFAULT_VARIABLES lists the common and the default-only dollar variables", () => {
  assert.equal(DEFAULT_VARIABLES.size, 20);
  for (const name of ["$line", "$timeoffset", "$severity", "$date", "$goroutines", "$uptime"]) {
    assert.ok(DEFAULT_VARIABLES.has(name), name);
  }
  assert.equal(DEFAULT_VARIABLES.has("*"), false);
});

Deno.test("a time of 15 characters with non-ASCII ones gives the clock by characters", () => {
  const fields = fieldsOf(FIRST.replace("1002-071143", "20211002-0712é9"));
  assert.equal(fields.get("$date"), "20211002");
  assert.equal(fields.get("$minute"), "12");
  assert.equal(fields.get("$second"), "é9");
  const short = fieldsOf(FIRST.replace("1002-071143", "2021100é-07120"), new Set(["$date"]));
  assert.equal(short.has("$date"), false, "15 bytes but 14 characters");
});

Deno.test("UTF-8 text and invalid bytes in values read as the decoded line has them", () => {
  const fields = fieldsOf(`${FIRST}|user=Zoë|path=/api/上游/1|bad=a\udc00b|e=🔥`);
  assert.equal(fields.get("user"), "Zoë");
  assert.equal(fields.get("path"), "/api/上游/1");
  assert.equal(fields.get("bad"), "a\ufffdb");
  assert.equal(fields.get("e"), "🔥");
  const p = parser(new Set(["user", "host"]));
  const bytes = new TextEncoder().encode(`${FIRST}|user=\u00e9|host=x`);
  // "é|host=x" with é's second byte replaced: C3 28 is an invalid sequence and "("
  const invalid = Uint8Array.from([
    ...bytes.subarray(0, bytes.length - 9),
    0xc3,
    0x28,
    ...bytes.subarray(bytes.length - 7),
  ]);
  assert.equal(p.parseBytes(invalid, 0, invalid.length, "s", null), 0);
  assert.equal(p.fields.get("user"), "\ufffd(");
  assert.equal(p.fields.get("host"), "x");
});

Deno.test("a line with Unicode spaces around it is trimmed as its text would be", () => {
  const fields = fieldsOf(`\u3000\u00a0${FIRST}|host=a\u00a0\u2028`, new Set(["host", "$line"]));
  assert.equal(fields.get("host"), "a");
  assert.equal(fields.get("$line"), `${FIRST}|host=a`);
});

Deno.test("parsing a region line by line finds each line's end and the fields parse gives", () => {
  const stats = "INFO|1002-071143|1|s.go:1|8|12|7|0.5|1s|MAPREDUCE:STATS";
  const lines = [
    `${stats}|a=1|b=x`,
    "",
    "   ",
    "WARN|ok",
    "INFO|only|four|bars",
    `  \u3000${stats}|a=2|b=y \r`,
    `${stats}|a=3|b=\u00a0`,
    `${stats}|a=4|`,
    `${stats}|a=5|oops|b=z`,
    `${stats}|`,
    "INFO|1|2|3|4|5|6|7|8|MAPREDUCE|a=6",
    `${stats}|a=7|b=last, no line end`,
  ];
  const text = lines.join("\n");
  const bytes = new TextEncoder().encode(text);
  const needed = new Set(["a", "b", "$line", "$time"]);
  const byRegion = parser(needed);
  const byLine = parser(needed);
  let start = 0;
  for (const line of lines) {
    const code = byRegion.parseLineAt(bytes, start, bytes.length, "src", null);
    const got = code === 0 ? byRegion.fields.toMap() : code;
    const expected = byLine.parse(line.replace(/\r$/, ""), "src");
    assert.deepEqual(got, expected === "skip" ? 1 : expected === "malformed" ? 2 : expected, line);
    assert.equal(byRegion.lineEnd, start + new TextEncoder().encode(line).length, line);
    start = byRegion.lineEnd + 1;
  }
});

Deno.test("parsing from the separators' positions gives what parsing every byte gives", () => {
  const stats = "INFO|1002-071143|1|s.go:1|8|12|7|0.5|1s|MAPREDUCE:STATS";
  const lines = [
    `${stats}|a=1|b=x`,
    "",
    "   ",
    "WARN|ok=1|",
    "INFO|only|four|bars",
    "INFO=1|2|3|4|5|6|7|8|9|MAPREDUCE:STATS|a==8|b=c=d",
    `  \u3000${stats}|a=2|b=y \r`,
    `${stats}|a=3|b=\u00a0`,
    `${stats}|a=4|`,
    `${stats}|a=5|oops|b=z`,
    `${stats}|a=9|oops`,
    `${stats}|a=10|b`,
    `${stats}|`,
    `${stats}`,
    `${stats}|=|b=`,
    "INFO|1|2|3|4|5|6|7|8|MAPREDUCE|a=6",
    "INFO|1|2|3|4|5|6|7|8|MAPREDUCE:",
    `${stats}|a=7|b=last, no line end`,
  ];
  const needed = new Set(["a", "b", "$line", "$time", "$pid"]);
  for (const last of [lines.length, lines.length - 1, 6, 3]) {
    assertIndexedParseAgrees(() => parser(needed), lines.slice(0, last));
  }
  assertIndexedParseAgrees(() => parser(null), lines);
});
