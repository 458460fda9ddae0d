import assert from "node:assert/strict";
import { fixedZone, LOCAL, UTC } from "./civil_time.ts";
import { LineTimes } from "./log_time.ts";

const encoder = new TextEncoder();
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const T = Date.UTC(2026, 11, 3, 10, 0, 0);
const S = T / 1000;

/** The time of one line, with a fresh reader (UTC, now = NOW) or the one given. */
function timeOf(line: string, times = new LineTimes({ now: NOW, zone: UTC })): number {
  const bytes = encoder.encode(`junk-before\n${line}\njunk-after`);
  const start = 12;
  return times.timeOf(bytes, start, start + encoder.encode(line).length);
}

const CASES: [string, number, string][] = [
  // DTail's default format
  ["INFO|20261203-100000|1|stats.go:56|8|13|7|0.21|471h|MAPREDUCE:STATS|a=1", T, "default"],
  ["INFO|1203-100000|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|a=1", T, "default"],
  ["WARN|1203-100000|user@1.2.3.4:22|message", T, "default"],
  ["ERROR|20261203-100000", T, "default"],
  // RFC 3339 / ISO 8601 at the start
  ["2026-12-03T10:00:00Z web01 api[12]: INFO ok", T, "iso"],
  ["2026-12-03t10:00:00z lower case", T, "iso"],
  ["2026-12-03T10:00:00.123Z x", T + 123, "iso"],
  ["2026-12-03T10:00:00.123456789Z x", T + 123, "iso"],
  ["2026-12-03T10:00:00.5Z x", T + 500, "iso"],
  ["2026-12-03 10:00:00,123 INFO [main] x", T + 123, "iso"],
  ["2026-12-03T11:00:00+01:00 x", T, "iso"],
  ["2026-12-03T05:00:00-0500 x", T, "iso"],
  ["2026-12-03T11:30:00+0130 x", T, "iso"],
  ["2026-12-03T12:00:00+02 x", T, "iso"],
  ["2026-12-03T10:00 no seconds", T, "iso"],
  ["2026/12/03 10:00:00 [error] 12#0: nginx", T, "iso"],
  ["[2026-12-03 10:00:00] bracketed", T, "iso"],
  ["  2026-12-03T10:00:00Z indented", T, "iso"],
  // the common log format
  ['127.0.0.1 - - [03/Dec/2026:11:00:00 +0100] "GET / HTTP/1.1" 200 5', T, "clf"],
  ["[03/Dec/2026:10:00:00] no zone", T, "clf"],
  // syslog (no year)
  ["Dec  3 10:00:00 host sshd[1]: Accepted", T, "syslog"],
  ["Dec 03 10:00:00 host x", T, "syslog"],
  ["dec 3 10:00:00 host x", T, "syslog"],
  ["<34>Dec  3 10:00:00 host x", T, "syslog"],
  ["Dec  3 10:00:00.250 host x", T + 250, "syslog"],
  // JSON
  ['{"level":"info","time":"2026-12-03T10:00:00Z","msg":"x"}', T, "json"],
  [`{"ts":${S}.25,"msg":"zap"}`, T + 250, "json"],
  [`{"time":${S}123,"msg":"pino"}`, T + 123, "json"],
  [`{"t":${S}123456,"msg":"micro"}`, T + 123, "json"],
  [`{"ts":${S}123456789,"msg":"nano"}`, T + 123, "json"],
  ['{"@timestamp" : "2026-12-03T10:00:00.000+00:00"}', T, "json"],
  ['{"msg":"time","timestamp":"2026-12-03 10:00:00"}', T, "json"],
  ['{"date":"2026-12-03","time":"2026-12-03T10:00:00Z"}', T, "json"],
  [`{"ts":"${S}"}`, T, "json"],
  // logfmt
  ["level=info time=2026-12-03T10:00:00Z msg=x", T, "logfmt"],
  ['level=info ts="2026-12-03 10:00:00.123" msg=x', T + 123, "logfmt"],
  [`ts=${S} msg=x`, T, "logfmt"],
  // anywhere near the start
  ["web01 app[1]: 2026-12-03T10:00:00Z hello", T, "iso"],
  ["<34>1 2026-12-03T10:00:00.003Z host app - - msg", T + 3, "iso"],
];

for (const [line, want, layout] of CASES) {
  Deno.test(`the time of ${JSON.stringify(line.slice(0, 60))} is read (${layout})`, () => {
    const times = new LineTimes({ now: NOW, zone: UTC });
    assert.equal(timeOf(line, times), want);
    assert.equal(times.layout, layout);
  });
}

const UNTIMED = [
  "",
  "plain text without a time",
  "\tat com.example.Foo.bar(Foo.java:42)",
  "INFO|not-a-time|x",
  "SERVER|host|INFO|1203-100000|x",
  "2026-13-03T10:00:00Z month 13",
  "2026-02-30T10:00:00Z no such day",
  "2026-12-03T24:00:00Z hour 24",
  "2026-12-03 date only",
  "12345 ts=12345 short numbers are not epochs",
  '{"time":"yesterday"}',
  "Foo  3 10:00:00 no month",
  '{"time":"soon","ts":12}',
  `runtime=${S} a key that ends in "time" is another key`,
];

for (const line of UNTIMED) {
  Deno.test(`a line without a time gives NaN: ${JSON.stringify(line)}`, () => {
    assert.ok(Number.isNaN(timeOf(line)));
  });
}

Deno.test("a time not at the start of the line is found only within 256 bytes", () => {
  assert.equal(timeOf(`${"x".repeat(200)} 2026-12-03T10:00:00Z`), T);
  assert.ok(Number.isNaN(timeOf(`${"x".repeat(300)} 2026-12-03T10:00:00Z`)));
});

Deno.test("a time without a zone is in the zone given", () => {
  const berlin = new LineTimes({ now: NOW, zone: fixedZone(60) });
  assert.equal(timeOf("2026-12-03 11:00:00 x", berlin), T);
  assert.equal(timeOf("INFO|20261203-110000|x", berlin), T);
  assert.equal(timeOf("Dec  3 11:00:00 host x", berlin), T);
  // an explicit zone wins
  assert.equal(timeOf("2026-12-03T10:00:00Z x", berlin), T);
});

Deno.test("the local zone agrees with Date on wall-clock times", () => {
  const times = new LineTimes({ now: NOW, zone: LOCAL });
  for (const [mo, d, h] of [[0, 15, 3], [2, 29, 2], [5, 1, 23], [9, 25, 1], [11, 3, 10]]) {
    const want = new Date(2026, mo!, d!, h!, 7, 9).getTime();
    const text = `2026-${String(mo! + 1).padStart(2, "0")}-${String(d).padStart(2, "0")} ` +
      `${String(h).padStart(2, "0")}:07:09 x`;
    assert.equal(timeOf(text, times), want, text);
  }
});

Deno.test("a time without a year is the latest one at most a day after now", () => {
  const jan = Date.UTC(2027, 0, 2, 12);
  const times = () => new LineTimes({ now: jan, zone: UTC });
  assert.equal(timeOf("Dec 31 23:00:00 host x", times()), Date.UTC(2026, 11, 31, 23));
  assert.equal(timeOf("Jan  2 10:00:00 host x", times()), Date.UTC(2027, 0, 2, 10));
  assert.equal(timeOf("Jan  3 10:00:00 host x", times()), Date.UTC(2027, 0, 3, 10));
  assert.equal(timeOf("Jan  4 10:00:00 host x", times()), Date.UTC(2026, 0, 4, 10));
  assert.equal(timeOf("INFO|1231-230000|x", times()), Date.UTC(2026, 11, 31, 23));
});

Deno.test("the layout that worked is kept, and a line of another layout is still read", () => {
  const times = new LineTimes({ now: NOW, zone: UTC });
  assert.equal(timeOf("2026-12-03T10:00:00Z a", times), T);
  assert.equal(times.layout, "iso");
  assert.ok(Number.isNaN(timeOf("\tat Foo.bar(Foo.java:1)", times)));
  assert.equal(times.layout, "iso");
  assert.equal(timeOf("2026-12-03T10:00:01Z b", times), T + 1000);
  assert.equal(timeOf("Dec  3 10:00:02 host c", times), T + 2000);
  assert.equal(times.layout, "syslog");
  assert.equal(timeOf("host 2026-12-03T10:00:03Z d", times), T + 3000);
  assert.equal(times.layout, "iso");
  // the offset changed: found again by the search
  assert.equal(timeOf("host10 2026-12-03T10:00:04Z e", times), T + 4000);
});

Deno.test("a line ending in CR or cut short is read within its bounds only", () => {
  const bytes = encoder.encode("2026-12-03T10:00:00Z");
  const times = new LineTimes({ now: NOW, zone: UTC });
  // cut inside the seconds: the time has minutes only
  assert.equal(times.timeOf(bytes, 0, 17), T);
  assert.ok(Number.isNaN(times.timeOf(bytes, 0, 12)));
  assert.equal(times.timeOf(bytes, 0, 19), T); // no "Z": in the zone, UTC here
});

Deno.test("a reader parses a million lines of a known layout in well under a second", () => {
  const line = encoder.encode(
    "2026-12-03T10:00:00.123Z web01 api[1]: INFO [req=abc] request completed status=200\n",
  );
  const times = new LineTimes({ now: NOW, zone: UTC });
  const t0 = performance.now();
  let sum = 0;
  for (let i = 0; i < 1_000_000; i++) sum += times.timeOf(line, 0, line.length - 1) - T;
  const ms = performance.now() - t0;
  assert.equal(sum, 123_000_000);
  assert.ok(ms < 1000, `${ms} ms`);
});

Deno.test("fractional epoch seconds keep their milliseconds exactly", () => {
  const times = new LineTimes();
  for (let ms = 0; ms < 1000; ms++) {
    const text = `{"ts":1796291850.${String(ms).padStart(3, "0")}5}`;
    const bytes = new TextEncoder().encode(text);
    assert.equal(times.timeOf(bytes, 0, bytes.length), 1796291850_000 + ms, text);
  }
});
