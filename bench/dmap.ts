/**
 * `make bench-dmap` (and the end of `make bench`): `dmap` on the generated MapReduce logs
 * (bench/dmap_generate.ts, and bench/dmap_generate_mixed.ts unless BENCH_SHAPES=1), serverless
 * against an `awk` program and the Go dmap (when its binaries are there, bench/go_peer.ts), and
 * over SSH against local dservers (bench/ssh_server.ts), with result checks and peak memory.
 * Prints a Markdown table and appends it to bench/results/history.md. BENCH_RUNS sets the timed
 * runs per case (default 5).
 * Every dmap run also writes its result with `outfile`; the checks read that CSV.
 */
import { join } from "node:path";
import {
  DISTINCT_GROUPS,
  ensureMaprData,
  HOSTS,
  MAPR_LOG_BYTES,
  type MaprData,
} from "./dmap_generate.ts";
import { alternate, measureOnce, median, type Sample, TIME_BIN } from "./measure.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";
import { withScratchDir } from "./scratch.ts";
import { BenchClient, BenchServer, identities, memoryMb } from "./ssh_server.ts";
import { fixed } from "./ssh_report.ts";
import { failedRow, type Row, table } from "./dmap_report.ts";
import { ensureMaprMixedData, MAPR_MIXED_BYTES } from "./dmap_generate_mixed.ts";
import { GO_SKIPPED, goAvailable, goProgram, goVersion } from "./go_peer.ts";
import { shapeCount } from "./shapes.ts";
import { BIN_DIR, display, DIST_DIR, distBuilt } from "./cases.ts";

const BENCH_DIR = import.meta.dirname ?? ".";
const DEFAULT_RUNS = 5;
const MEMORY_RUNS = 3;
const BIG_COPIES = 10;
const SERVERS = 3;
const AGG_TARGET_MBPS = 250;
const WHERE_SET_TARGET_MBPS = 150;
const SSH_TARGET_MBPS = 200;
const RSS_TARGET_MB = 150;
/** Issue 15: dmap at least 3× the Go dmap on every query, and at least as fast as awk. */
const GO_TARGET = 3;
const AWK_TARGET = 1;

/** Cases 1, 3, 4b and 5. The group columns come first so the CSV says which group a row is. */
export const AGG_QUERY =
  "from STATS select host,$cpus,count($line),sum(latencyMs),avg($goroutines)," +
  "min(currentConnections),max(lifetimeConnections) group by host,$cpus";
const WHERE_SET_QUERY = "from STATS select $route,count($line),avg(latencyMs),max(latencyMs) " +
  "where latencyMs >= 500 set $route = maskdigits(path) group by $route";
const GROUPS_QUERY = "from STATS select id,count($line),sum(v) group by id";
/** AGG_QUERY in awk: the lines the default format takes, the same CSV columns (`%f` as dmap). */
const AWK_AGG = `$1 ~ /^INFO/ && NF >= 11 && $10 == "MAPREDUCE:STATS" {
  delete kv
  for (i = 11; i <= NF; i++) { p = index($i, "="); kv[substr($i, 1, p - 1)] = substr($i, p + 1) }
  g = kv["host"] "," $5; n[g]++; s[g] += kv["latencyMs"]; r[g] += $6
  c = kv["currentConnections"] + 0; l = kv["lifetimeConnections"] + 0
  if (!(g in lo) || c < lo[g]) lo[g] = c
  if (!(g in hi) || l > hi[g]) hi[g] = l
}
END { for (g in n) printf "%s,%d,%f,%f,%f,%f\\n", g, n[g], s[g], r[g] / n[g], lo[g], hi[g] }`;

/** Group (`host,cpus`) → count. */
type Counts = Map<string, number>;

interface Setup {
  readonly base: string;
  readonly data: MaprData;
  readonly runs: number;
  /** The Go dmap runs beside ours (bench/go_peer.ts). */
  readonly go: boolean;
  /** Our dmap: dist/'s (the installed program) when built, else bin/'s. */
  readonly dmap: string;
  /** bin/'s dmap when `dmap` is dist/'s: it runs in the same rounds as cases 1 and 2. */
  readonly binDmap: string | null;
  /** Case 1's result, for the cases that must agree with it. */
  reference?: { readonly counts: Counts; readonly seconds: number };
  /** Case 5a's counts, which 5b must triple. */
  oneServer?: Counts;
}

const progress = (message: string) => console.error(`bench-dmap: ${message}`);
const mbPerS = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
const seconds = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));
const maxRss = (samples: readonly Sample[]) => Math.max(...samples.map((s) => s.rssMb));

function runCount(): number {
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? DEFAULT_RUNS);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("BENCH_RUNS must be a positive integer");
  return runs;
}

function dmapArgv(query: string, csv: string, files: readonly string[], program: string) {
  return [program, "--plain", "--query", `${query} outfile ${csv}`, ...files];
}

/**
 * bin/'s dmap beside dist/'s (none when ours is bin/): its argv, writing beside `csv`, and the
 * note for the row's checks (its median, and whether its CSV differs from dist/'s).
 */
function binArgv(s: Setup, query: string, csv: string, log: string) {
  if (s.binDmap === null) return { argv: [], note: () => Promise.resolve("") };
  const binCsv = csv.replace(/\.csv$/, "-bin.csv");
  return {
    argv: [dmapArgv(query, binCsv, [log], s.binDmap)],
    note: async (samples: readonly Sample[] | undefined) => {
      if (samples === undefined) return "";
      const same = await sortedCsv(binCsv) === await sortedCsv(csv);
      return `; bin/dmap ${fixed(seconds(samples), 3)} s${same ? "" : ", its CSV DIFFERS"}`;
    },
  };
}

/** An untimed run (warm-up, first SSH contact); its stdout, or its last stderr line as the error. */
async function check(argv: readonly string[]): Promise<string> {
  const [program = "", ...args] = argv;
  const out = await new Deno.Command(program, { args, stdin: "null" }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  if (out.success) return text(out.stdout);
  const line = text(out.stderr).split("\n").at(-1) || `exited with ${out.code}`;
  throw new Error(line);
}

/** CSV lines without the header (no value here contains a comma). */
function csvRows(text: string, header = true): string[][] {
  const lines = text.split("\n").filter((l) => l !== "");
  return lines.slice(header ? 1 : 0).map((l) => l.split(","));
}

/** `host,cpus` → count, from AGG_QUERY's CSV or the awk output. */
function countsOf(rows: readonly string[][]): Counts {
  return new Map(rows.map((r) => [`${r[0]},${r[1]}`, Number(r[2])]));
}

/** Groups where `actual` is not `factor` × `expected`, as "group: actual vs expected" texts. */
function countDiffs(actual: Counts, expected: Counts, factor = 1): string[] {
  const keys = new Set([...actual.keys(), ...expected.keys()]);
  return [...keys].filter((k) => actual.get(k) !== (expected.get(k) ?? NaN) * factor)
    .map((k) => `${k}: ${actual.get(k) ?? "missing"} vs ${(expected.get(k) ?? NaN) * factor}`);
}

async function attempt(
  data: string,
  name: string,
  target: string,
  measure: () => Promise<Row[]>,
) {
  progress(`${data}: ${name}`);
  try {
    return await measure();
  } catch (err) {
    progress(`${name} FAILED: ${err instanceof Error ? err.message : String(err)}`);
    return [failedRow(data, name, target, err)];
  }
}

/** A log the query cases (1, 2, 3) run on: mapr.log, then mapr-mixed.log (BENCH_SHAPES). */
interface MaprShape {
  readonly name: string;
  readonly log: string;
  readonly bytes: number;
  /** mapr.log: case 1's counts are what cases 4b and 5 must agree with. */
  readonly reference: boolean;
}

/** The Go dmap's command: serverless, like ours, the result in `csv`. */
function goDmapArgv(query: string, csv: string, file: string): string[] {
  return [
    goProgram("dmap"),
    "--plain",
    "--cfg",
    "none",
    "--query",
    `${query} outfile ${csv}`,
    file,
  ];
}

/** The CSV's lines sorted, or "" when the file is missing (a failed Go run exits 0). */
async function sortedCsv(path: string): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((l) => l !== "").sort().join("\n");
}

/** Case 1g/2g: the same query in the Go dmap; same CSV and at least GO_TARGET times as fast. */
async function goRow(
  shape: MaprShape,
  name: string,
  ours: readonly Sample[],
  go: readonly Sample[],
  csvs: readonly [string, string],
): Promise<Row> {
  const [ourCsv, goCsv] = [await sortedCsv(csvs[0]), await sortedCsv(csvs[1])];
  const same = ourCsv !== "" && ourCsv === goCsv;
  const ratio = seconds(go) / seconds(ours);
  return {
    data: shape.name,
    name,
    seconds: seconds(ours),
    mbPerS: mbPerS(shape.bytes, seconds(ours)),
    peer: { name: "Go dmap", seconds: seconds(go), mbPerS: mbPerS(shape.bytes, seconds(go)) },
    target: `>= ${GO_TARGET}x Go, same CSV`,
    pass: same && ratio >= GO_TARGET,
    rssMb: maxRss(ours),
    checks: (same ? "CSV identical to Go's" : "CSV DIFFERS from Go's") +
      `; Go peak RSS ${fixed(maxRss(go), 1)} MB`,
  };
}

/** Cases 1, 3 and 1g: AGG_QUERY against the same aggregation in awk and in the Go dmap. */
async function aggregate(s: Setup, shape: MaprShape): Promise<Row[]> {
  const csv = join(s.base, `agg-${shape.name}.csv`);
  const goCsv = join(s.base, `agg-${shape.name}-go.csv`);
  const dmap = dmapArgv(AGG_QUERY, csv, [shape.log], s.dmap);
  const awk = ["awk", "-F|", AWK_AGG, shape.log];
  const go = goDmapArgv(AGG_QUERY, goCsv, shape.log);
  const bin = binArgv(s, AGG_QUERY, csv, shape.log);
  await check(dmap);
  const awkRows = csvRows(await check(awk), false);
  if (s.go) await check(go);
  const all = await alternate([dmap, awk, ...s.go ? [go] : [], ...bin.argv], s.runs);
  const [ours = [], peer = []] = all;
  const goSamples = s.go ? all[2] : undefined;
  const binNote = await bin.note(all[s.go ? 3 : 2]);
  const rows = csvRows(await Deno.readTextFile(csv));
  const counts = countsOf(rows);
  if (shape.reference) s.reference = { counts, seconds: seconds(ours) };
  const diffs = countDiffs(counts, countsOf(awkRows));
  const same = new Set(awkRows.map((r) => r.join(",")));
  const identical = rows.filter((r) => same.has(r.join(","))).length;
  const rate = mbPerS(shape.bytes, seconds(ours));
  const common = { data: shape.name, seconds: seconds(ours), mbPerS: rate, rssMb: maxRss(ours) };
  const awkSeconds = seconds(peer);
  const awkRatio = awkSeconds / seconds(ours);
  const goRows = goSamples
    ? [await goRow(shape, "1g: case 1 against Go", ours, goSamples, [csv, goCsv])]
    : [];
  return [{
    name: "1: count/sum/avg/min/max group by host,$cpus",
    ...common,
    target: `>= ${AGG_TARGET_MBPS} MB/s`,
    pass: rate >= AGG_TARGET_MBPS && counts.size === HOSTS,
    checks: `${counts.size} groups (expected ${HOSTS})${binNote}`,
  }, {
    name: "3: case 1 against awk",
    ...common,
    peer: { name: "awk -F'|'", seconds: awkSeconds, mbPerS: mbPerS(shape.bytes, awkSeconds) },
    target: `>= ${AWK_TARGET}x awk, counts = awk's`,
    pass: diffs.length === 0 && awkRatio >= AWK_TARGET,
    checks: `counts equal in ${counts.size - diffs.length} of ${counts.size} groups; ` +
      `all 7 columns equal in ${identical}; awk peak RSS ${fixed(maxRss(peer), 1)} MB`,
    ...(diffs.length > 0 ? { failure: `counts differ from awk's: ${diffs.slice(0, 3)}` } : {}),
  }, ...goRows];
}

/** Cases 2 and 2g: where + set with maskdigits, and the same in the Go dmap. */
async function whereSet(s: Setup, shape: MaprShape): Promise<Row[]> {
  const csv = join(s.base, `where-set-${shape.name}.csv`);
  const goCsv = join(s.base, `where-set-${shape.name}-go.csv`);
  const dmap = dmapArgv(WHERE_SET_QUERY, csv, [shape.log], s.dmap);
  const go = goDmapArgv(WHERE_SET_QUERY, goCsv, shape.log);
  const bin = binArgv(s, WHERE_SET_QUERY, csv, shape.log);
  await check(dmap);
  if (s.go) await check(go);
  const all = await alternate([dmap, ...s.go ? [go] : [], ...bin.argv], s.runs);
  const [samples = []] = all;
  const goSamples = s.go ? all[1] : undefined;
  const binNote = await bin.note(all[s.go ? 2 : 1]);
  const rows = csvRows(await Deno.readTextFile(csv));
  const lines = rows.reduce((sum, r) => sum + Number(r[1]), 0);
  const rate = mbPerS(shape.bytes, seconds(samples));
  const goRows = goSamples
    ? [await goRow(shape, "2g: case 2 against Go", samples, goSamples, [csv, goCsv])]
    : [];
  return [{
    data: shape.name,
    name: "2: where latencyMs >= 500, set $route = maskdigits(path)",
    seconds: seconds(samples),
    mbPerS: rate,
    target: `>= ${WHERE_SET_TARGET_MBPS} MB/s`,
    pass: rate >= WHERE_SET_TARGET_MBPS && rows.length > 0,
    rssMb: maxRss(samples),
    checks: `${rows.length} routes, ${lines} lines counted${binNote}`,
  }, ...goRows];
}

/** Case 4a: one group per line, 1,000,000 groups; one run (it takes a while). */
async function manyGroups(s: Setup): Promise<Row[]> {
  const csv = join(s.base, "groups.csv");
  const sample = await measureOnce(dmapArgv(GROUPS_QUERY, csv, [s.data.groups], s.dmap));
  const rows = csvRows(await Deno.readTextFile(csv)).length;
  const bytes = (await Deno.stat(s.data.groups)).size;
  return [{
    data: "mapr-groups.log",
    name: `4a: ${DISTINCT_GROUPS.toLocaleString("en")} groups (mapr-groups.log, ${
      fixed(bytes / 1e6, 0)
    } MB)`,
    seconds: sample.seconds,
    mbPerS: mbPerS(bytes, sample.seconds),
    target: "completes",
    pass: rows === DISTINCT_GROUPS,
    rssMb: sample.rssMb,
    checks: `${rows.toLocaleString("en")} rows in the CSV (expected ${
      DISTINCT_GROUPS.toLocaleString("en")
    }); 1 run`,
  }];
}

/** Case 4b: AGG_QUERY over mapr.log given BIG_COPIES times (1 GB, 50 groups). */
async function bigInput(s: Setup): Promise<Row[]> {
  const csv = join(s.base, "big.csv");
  const dmap = dmapArgv(AGG_QUERY, csv, Array(BIG_COPIES).fill(s.data.log), s.dmap);
  const [samples = []] = await alternate([dmap], MEMORY_RUNS);
  const diffs = countDiffs(countsOf(csvRows(await Deno.readTextFile(csv))), reference(s), 10);
  const rss = maxRss(samples);
  return [{
    data: "mapr.log",
    name: `4b: case 1 on ${BIG_COPIES} × mapr.log (1 GB, ${HOSTS} groups)`,
    seconds: seconds(samples),
    mbPerS: mbPerS(MAPR_LOG_BYTES * BIG_COPIES, seconds(samples)),
    target: `peak RSS < ${RSS_TARGET_MB} MB`,
    pass: rss < RSS_TARGET_MB && diffs.length === 0,
    rssMb: rss,
    checks: (diffs.length === 0 ? "counts = 10 × case 1" : `COUNTS DIFFER: ${diffs.slice(0, 3)}`) +
      `; ${MEMORY_RUNS} runs`,
  }];
}

function reference(s: Setup): Counts {
  if (s.reference === undefined) throw new Error("case 1 failed, nothing to compare with");
  return s.reference.counts;
}

/** Case 5: AGG_QUERY over SSH against one dserver, then three reading the same file. */
async function overSsh(s: Setup): Promise<Row[]> {
  const ids = await identities();
  const client = await BenchClient.create(s.base, ids);
  const servers: BenchServer[] = [];
  try {
    for (let i = 0; i < SERVERS; i++) {
      servers.push(await BenchServer.start(s.base, ids, client.publicKey));
    }
    const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
    const one = await attempt(
      "mapr.log",
      "5a: case 1 over SSH, 1 dserver",
      `>= ${SSH_TARGET_MBPS} MB/s`,
      () => sshRun(s, client, servers.slice(0, 1), addresses.slice(0, 1)),
    );
    const three = await attempt(
      "mapr.log",
      `5b: case 1 over SSH, ${SERVERS} dservers`,
      `counts = ${SERVERS} × 1 dserver`,
      () => sshRun(s, client, servers, addresses),
    );
    return [...one, ...three];
  } finally {
    for (const server of servers) await server.stop();
  }
}

async function sshRun(
  s: Setup,
  client: BenchClient,
  servers: readonly BenchServer[],
  addresses: readonly string[],
): Promise<Row[]> {
  const csv = join(s.base, `ssh-${servers.length}.csv`);
  const dmap = dmapArgv(AGG_QUERY, csv, [s.data.log], await client.launcher("dmap", addresses));
  await check(dmap); // also the first contact: trusts and records the host keys
  const [samples = []] = await alternate([dmap], s.runs);
  const counts = countsOf(csvRows(await Deno.readTextFile(csv)));
  const hwm = Math.max(...servers.map((server) => memoryMb(server.pid).hwm));
  const time = seconds(samples);
  const bytes = MAPR_LOG_BYTES * servers.length;
  const common = {
    data: "mapr.log",
    seconds: time,
    mbPerS: mbPerS(bytes, time),
    rssMb: maxRss(samples),
  };
  const serverRss = `; dserver peak RSS ${fixed(hwm, 1)} MB`;
  if (servers.length === 1) {
    s.oneServer = counts;
    const diffs = countDiffs(counts, reference(s));
    const local = s.reference?.seconds ?? NaN;
    return [{
      name: "5a: case 1 over SSH, 1 dserver",
      ...common,
      peer: { name: "serverless (case 1)", seconds: local, mbPerS: mbPerS(bytes, local) },
      target: `>= ${SSH_TARGET_MBPS} MB/s`,
      pass: common.mbPerS >= SSH_TARGET_MBPS && diffs.length === 0,
      checks: (diffs.length === 0 ? "counts = serverless" : `COUNTS DIFFER: ${diffs.slice(0, 3)}`) +
        serverRss,
    }];
  }
  const diffs = countDiffs(counts, s.oneServer ?? reference(s), servers.length);
  return [{
    name: `5b: case 1 over SSH, ${servers.length} dservers`,
    ...common,
    target: `counts = ${servers.length} × 1 dserver`,
    pass: diffs.length === 0,
    checks: `${counts.size - diffs.length} of ${counts.size} groups at ${servers.length}×` +
      `${s.oneServer ? "" : " serverless (5a failed)"}; MB/s counts every server's copy` +
      serverRss,
    ...(diffs.length > 0 ? { failure: `merged counts not ${servers.length}×: ${diffs[0]}` } : {}),
  }];
}

async function report(s: Setup, rows: readonly Row[], load: number[], started: number) {
  const minutes = (performance.now() - started) / 60_000;
  const awk = (await check(["awk", "-W", "version"]).catch(() => "awk")).split("\n")[0];
  const misses = rows.filter((r) => !r.pass).length;
  return [
    `## MapReduce benchmark ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(s.runs, load),
    `- input: mapr.log, ${MAPR_LOG_BYTES.toLocaleString("en")} B (40% STATS lines, ${HOSTS} ` +
    `hosts); MB/s = input bytes / 10^6 / median s; awk is ${awk}; ${misses} target(s) missed; ` +
    `dmap bench took ${minutes.toFixed(1)} min`,
    `- ${s.go ? `Go: ${await goVersion()}, serverless like ours (1g, 2g)` : GO_SKIPPED}; ` +
    "mapr-mixed.log (unless BENCH_SHAPES=1): the same hosts and fields, shuffled, extra fields, " +
    "50% lines with UTF-8 text, 2% over 4 KB; dmap/peer = peer s / dmap s",
    `- queries (each run adds \`outfile\`): 1, 1g, 3, 4b, 5: \`${AGG_QUERY}\`; ` +
    `2, 2g: \`${WHERE_SET_QUERY}\`; 4a: \`${GROUPS_QUERY}\``,
    `- dmap: ${display([s.dmap])}${
      s.binDmap === null ? "" : ` (the installed program); bin/dmap in the same rounds of 1 and 2`
    }`,
    "",
    table(rows),
  ].join("\n");
}

async function allCases(s: Setup): Promise<Row[]> {
  const agg = `>= ${AGG_TARGET_MBPS} MB/s`;
  const whereTarget = `>= ${WHERE_SET_TARGET_MBPS} MB/s`;
  const shapes: MaprShape[] = [
    { name: "mapr.log", log: s.data.log, bytes: MAPR_LOG_BYTES, reference: true },
  ];
  if (shapeCount() === 2) {
    const log = ensureMaprMixedData(join(BENCH_DIR, "data"));
    shapes.push({ name: "mapr-mixed.log", log, bytes: MAPR_MIXED_BYTES, reference: false });
  }
  const rows: Row[] = [];
  for (const shape of shapes) {
    const group = "1+3: group by host,$cpus, dmap vs awk" + (s.go ? " and Go" : "");
    rows.push(...await attempt(shape.name, group, agg, () => aggregate(s, shape)));
    rows.push(
      ...await attempt(shape.name, "2: where + set", whereTarget, () => whereSet(s, shape)),
    );
  }
  const groups = "mapr-groups.log";
  rows.push(...await attempt(groups, "4a: 1,000,000 groups", "completes", () => manyGroups(s)));
  const rss = `< ${RSS_TARGET_MB} MB`;
  rows.push(...await attempt("mapr.log", "4b: 1 GB, 50 groups", rss, () => bigInput(s)));
  const ssh = `>= ${SSH_TARGET_MBPS} MB/s`;
  rows.push(...await attempt("mapr.log", "5: over SSH", ssh, () => overSsh(s)));
  return rows;
}

/** Runs every dmap case; servers, clients and temp files go away on failure and interrupt. */
export async function runDmapBench(): Promise<void> {
  const started = performance.now();
  const load = Deno.loadavg();
  const runs = runCount();
  if (!(await Deno.stat(TIME_BIN).catch(() => null))) {
    throw new Error(`${TIME_BIN} is missing (make system-deps)`);
  }
  const data = ensureMaprData(join(BENCH_DIR, "data"));
  await withScratchDir("dtail-bench-dmap-", async (base) => {
    if (!goAvailable) progress(GO_SKIPPED);
    const dist = await distBuilt();
    const dmap = join(dist ? DIST_DIR : BIN_DIR, "dmap");
    const binDmap = dist ? join(BIN_DIR, "dmap") : null;
    const setup: Setup = { base, data, runs, go: goAvailable, dmap, binDmap };
    const text = await report(setup, await allCases(setup), load, started);
    console.log(text);
    appendHistory(text);
    progress(`results appended to ${HISTORY_FILE}`);
  });
}

if (import.meta.main) await runDmapBench();
