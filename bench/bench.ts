/**
 * `make bench`: serverless dcat/dgrep against cat/grep/gzip/zstd and the Go DTail on two data
 * shapes (bench/shapes.ts), the dtail follow burst and peak memory, then the dist, SSH, MapReduce,
 * interactive reload, resume and query (json/logfmt dmap, --since) parts (BENCH_<PART>=0 skips
 * one; BENCH_SERVERLESS=0 this first part).
 * Prints markdown tables with each target's PASS/MISS and appends them to
 * bench/results/history.md. BENCH_RUNS sets the timed runs per side (default 9, at least 5 for a
 * result worth keeping); BENCH_SHAPES=1 runs app.log only.
 */
import { join } from "node:path";
import { BIG_COPIES, type DataSet, ensureData, LOG_BYTES, ONE_LINE_BYTES } from "./generate.ts";
import {
  BIN_DIR,
  DATA_DIR,
  display,
  DIST_DIR,
  distBuilt,
  GO_TARGET,
  type PairCase,
  pairCases,
  runCount,
} from "./cases.ts";
import { GO_DIR, GO_SKIPPED, goAvailable, goVersion } from "./go_peer.ts";
import { benchShapes, type Shape } from "./shapes.ts";
import {
  alternate,
  CommandFailed,
  measureOnce,
  median,
  outputDigest,
  type Sample,
  TIME_BIN,
} from "./measure.ts";
import { followBurst } from "./follow.ts";
import { runSshBench } from "./ssh.ts";
import { runDmapBench } from "./dmap.ts";
import { runDistBench } from "./dist.ts";
import { runReloadBench } from "./reload.ts";
import { runResumeBench } from "./resume.ts";
import { runQueryBeyondBench } from "./query_beyond.ts";
import {
  appendHistory,
  followPasses,
  type FollowSummary,
  followTable,
  HISTORY_FILE,
  machineInfo,
  memoryPasses,
  type MemoryResult,
  memoryTable,
  pairPasses,
  type PairResult,
  pairTable,
} from "./report.ts";

const MEMORY_RUNS = 3;
const MEMORY_LIMIT_MB = 150;
const BURST_LINES = 100_000;
const BURST_LIMIT_SECONDS = 0.1;

const bin = (program: string) => join(BIN_DIR, program);

const mbPerS = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
const maxRss = (samples: readonly Sample[]) => Math.max(...samples.map((s) => s.rssMb));
const medianSeconds = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));

/** A failed command becomes a FAIL row instead of ending the benchmark. */
async function orFailure<T>(measure: () => Promise<T>, failed: (message: string) => T): Promise<T> {
  try {
    return await measure();
  } catch (err) {
    if (!(err instanceof CommandFailed)) throw err;
    console.error(`bench: ${err.message}`);
    return failed(display([err.message]));
  }
}

const timing = (samples: readonly Sample[]) => ({
  seconds: medianSeconds(samples),
  rssMb: maxRss(samples),
});

/**
 * A warm-up run of each command that also compares their outputs with ours, then ours, the Unix
 * tool, the Go DTail and ours through bin/ (when ours is dist/) alternately.
 */
async function measurePair(
  shape: Shape,
  pair: PairCase,
  runs: number,
  oursBin?: readonly string[],
): Promise<PairResult> {
  const argvs = [
    pair.ours,
    pair.peer,
    ...(pair.go ? [pair.go] : []),
    ...(oursBin ? [oursBin] : []),
  ];
  const digests: string[] = [];
  for (const argv of argvs) digests.push(await outputDigest(argv));
  const samples = await alternate(argvs, runs);
  for (let i = 1; i < argvs.length; i++) {
    if (digests[i] !== digests[0]) {
      progress(`output differs: ${display(argvs[i]!)} ${digests[i]}, ours ${digests[0]}`);
    }
  }
  const side = (i: number, argv: readonly string[], target: number) => ({
    name: display(argv.slice(0, -1)),
    target,
    sameOutput: digests[i] === digests[0],
    ...timing(samples[i] ?? []),
  });
  const binAt = argvs.length - 1;
  return {
    shape: shape.name,
    name: display(pair.ours),
    bytes: shape.bytes,
    ours: timing(samples[0] ?? []),
    peer: side(1, pair.peer, pair.target),
    ...(pair.go ? { go: side(2, pair.go, GO_TARGET) } : {}),
    ...(oursBin
      ? { bin: { ...timing(samples[binAt] ?? []), sameOutput: digests[binAt] === digests[0] } }
      : {}),
  };
}

async function measureMemory(path: string, bytes: number): Promise<MemoryResult> {
  const argv = [bin("dcat"), "--plain", path];
  const samples: Sample[] = [];
  for (let run = 0; run < MEMORY_RUNS; run++) samples.push(await measureOnce(argv));
  const seconds = medianSeconds(samples);
  return {
    name: display(argv),
    seconds,
    mbPerS: mbPerS(bytes, seconds),
    rssMb: maxRss(samples),
    limitMb: MEMORY_LIMIT_MB,
  };
}

async function measureFollow(runs: number): Promise<FollowSummary> {
  const path = join(DATA_DIR, "follow.log");
  const seconds: number[] = [];
  let faultyRuns = 0;
  let rssMb = 0;
  for (let run = 0; run < runs; run++) {
    const result = await followBurst(bin("dtail"), path, BURST_LINES);
    const complete = result.distinct === BURST_LINES && result.duplicates === 0;
    if (!complete) {
      faultyRuns++;
      console.error(
        `bench: follow run ${run}: ${result.distinct} distinct, ${result.duplicates} duplicates`,
      );
    }
    if (result.exitCode !== 0) {
      console.error(`bench: dtail exited with ${result.exitCode} on SIGTERM`);
    }
    seconds.push(result.seconds);
    rssMb = Math.max(rssMb, result.rssMb);
  }
  await Deno.remove(path);
  return {
    medianSeconds: median(seconds),
    minSeconds: Math.min(...seconds),
    maxSeconds: Math.max(...seconds),
    lines: BURST_LINES,
    runs,
    faultyRuns,
    rssMb,
    limitSeconds: BURST_LIMIT_SECONDS,
  };
}

function failedPair(shape: Shape, pair: PairCase, failure: string): PairResult {
  const none = { seconds: NaN, rssMb: NaN };
  const side = (argv: readonly string[], target: number) => ({
    name: display(argv.slice(0, -1)),
    target,
    sameOutput: true,
    ...none,
  });
  return {
    shape: shape.name,
    name: display(pair.ours),
    bytes: shape.bytes,
    ours: none,
    peer: side(pair.peer, pair.target),
    ...(pair.go ? { go: side(pair.go, GO_TARGET) } : {}),
    failure,
  };
}

function failedMemory(path: string, failure: string): MemoryResult {
  const name = display([bin("dcat"), "--plain", path]);
  return { name, seconds: NaN, mbPerS: NaN, rssMb: NaN, limitMb: MEMORY_LIMIT_MB, failure };
}

function failedFollow(failure: string): FollowSummary {
  return {
    medianSeconds: NaN,
    minSeconds: NaN,
    maxSeconds: NaN,
    lines: BURST_LINES,
    runs: 0,
    faultyRuns: 0,
    rssMb: NaN,
    limitSeconds: BURST_LIMIT_SECONDS,
    failure,
  };
}

function progress(message: string): void {
  console.error(`bench: ${message}`);
}

/** The dcat/dgrep rows: ours is dist/ when built (the installed programs), with bin/ beside it. */
async function measurePairs(all: readonly Shape[], runs: number): Promise<PairResult[]> {
  const pairs: PairResult[] = [];
  const dist = await distBuilt();
  for (const shape of all) {
    const cases = pairCases(shape.set, dist ? DIST_DIR : BIN_DIR, goAvailable ? GO_DIR : undefined);
    const binCases = dist ? pairCases(shape.set, BIN_DIR) : [];
    for (const [i, pair] of cases.entries()) {
      progress(`${display(pair.ours)} vs ${display(pair.peer)}${pair.go ? " and Go" : ""}`);
      const failed = (failure: string) => failedPair(shape, pair, failure);
      const oursBin = binCases[i]?.ours;
      pairs.push(await orFailure(() => measurePair(shape, pair, runs, oursBin), failed));
    }
  }
  return pairs;
}

async function measureMemoryCases(data: DataSet): Promise<MemoryResult[]> {
  progress("peak memory");
  const memoryCases = [
    { path: data.big, bytes: LOG_BYTES * BIG_COPIES },
    { path: data.bigZst, bytes: LOG_BYTES * BIG_COPIES },
    { path: data.oneLine, bytes: ONE_LINE_BYTES },
  ];
  const memory: MemoryResult[] = [];
  for (const { path, bytes } of memoryCases) {
    const failed = (failure: string) => failedMemory(path, failure);
    memory.push(await orFailure(() => measureMemory(path, bytes), failed));
  }
  return memory;
}

interface RunSummary {
  readonly runs: number;
  readonly loadAtStart: readonly number[];
  readonly minutes: number;
}

async function buildReport(
  summary: RunSummary,
  pairs: readonly PairResult[],
  memory: readonly MemoryResult[],
  follow: FollowSummary,
): Promise<string> {
  const misses = pairs.filter((r) => !pairPasses(r)).length +
    memory.filter((r) => !memoryPasses(r)).length + (followPasses(follow) ? 0 : 1);
  const inputs = [...new Set(pairs.map((r) => `${r.shape} ${r.bytes.toLocaleString("en")} B`))];
  const go = goAvailable ? `Go: ${await goVersion()} in ${GO_DIR} (go/)` : GO_SKIPPED;
  return [
    `## Benchmark ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(summary.runs, summary.loadAtStart),
    `- input: ${inputs.join(", ")} (MB/s = uncompressed input bytes / 10^6 / median s); ` +
    `${misses} target(s) missed; bench took ${summary.minutes.toFixed(1)} min`,
    `- ${go}; ratio = the other program's median s / ours (> 1: ours is faster), its target ` +
    "in brackets; a row passes when every ratio reaches its target with the same output as ours",
    "- ours: the installed programs (dist/, `make dist`) when built, the bin/ launchers (Deno " +
    "running the sources) in the same rounds in the last column; without dist/, bin/",
    "",
    "### Throughput (whole process, output through a pipe)",
    "",
    pairTable(pairs),
    "",
    "### Peak memory",
    "",
    memoryTable(memory),
    "",
    "### Follow burst",
    "",
    followTable(follow),
  ].join("\n");
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadAtStart = Deno.loadavg();
  const runs = runCount();
  if (!(await Deno.stat(TIME_BIN).catch(() => null))) {
    throw new Error(`${TIME_BIN} is missing (make system-deps)`);
  }
  const data = await ensureData(DATA_DIR);
  const all = await benchShapes(data, DATA_DIR);
  if (!goAvailable) progress(GO_SKIPPED);
  if (Deno.env.get("BENCH_SERVERLESS") !== "0") {
    const pairs = await measurePairs(all, runs);
    const memory = await measureMemoryCases(data);
    progress("follow burst");
    const follow = await orFailure(() => measureFollow(runs), failedFollow);
    const minutes = (performance.now() - started) / 60_000;
    const summary = { runs, loadAtStart, minutes };
    const report = await buildReport(summary, pairs, memory, follow);
    console.log(report);
    appendHistory(report);
    progress(`results appended to ${HISTORY_FILE}`);
  }
  if (Deno.env.get("BENCH_DIST") !== "0") await runDistBench(data, runs); // bench/dist.ts
  if (Deno.env.get("BENCH_SSH") !== "0") await runSshBench(data); // bench/ssh.ts; BENCH_SSH=0 skips
  if (Deno.env.get("BENCH_DMAP") !== "0") await runDmapBench(); // bench/dmap.ts; BENCH_DMAP=0 skips
  if (Deno.env.get("BENCH_RELOAD") !== "0") await runReloadBench(); // bench/reload.ts; =0 skips
  if (Deno.env.get("BENCH_RESUME") !== "0") await runResumeBench(); // bench/resume.ts; =0 skips
  if (Deno.env.get("BENCH_QUERY") !== "0") await runQueryBeyondBench(); // bench/query_beyond.ts
}

if (import.meta.main) await main();
