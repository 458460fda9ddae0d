/**
 * `make bench-dmap` (and the end of `make bench`): `dmap` on the generated MapReduce log
 * (bench/dmap_generate.ts), serverless against an `awk` program and over SSH against local
 * dservers (bench/ssh_server.ts), with result checks and peak memory. Prints a Markdown table and
 * appends it to bench/results/history.md. BENCH_RUNS sets the timed runs per case (default 5).
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
import { measureOnce, median, type Sample, TIME_BIN } from "./measure.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";
import { withScratchDir } from "./scratch.ts";
import { BenchClient, BenchServer, identities, memoryMb } from "./ssh_server.ts";
import { fixed } from "./ssh_report.ts";

const BENCH_DIR = import.meta.dirname ?? ".";
const DMAP = join(BENCH_DIR, "..", "bin", "dmap");
const DEFAULT_RUNS = 5;
const MEMORY_RUNS = 3;
const BIG_COPIES = 10;
const SERVERS = 3;
const AGG_TARGET_MBPS = 250;
const WHERE_SET_TARGET_MBPS = 150;
const SSH_TARGET_MBPS = 200;
const RSS_TARGET_MB = 150;

/** Cases 1, 3, 4b and 5. The group columns come first so the CSV says which group a row is. */
const AGG_QUERY = "from STATS select host,$cpus,count($line),sum(latencyMs),avg($goroutines)," +
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

interface Row {
  readonly name: string;
  readonly seconds: number;
  readonly mbPerS: number;
  readonly peer?: { readonly name: string; readonly seconds: number; readonly mbPerS: number };
  readonly target: string;
  readonly pass: boolean;
  readonly rssMb: number;
  readonly checks: string;
  readonly failure?: string;
}

/** Group (`host,cpus`) → count. */
type Counts = Map<string, number>;

interface Setup {
  readonly base: string;
  readonly data: MaprData;
  readonly runs: number;
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

function dmapArgv(query: string, csv: string, files: readonly string[], program = DMAP) {
  return [program, "--plain", "--query", `${query} outfile ${csv}`, ...files];
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

/** Timed runs of each command, alternating, the order rotated every round like bench.ts pairs. */
async function alternate(argvs: readonly (readonly string[])[], runs: number) {
  const samples: Sample[][] = argvs.map(() => []);
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < argvs.length; k++) {
      const i = (k + round) % argvs.length;
      samples[i]!.push(await measureOnce(argvs[i]!));
    }
  }
  return samples;
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

function failedRow(name: string, target: string, err: unknown): Row {
  const failure = err instanceof Error ? err.message : String(err);
  return { name, seconds: NaN, mbPerS: NaN, target, pass: false, rssMb: NaN, checks: "", failure };
}

async function attempt(name: string, target: string, measure: () => Promise<Row[]>) {
  progress(name);
  try {
    return await measure();
  } catch (err) {
    progress(`${name} FAILED: ${err instanceof Error ? err.message : String(err)}`);
    return [failedRow(name, target, err)];
  }
}

/** Cases 1 and 3: AGG_QUERY against the same aggregation in awk, alternating. */
async function aggregate(s: Setup): Promise<Row[]> {
  const csv = join(s.base, "agg.csv");
  const dmap = dmapArgv(AGG_QUERY, csv, [s.data.log]);
  const awk = ["awk", "-F|", AWK_AGG, s.data.log];
  await check(dmap);
  const awkRows = csvRows(await check(awk), false);
  const [ours = [], peer = []] = await alternate([dmap, awk], s.runs);
  const rows = csvRows(await Deno.readTextFile(csv));
  const counts = countsOf(rows);
  s.reference = { counts, seconds: seconds(ours) };
  const diffs = countDiffs(counts, countsOf(awkRows));
  const same = new Set(awkRows.map((r) => r.join(",")));
  const identical = rows.filter((r) => same.has(r.join(","))).length;
  const rate = mbPerS(MAPR_LOG_BYTES, seconds(ours));
  const common = { seconds: seconds(ours), mbPerS: rate, rssMb: maxRss(ours) };
  const awkSeconds = seconds(peer);
  return [{
    name: "1: count/sum/avg/min/max group by host,$cpus",
    ...common,
    target: `>= ${AGG_TARGET_MBPS} MB/s`,
    pass: rate >= AGG_TARGET_MBPS && counts.size === HOSTS,
    checks: `${counts.size} groups (expected ${HOSTS})`,
  }, {
    name: "3: case 1 against awk",
    ...common,
    peer: { name: "awk -F'|'", seconds: awkSeconds, mbPerS: mbPerS(MAPR_LOG_BYTES, awkSeconds) },
    target: "counts = awk's",
    pass: diffs.length === 0,
    checks: `counts equal in ${counts.size - diffs.length} of ${counts.size} groups; ` +
      `all 7 columns equal in ${identical}; awk peak RSS ${fixed(maxRss(peer), 1)} MB`,
    ...(diffs.length > 0 ? { failure: `counts differ from awk's: ${diffs.slice(0, 3)}` } : {}),
  }];
}

/** Case 2: where + set with maskdigits. */
async function whereSet(s: Setup): Promise<Row[]> {
  const csv = join(s.base, "where-set.csv");
  const dmap = dmapArgv(WHERE_SET_QUERY, csv, [s.data.log]);
  await check(dmap);
  const [samples = []] = await alternate([dmap], s.runs);
  const rows = csvRows(await Deno.readTextFile(csv));
  const lines = rows.reduce((sum, r) => sum + Number(r[1]), 0);
  const rate = mbPerS(MAPR_LOG_BYTES, seconds(samples));
  return [{
    name: "2: where latencyMs >= 500, set $route = maskdigits(path)",
    seconds: seconds(samples),
    mbPerS: rate,
    target: `>= ${WHERE_SET_TARGET_MBPS} MB/s`,
    pass: rate >= WHERE_SET_TARGET_MBPS && rows.length > 0,
    rssMb: maxRss(samples),
    checks: `${rows.length} routes, ${lines} lines counted`,
  }];
}

/** Case 4a: one group per line, 1,000,000 groups; one run (it takes a while). */
async function manyGroups(s: Setup): Promise<Row[]> {
  const csv = join(s.base, "groups.csv");
  const sample = await measureOnce(dmapArgv(GROUPS_QUERY, csv, [s.data.groups]));
  const rows = csvRows(await Deno.readTextFile(csv)).length;
  const bytes = (await Deno.stat(s.data.groups)).size;
  return [{
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
  const dmap = dmapArgv(AGG_QUERY, csv, Array(BIG_COPIES).fill(s.data.log));
  const [samples = []] = await alternate([dmap], MEMORY_RUNS);
  const diffs = countDiffs(countsOf(csvRows(await Deno.readTextFile(csv))), reference(s), 10);
  const rss = maxRss(samples);
  return [{
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
      "5a: case 1 over SSH, 1 dserver",
      `>= ${SSH_TARGET_MBPS} MB/s`,
      () => sshRun(s, client, servers.slice(0, 1), addresses.slice(0, 1)),
    );
    const three = await attempt(
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
  const common = { seconds: time, mbPerS: mbPerS(bytes, time), rssMb: maxRss(samples) };
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

const escape = (text: string) => text.replaceAll("|", "\\|").replaceAll("\n", " ");

function table(rows: readonly Row[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  const header = ["Case", "dmap MB/s (s)", "Peer", "Peer MB/s (s)", "dmap/peer", "Target"];
  header.push("Result", "dmap peak RSS MB", "Checks");
  const verdict = (r: Row) =>
    r.failure !== undefined
      ? `**FAILED**: ${escape(r.failure).slice(0, 300)}`
      : r.pass
      ? "PASS"
      : "**MISS**";
  return [
    line(header),
    line(header.map(() => "---")),
    ...[...rows].sort((a, b) => a.name.localeCompare(b.name)).map((r) =>
      line([
        escape(r.name),
        `${fixed(r.mbPerS, 0)} (${fixed(r.seconds, 3)})`,
        r.peer ? `\`${escape(r.peer.name)}\`` : "",
        r.peer ? `${fixed(r.peer.mbPerS, 0)} (${fixed(r.peer.seconds, 3)})` : "",
        r.peer ? `${fixed(r.mbPerS / r.peer.mbPerS, 2)}x` : "",
        r.target,
        verdict(r),
        fixed(r.rssMb, 1),
        escape(r.checks),
      ])
    ),
  ].join("\n");
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
    `- queries (each run adds \`outfile\`): 1, 3, 4b, 5: \`${AGG_QUERY}\`; ` +
    `2: \`${WHERE_SET_QUERY}\`; 4a: \`${GROUPS_QUERY}\``,
    "",
    table(rows),
  ].join("\n");
}

async function allCases(s: Setup): Promise<Row[]> {
  const agg = `>= ${AGG_TARGET_MBPS} MB/s`;
  return [
    ...await attempt("1+3: group by host,$cpus, dmap vs awk", agg, () => aggregate(s)),
    ...await attempt("2: where + set", `>= ${WHERE_SET_TARGET_MBPS} MB/s`, () => whereSet(s)),
    ...await attempt("4a: 1,000,000 groups", "completes", () => manyGroups(s)),
    ...await attempt("4b: 1 GB, 50 groups", `< ${RSS_TARGET_MB} MB`, () => bigInput(s)),
    ...await attempt("5: over SSH", `>= ${SSH_TARGET_MBPS} MB/s`, () => overSsh(s)),
  ];
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
    const setup: Setup = { base, data, runs };
    const text = await report(setup, await allCases(setup), load, started);
    console.log(text);
    appendHistory(text);
    progress(`results appended to ${HISTORY_FILE}`);
  });
}

if (import.meta.main) await runDmapBench();
