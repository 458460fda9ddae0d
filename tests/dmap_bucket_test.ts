/**
 * Serverless dmap with time buckets (`bucket($time, 1m)`): generated logs over a few minutes, in
 * the json, default and generic formats; counts per bucket checked against counts made here.
 */
import assert from "node:assert/strict";
import { run } from "./helpers.ts";
import { dmapOnFile } from "./dmap_file.ts";

const START = Date.UTC(2026, 11, 3, 9, 57, 30);
const MINUTE = 60_000;

/** 500 instants over about seven minutes, at irregular steps. */
const TIMES: readonly number[] = Array.from(
  { length: 500 },
  (_, i) => START + i * 850 + ((i * 7919) % 613),
);

const floorTo = (ms: number, width: number) => Math.floor(ms / width) * width;
const label = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");

/** `bucket,count,sum` rows of the instants, in time order. */
function expectedRows(width: number, values: (i: number) => number): string[] {
  const groups = new Map<number, { count: number; sum: number }>();
  TIMES.forEach((t, i) => {
    const g = groups.get(floorTo(t, width)) ?? { count: 0, sum: 0 };
    g.count++;
    g.sum += values(i);
    groups.set(floorTo(t, width), g);
  });
  return [...groups].sort(([a], [b]) => a - b)
    .map(([start, g]) => `${label(start)},${g.count},${g.sum.toFixed(6)}`);
}

/** RFC 3339 in UTC, at +02:00, and epoch seconds and ms, by turns. */
function jsonTime(t: number, i: number): string | number {
  switch (i % 4) {
    case 0:
      return new Date(t).toISOString();
    case 1:
      return new Date(t + 2 * 60 * MINUTE).toISOString().replace("Z", "+02:00");
    case 2:
      return t / 1000;
    default:
      return String(t);
  }
}

Deno.test("dmap counts json lines per minute, skipping and counting untimed ones", async () => {
  const lines = TIMES.map((t, i) => JSON.stringify({ time: jsonTime(t, i), bytes: i % 97 }));
  lines.splice(17, 0, '{"bytes":1}', '{"time":"yesterday","bytes":1}', '{"ts":12,"bytes":1}');
  const { csv, out } = await dmapOnFile(
    lines,
    "select bucket($time, 1m),count($line),sum(bytes) group by bucket($time,1m) logformat json",
  );
  const rows = expectedRows(MINUTE, (i) => i % 97);
  assert.ok(rows.length >= 7, `${rows.length} buckets`);
  assert.equal(csv, `"bucket($time, 1m)",count($line),sum(bytes)\n${rows.join("\n")}\n`);
  assert.match(out, /^3 malformed log line\(s\) skipped$/m);
});

Deno.test("dmap buckets json lines by 5s and orders the latest bucket first", async () => {
  const lines = TIMES.map((t, i) => JSON.stringify({ ts: new Date(t).toISOString(), n: i }));
  const { csv } = await dmapOnFile(
    lines,
    "select bucket($time, 5s),count($line),sum(n) logformat json order by bucket($time, 5s) " +
      "limit 3",
  );
  const rows = expectedRows(5000, (i) => i).reverse().slice(0, 3);
  assert.equal(csv, `"bucket($time, 5s)",count($line),sum(n)\n${rows.join("\n")}\n`);
});

/** DTail's default format, its time a local one (`YYYYMMDD-HHMMSS`, the zone at `offset`). */
function defaultLine(t: number, i: number, offset: number): string {
  const wall = new Date(t + offset).toISOString();
  const time = wall.slice(0, 10).replaceAll("-", "") + "-" + wall.slice(11, 19).replaceAll(":", "");
  return `INFO|${time}|1|stats.go:1|8|${i % 13}|7|0.5|1s|MAPREDUCE:STATS|n=${i}`;
}

Deno.test("dmap buckets DTail's default format by its local time, labelled in UTC", async () => {
  // India: +05:30 all year, so the hour buckets (UTC hours) are not the local ones.
  const offset = (5 * 60 + 30) * MINUTE;
  const lines = TIMES.flatMap((t, i) => [
    defaultLine(t, i, offset),
    `INFO|20261203-000000|1|x.go:1|8|1|7|0.5|1s|MAPREDUCE:OTHER|n=1`,
  ]);
  const minutes = await dmapOnFile(
    lines,
    "from STATS select bucket($time, 1m),count($line),sum($goroutines) " +
      "group by bucket($time, 1m)",
    { TZ: "Asia/Kolkata" },
  );
  assert.equal(
    minutes.csv,
    '"bucket($time, 1m)",count($line),sum($goroutines)\n' +
      expectedRows(MINUTE, (i) => i % 13).join("\n") + "\n",
  );
  const hours = await dmapOnFile(
    lines,
    "from STATS select bucket($time, 1h),count($line),sum(n) rorder by bucket($time,1h)",
    { TZ: "Asia/Kolkata" },
  );
  assert.equal(
    hours.csv,
    `"bucket($time, 1h)",count($line),sum(n)\n${expectedRows(60 * MINUTE, (i) => i).join("\n")}\n`,
  );
});

Deno.test("dmap reads generic lines' times with a timelayout", async () => {
  const lines = TIMES.map((t, i) => {
    const d = new Date(t);
    const p = (n: number) => String(n).padStart(2, "0");
    return `web${i % 3} ${p(d.getUTCDate())}.${p(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ` +
      `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} GET /${i}`;
  });
  lines.push("a line without a time");
  const { csv, out } = await dmapOnFile(
    lines,
    'select bucket($line, 1m),count($line),sum($empty) timelayout "%d.%m.%Y %T"',
    { TZ: "UTC" },
  );
  const rows = expectedRows(MINUTE, () => 0);
  assert.equal(csv, `"bucket($line, 1m)",count($line),sum($empty)\n${rows.join("\n")}\n`);
  assert.match(out, /^1 malformed log line\(s\) skipped$/m);
});

Deno.test("dmap rejects a bucket of an unknown unit in one line before it reads", async () => {
  const r = await run("dmap", [
    "--cfg",
    "none",
    "--query",
    "select bucket($time, 1w),count($line) logformat json",
    "--files",
    "/nonexistent/app.log",
  ]);
  assert.equal(r.code, 2);
  assert.equal(
    r.stderr,
    'dmap: bucket width "1w": unknown unit "w" (s, m, h, d) in "bucket($time, 1w)" at position 7\n',
  );
  assert.equal(r.text, "");
});
