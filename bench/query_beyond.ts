/**
 * `make bench-query` (and a part of `make bench`), issue 17's targets:
 *
 * - serverless `dmap` count/sum/avg grouped by two fields on a generated `json` and `logfmt` log,
 *   at least 150 MB/s, the groups checked against the sums made while writing the logs; on the
 *   json log beside `jq` doing the same aggregation (bench/query_checks.ts), whose groups must
 *   equal dmap's (jq cannot read logfmt; mlr is not run);
 * - `dcat --plain --since 10m` on a generated 1 GB log (RFC 3339 times over the day before now,
 *   the last ten minutes at its end): the time to the first byte on stdout (the process is then
 *   killed) under 0.1 s, the whole run's time and its output checked, beside an awk that finds
 *   the same lines by reading every line. A `dcat` that refuses `--since` gives an "n/a" row.
 *
 * The logs go to a scratch directory in TMPDIR that is removed at the end (BENCH_QUERY_KEEP=1
 * moves them to bench/data/ first). Knobs: BENCH_QUERY_RUNS (else BENCH_RUNS, default 5) timed
 * runs per case, BENCH_QUERY_MB (default 100) per format log, BENCH_QUERY_SINCE_MB (default 1000)
 * for the timed log; BENCH_QUERY=0 skips the part, BENCH_QUERY_HISTORY=0 prints without
 * appending to bench/results/history.md. Alone: `deno run -A bench/query_beyond.ts`.
 */
import { join } from "node:path";
import { alternate, type Sample, TIME_BIN } from "./measure.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";
import { withScratchDir } from "./scratch.ts";
import { fixed } from "./ssh_report.ts";
import {
  type LineFormat,
  TIMED_LINE_BYTES,
  type TimedLog,
  writeFormatLog,
  writeTimedLog,
} from "./query_generate.ts";
import {
  type Aggregation,
  AWK_SINCE,
  awkCutoff,
  groupDiffs,
  jqAggregateProgram,
  parseGroups,
  sinceWindowMiss,
  totalsAsGroups,
} from "./query_checks.ts";
import {
  formatPasses,
  type FormatRow,
  formatTable,
  median,
  sinceMisses,
  type SinceRow,
  sinceTable,
} from "./query_report.ts";

const BENCH_DIR = import.meta.dirname ?? ".";
const ROOT = join(BENCH_DIR, "..");
const DMAP = join(ROOT, "bin", "dmap");
const DCAT = join(ROOT, "bin", "dcat");
const DIST_DCAT = join(ROOT, "dist", "dcat");
const KEEP_DIR = join(BENCH_DIR, "data");
const SCRATCH_PREFIX = "dtail-bench-query-";
const FORMAT_TARGET_MBPS = 150;
const FIRST_LINE_TARGET_S = 0.1;
const SINCE = "10m";
const WINDOW_MS = 10 * 60_000;
const AGGREGATION: Aggregation = { group: ["a", "b"], sum: "x", avg: "y" };
const JQ_PROGRAM = jqAggregateProgram(AGGREGATION);
const SINCE_UNAVAILABLE = "n/a: --since not available";
const BIN_NO_TARGET = "the sources through deno run; the installed dist/dcat has the target";

const progress = (message: string) => console.error(`bench-query: ${message}`);
const seconds = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));
const maxRss = (samples: readonly Sample[]) => Math.max(...samples.map((s) => s.rssMb));
const message = (err: unknown) => err instanceof Error ? err.message : String(err);
/** A path in the checkout relative to it, one in the scratch directory as its file name. */
const short = (arg: string) =>
  arg.startsWith(`${ROOT}/`)
    ? arg.slice(ROOT.length + 1)
    : arg.includes(`/${SCRATCH_PREFIX}`)
    ? arg.split("/").at(-1)!
    : arg;
const display = (argv: readonly string[]) => argv.map(short).join(" ");

interface Settings {
  readonly runs: number;
  readonly mb: number;
  readonly sinceMb: number;
  readonly keep: boolean;
}

function positive(name: string, fallback: number, integer: boolean): number {
  const text = Deno.env.get(name);
  const value = text === undefined || text === "" ? fallback : Number(text);
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(`${name} must be a positive ${integer ? "integer" : "number"}, not ${text}`);
  }
  return value;
}

function settings(): Settings {
  const runs = Deno.env.get("BENCH_QUERY_RUNS") ? "BENCH_QUERY_RUNS" : "BENCH_RUNS";
  return {
    runs: positive(runs, 5, true),
    mb: positive("BENCH_QUERY_MB", 100, false),
    sinceMb: positive("BENCH_QUERY_SINCE_MB", 1000, false),
    keep: Deno.env.get("BENCH_QUERY_KEEP") === "1",
  };
}

/** An untimed run: its stdout, or its last stderr line as the error. */
async function output(argv: readonly string[], env?: Record<string, string>): Promise<string> {
  const [program = "", ...args] = argv;
  const out = await new Deno.Command(program, { args, stdin: "null", ...env ? { env } : {} })
    .output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes).trim();
  if (out.success) return text(out.stdout);
  throw new Error(`${short(program)}: ${text(out.stderr).split("\n").at(-1) || out.code}`);
}

const toolVersion = (argv: readonly string[]) =>
  output(argv).then((v) => v.split("\n")[0] ?? "", () => null);

/** Moves a log to bench/data/ (BENCH_QUERY_KEEP=1) before the scratch directory goes away. */
async function keep(s: Settings, path: string): Promise<void> {
  if (!s.keep) return;
  const to = join(KEEP_DIR, path.split("/").at(-1)!);
  await Deno.mkdir(KEEP_DIR, { recursive: true });
  await Deno.rename(path, to).catch(() => Deno.copyFile(path, to));
  progress(`kept ${to}`);
}

/** dmap on one format's log, and jq beside it on json; the groups checked. */
async function formatRow(base: string, format: LineFormat, s: Settings): Promise<FormatRow> {
  const log = join(base, `query-${format}.log`);
  progress(`writing ${fixed(s.mb, 0)} MB of ${format}`);
  const { bytes, totals } = await writeFormatLog(log, format, s.mb * 1e6);
  const csv = join(base, `query-${format}.csv`);
  const query = `select a,b,count($line),sum(x),avg(y) group by a,b logformat ${format}`;
  const dmap = [DMAP, "--plain", "--query", `${query} outfile ${csv}`, log];
  const jq = format === "json" ? ["jq", "-n", "-r", JQ_PROGRAM, log] : null;
  const expected = totalsAsGroups(totals);
  const checks: string[] = [];
  progress(`${format}: bin/dmap --query '${query}'${jq ? " and jq" : ""}`);
  await output(dmap); // warm-up
  const ours = parseGroups(await Deno.readTextFile(csv), AGGREGATION.group.length, true);
  const oursDiffs = groupDiffs(ours, expected);
  let jqDiffs: string[] = [];
  if (jq) {
    jqDiffs = groupDiffs(parseGroups(await output(jq), AGGREGATION.group.length, false), ours);
    checks.push(jqDiffs.length === 0 ? "jq's groups = dmap's" : `jq DIFFERS: ${jqDiffs[0]}`);
  }
  const [dmapSamples = [], jqSamples] = await alternate(jq ? [dmap, jq] : [dmap], s.runs);
  const csvText = await Deno.readTextFile(csv);
  const last = groupDiffs(parseGroups(csvText, AGGREGATION.group.length, true), expected);
  const diffs = [...oursDiffs, ...last];
  checks.unshift(
    diffs.length === 0
      ? `${ours.size} groups = generated (count, sum, avg)`
      : `groups DIFFER from generated: ${diffs[0]}`,
  );
  await keep(s, log);
  return {
    format,
    query,
    bytes,
    seconds: seconds(dmapSamples),
    rssMb: maxRss(dmapSamples),
    jq: jqSamples
      ? { name: "jq", seconds: seconds(jqSamples), rssMb: maxRss(jqSamples) }
      : "n/a: jq cannot read logfmt",
    targetMbPerS: FORMAT_TARGET_MBPS,
    ok: diffs.length === 0 && jqDiffs.length === 0,
    checks: checks.join("; "),
  };
}

function failedFormat(format: LineFormat, bytes: number, err: unknown): FormatRow {
  return {
    format,
    query: `… logformat ${format}`,
    bytes,
    seconds: NaN,
    rssMb: NaN,
    jq: "-",
    targetMbPerS: FORMAT_TARGET_MBPS,
    ok: false,
    checks: "",
    failure: message(err),
  };
}

/** One run read by the bench: the first byte's time, and the whole run's unless `kill`. */
interface Run {
  readonly first: number;
  readonly whole: number;
  readonly bytes: number;
  readonly code: number;
  readonly stderr: string;
  readonly spawnMs: number;
  readonly exitMs: number;
  readonly out?: Uint8Array;
}

async function timedRun(
  argv: readonly string[],
  options: { kill?: boolean; keep?: boolean; env?: Record<string, string> } = {},
): Promise<Run> {
  const [program = "", ...args] = argv;
  const spawnMs = Date.now();
  const start = performance.now();
  const child = new Deno.Command(program, {
    args,
    ...options.env ? { env: options.env } : {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const chunks: Uint8Array[] = [];
  let first = NaN;
  let bytes = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    if (Number.isNaN(first)) first = (performance.now() - start) / 1000;
    bytes += r.value.length;
    if (options.keep) chunks.push(r.value);
    if (options.kill) {
      child.kill("SIGKILL");
      await reader.cancel();
      break;
    }
  }
  const status = await child.status;
  const whole = options.kill ? NaN : (performance.now() - start) / 1000;
  return {
    first,
    whole,
    bytes,
    code: status.code,
    stderr: await stderr,
    spawnMs,
    exitMs: Date.now(),
    ...options.keep ? { out: concat(chunks, bytes) } : {},
  };
}

function concat(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  const all = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/** A run that must have succeeded (a killed run is not judged by its exit code). */
function succeeded(run: Run, argv: readonly string[], killed = false): Run {
  if ((killed && !Number.isNaN(run.first)) || run.code === 0) return run;
  const why = run.stderr.trim().split("\n").at(-1) || `exit code ${run.code}`;
  throw new Error(`${display(argv.slice(0, 1))}: ${why}`);
}

/** The log's last `bytes` bytes equal `out`. */
async function isTail(log: TimedLog, out: Uint8Array): Promise<boolean> {
  using file = await Deno.open(log.path);
  await file.seek(log.bytes - out.length, Deno.SeekMode.Start);
  const tail = new Uint8Array(out.length);
  for (let at = 0; at < tail.length;) {
    const n = await file.read(tail.subarray(at));
    if (n === null) return false;
    at += n;
  }
  return tail.every((b, i) => b === out[i]);
}

const layout = (log: TimedLog) => ({ ...log, lineBytes: TIMED_LINE_BYTES });
const windowMiss = (log: TimedLog, run: Run) =>
  sinceWindowMiss(layout(log), run.bytes, WINDOW_MS, run.spawnMs, run.exitMs);

/**
 * `<program> --plain --since 10m`: a checked run (is the flag there?), then `runs` rounds of a run
 * killed at its first byte, a whole run, and (with `awk`) the awk scan; every whole run checked.
 */
async function sinceRow(
  log: TimedLog,
  program: string,
  s: Settings,
  awk: boolean,
  target: Pick<SinceRow, "targetSeconds" | "noTarget"> = { targetSeconds: FIRST_LINE_TARGET_S },
): Promise<SinceRow> {
  const argv = [program, "--plain", "--since", SINCE, log.path];
  const name = display(argv);
  const base = { name, ...target };
  progress(`${name}${awk ? " and awk" : ""}`);
  const check = await timedRun(argv, { keep: true });
  if (check.code !== 0 && /unknown flag.*since/i.test(check.stderr)) {
    progress(`${short(program)} refuses --since: ${check.stderr.trim().split("\n").at(-1)}`);
    return {
      ...base,
      firstLine: [],
      whole: NaN,
      ok: false,
      checks: "",
      unavailable: SINCE_UNAVAILABLE,
    };
  }
  succeeded(check, argv);
  const misses = [windowMiss(log, check)];
  if (!(await isTail(log, check.out!))) misses.push("output is not the log's tail");
  const firstLine: number[] = [];
  const whole: number[] = [];
  const peer = { first: [] as number[], whole: [] as number[], lines: [] as number[] };
  const awkArgv = (cutoff: string) => ["awk", "-v", `since=${cutoff}`, AWK_SINCE, log.path];
  for (let round = 0; round < s.runs; round++) {
    firstLine.push(succeeded(await timedRun(argv, { kill: true }), argv, true).first);
    const run = succeeded(await timedRun(argv), argv);
    whole.push(run.whole);
    misses.push(windowMiss(log, run));
    if (!awk) continue;
    const scan = awkArgv(awkCutoff(Date.now() - WINDOW_MS));
    const peerRun = succeeded(await timedRun(scan, { env: { LC_ALL: "C" } }), scan);
    peer.first.push(peerRun.first);
    peer.whole.push(peerRun.whole);
    peer.lines.push(peerRun.bytes / TIMED_LINE_BYTES);
    misses.push(windowMiss(log, peerRun)?.replace(/^/, "awk: ") ?? null);
  }
  const found = misses.filter((m) => m !== null);
  const lines = check.bytes / TIMED_LINE_BYTES;
  return {
    ...base,
    firstLine,
    whole: median(whole),
    ...(awk
      ? {
        peer: {
          name: `awk -v since=<now-10m> '${AWK_SINCE}' ${short(log.path)}`,
          firstLine: median(peer.first),
          whole: median(peer.whole),
        },
      }
      : {}),
    ok: found.length === 0,
    checks:
      (found.length === 0
        ? `every run printed the log's tail from the first line in the last 10 min ` +
          `(${lines.toLocaleString("en")} of ${log.lines.toLocaleString("en")} lines)`
        : `WRONG: ${found[0]}`) +
      (awk ? `; awk printed ${median(peer.lines).toLocaleString("en")} lines (median)` : ""),
  };
}

/** `<dcat> --plain <log>` killed at its first byte: start-up and the first read, the floor. */
async function floorRow(log: TimedLog, s: Settings, program = DCAT): Promise<SinceRow> {
  const argv = [program, "--plain", log.path];
  progress(`${display(argv)} (start-up floor)`);
  const firstLine: number[] = [];
  for (let round = 0; round < s.runs; round++) {
    firstLine.push(succeeded(await timedRun(argv, { kill: true }), argv, true).first);
  }
  return {
    name: display(argv),
    firstLine,
    whole: NaN,
    targetSeconds: null,
    ok: true,
    checks: "no --since: the start-up and first read of any dcat, killed at its first byte",
  };
}

function failedSince(name: string, err: unknown): SinceRow {
  const row = { name, firstLine: [], whole: NaN, targetSeconds: FIRST_LINE_TARGET_S, ok: false };
  return { ...row, checks: "", failure: message(err) };
}

async function attempt<T>(what: string, measure: () => Promise<T>, failed: (e: unknown) => T) {
  try {
    return await measure();
  } catch (err) {
    progress(`${what} FAILED: ${message(err)}`);
    return failed(err);
  }
}

async function sinceRows(base: string, s: Settings): Promise<{ rows: SinceRow[]; log?: TimedLog }> {
  const path = join(base, "since.log");
  progress(`writing ${fixed(s.sinceMb, 0)} MB of timed lines`);
  const log = await writeTimedLog(path, s.sinceMb * 1e6, Date.now());
  const rows: SinceRow[] = [];
  const ours = `bin/dcat --plain --since ${SINCE}`;
  // The target is the installed program's (dist/); bin/ adds `deno run`'s loading of the sources.
  const hasDist = await Deno.stat(DIST_DCAT).catch(() => null) !== null;
  const binTarget = hasDist ? { targetSeconds: null, noTarget: BIN_NO_TARGET } : undefined;
  rows.push(
    await attempt(ours, () => sinceRow(log, DCAT, s, true, binTarget), (e) => failedSince(ours, e)),
  );
  if (hasDist) {
    const dist = `dist/dcat --plain --since ${SINCE}`;
    rows.push(
      await attempt(dist, () => sinceRow(log, DIST_DCAT, s, false), (e) => failedSince(dist, e)),
    );
  }
  rows.push(await attempt("floor", () => floorRow(log, s), (e) => failedSince("bin/dcat", e)));
  if (hasDist) {
    const floor = () => floorRow(log, s, DIST_DCAT);
    rows.push(await attempt("dist floor", floor, (e) => failedSince("dist/dcat", e)));
  }
  await keep(s, path);
  return { rows, log };
}

async function report(
  s: Settings,
  formats: readonly FormatRow[],
  since: { rows: SinceRow[]; log?: TimedLog },
  load: number[],
  started: number,
): Promise<string> {
  const minutes = (performance.now() - started) / 60_000;
  const misses = formats.filter((r) => !formatPasses(r)).length + sinceMisses(since.rows);
  const na = since.rows.filter((r) => r.unavailable !== undefined).length;
  const jq = (await toolVersion(["jq", "--version"])) ?? "not installed";
  const mlr = await toolVersion(["mlr", "--version"]);
  const awk = (await toolVersion(["awk", "-W", "version"])) ?? "awk";
  const log = since.log;
  return [
    `## Query benchmark (json, logfmt, --since) ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(s.runs, load),
    `- ${misses} target(s) missed${na > 0 ? `, ${na} not measured (${SINCE_UNAVAILABLE})` : ""}; ` +
    `query bench took ${minutes.toFixed(1)} min`,
    `- dmap: serverless, \`--plain\`, each run adds \`outfile\`; MB/s = log bytes / 10^6 / ` +
    `median s; jq (${jq}): \`jq -n -r '${JQ_PROGRAM}'\` on the json log, its groups checked ` +
    "against dmap's; jq s / dmap s > 1: dmap is faster; jq cannot read logfmt",
    `- mlr: ${mlr === null ? "not installed, no column" : `${mlr} installed, not run (no column)`}`,
    log
      ? `- --since: ${log.lines.toLocaleString("en")} lines of ${TIMED_LINE_BYTES} B ` +
        `(${fixed(log.bytes / 1e6, 0)} MB), RFC 3339 UTC times with ms over the day before ` +
        "the bench started, written just before the runs; the window is about 1/144 of the log. " +
        "First line: from spawn to the first byte on stdout, read by the bench, then SIGKILL; " +
        `whole run: to the end of stdout and exit. Peer: ${awk}, LC_ALL=C, a string comparison ` +
        "of the first field against the cutoff on every line (its first byte comes after its " +
        "output buffer fills)"
      : "- --since: no timed log",
    "",
    "### dmap on json and logfmt",
    "",
    formatTable(formats),
    "",
    `### \`--since ${SINCE}\` on a ${log ? fixed(log.bytes / 1e6, 0) : "n/a"} MB log`,
    "",
    sinceTable(since.rows),
  ].join("\n");
}

/** Runs the query bench; the logs and every process it started go away at the end. */
export async function runQueryBeyondBench(): Promise<void> {
  if (Deno.env.get("BENCH_QUERY") === "0") return;
  const started = performance.now();
  const load = Deno.loadavg();
  const s = settings();
  if (!(await Deno.stat(TIME_BIN).catch(() => null))) {
    throw new Error(`${TIME_BIN} is missing (make system-deps)`);
  }
  await withScratchDir(SCRATCH_PREFIX, async (base) => {
    const formats: FormatRow[] = [];
    for (const format of ["json", "logfmt"] as const) {
      const failed = (err: unknown) => failedFormat(format, s.mb * 1e6, err);
      formats.push(await attempt(format, () => formatRow(base, format, s), failed));
    }
    const since = await attempt("--since", () => sinceRows(base, s), (err) => ({
      rows: [failedSince(`bin/dcat --plain --since ${SINCE}`, err)],
    }));
    const text = await report(s, formats, since, load, started);
    console.log(text);
    if (Deno.env.get("BENCH_QUERY_HISTORY") === "0") return;
    appendHistory(text);
    progress(`results appended to ${HISTORY_FILE}`);
  });
}

if (import.meta.main) await runQueryBeyondBench();
