/**
 * Serverless dmap on the `json`, `logfmt` and `auto` log formats: generated logs, results checked
 * against sums made in the test, malformed lines skipped and counted.
 */
import assert from "node:assert/strict";
import { dmapOnFile } from "./dmap_file.ts";

const STATUSES = [200, 404, 500] as const;
const METHODS = ["GET", "POST"] as const;

interface Request {
  readonly status: number;
  readonly method: string;
  readonly latency: number;
  readonly bytes: number;
  readonly time: string;
}

/** 300 requests; latencies are multiples of 1/4, so every sum and average is exact. */
const REQUESTS: readonly Request[] = Array.from({ length: 300 }, (_, i) => ({
  status: STATUSES[(i * 7) % 3]!,
  method: METHODS[(i * 5) % 2]!,
  latency: ((i * 37) % 41) / 4,
  bytes: (i * 101) % 997,
  time: `2026-12-03T20:${String(Math.floor(i / 60)).padStart(2, "0")}:${
    String(i % 60).padStart(2, "0")
  }Z`,
}));

const jsonLine = (r: Request) =>
  JSON.stringify({
    time: r.time,
    msg: 'handled "quoted" \\ and é',
    req: { status: r.status, method: r.method, headers: { ua: "curl/8" } },
    latency: r.latency,
    bytes: r.bytes,
    tags: ["a", "b"],
    user: null,
  });

const logfmtLine = (r: Request) =>
  `time=${r.time} level=info msg="handled \\"quoted\\"" req.status=${r.status} ` +
  `req.method=${r.method} latency=${r.latency} bytes=${r.bytes} cached`;

/** The CSV dmap writes for `select KEYS,count($line),sum(bytes),avg(latency) group by KEYS`. */
function expectedCsv(keys: readonly (keyof Request)[], header: string): string {
  const groups = new Map<string, { count: number; bytes: number; latency: number }>();
  for (const r of REQUESTS) {
    const key = keys.map((k) => r[k]).join(",");
    const g = groups.get(key) ?? { count: 0, bytes: 0, latency: 0 };
    g.count++;
    g.bytes += r.bytes;
    g.latency += r.latency;
    groups.set(key, g);
  }
  const rows = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, g]) =>
      `${key},${g.count},${g.bytes.toFixed(6)},${(g.latency / g.count).toFixed(6)}`
    );
  return `${header}\n${rows.join("\n")}\n`;
}

const JSON_QUERY = "select req.status,count($line),sum(bytes),avg(latency) group by req.status " +
  "logformat json";
const JSON_HEADER = "req.status,count($line),sum(bytes),avg(latency)";

Deno.test("dmap json groups nested members and skips and counts malformed lines", async () => {
  const lines = REQUESTS.map(jsonLine);
  lines.splice(10, 0, '{"req":{"status":200},"latency":', "not json at all", "");
  const { csv, out } = await dmapOnFile(lines, JSON_QUERY);
  assert.equal(csv, expectedCsv(["status"], JSON_HEADER));
  assert.match(out, /^2 malformed log line\(s\) skipped$/m);
});

Deno.test("dmap json with from * reads every line", async () => {
  const { csv } = await dmapOnFile(REQUESTS.map(jsonLine), `from * ${JSON_QUERY}`);
  assert.equal(csv, expectedCsv(["status"], JSON_HEADER));
});

Deno.test("dmap logfmt groups by two fields", async () => {
  const lines = REQUESTS.map(logfmtLine);
  lines.push('latency="unclosed');
  const { csv, out } = await dmapOnFile(
    lines,
    "select req.method,req.status,count($line),sum(bytes),avg(latency) " +
      "group by req.method,req.status logformat logfmt",
  );
  assert.equal(
    csv,
    expectedCsv(["method", "status"], "req.method,req.status,count($line),sum(bytes),avg(latency)"),
  );
  assert.match(out, /^1 malformed log line\(s\) skipped$/m);
});

Deno.test("dmap json and logfmt give $time, where and bare keys", async () => {
  const query = (format: string) =>
    `select count($line),last($time),max(latency),count(cached) where req.status >= 500 ` +
    `and latency > 5 group by * logformat ${format}`;
  const slow = REQUESTS.filter((r) => r.status >= 500 && r.latency > 5);
  const last = slow.at(-1)!;
  const max = Math.max(...slow.map((r) => r.latency)).toFixed(6);
  const header = "count($line),last($time),max(latency),count(cached)";
  const json = await dmapOnFile(REQUESTS.map(jsonLine), query("json"));
  assert.equal(json.csv, `${header}\n${slow.length},${last.time},${max},0\n`);
  const logfmt = await dmapOnFile(REQUESTS.map(logfmtLine), query("logfmt"));
  assert.equal(logfmt.csv, `${header}\n${slow.length},${last.time},${max},${slow.length}\n`);
});

Deno.test("dmap auto reads json, logfmt and DTail lines of one file", async () => {
  const stats = "INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS";
  const lines = REQUESTS.map((r, i) =>
    i % 3 === 0
      ? jsonLine(r)
      : i % 3 === 1
      ? logfmtLine(r)
      : `${stats}|req.status=${r.status}|req.method=${r.method}|latency=${r.latency}|bytes=${r.bytes}`
  );
  lines.push("free text is skipped", '{"broken":', "");
  const { csv, out } = await dmapOnFile(
    lines,
    "select req.status,count($line),sum(bytes),avg(latency) group by req.status logformat auto",
  );
  assert.equal(csv, expectedCsv(["status"], JSON_HEADER));
  assert.match(out, /^1 malformed log line\(s\) skipped$/m);
});
