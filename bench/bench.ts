/**
 * `make bench`: serverless dcat/dgrep against cat/grep/gzip/zstd, the dtail follow burst and peak
 * memory, then the dist, SSH, MapReduce and interactive reload parts (BENCH_<PART>=0 skips one).
 * Prints markdown tables and appends them to bench/results/history.md.
 * BENCH_RUNS sets the timed runs per side (default 9, at least 5 for a result worth keeping).
 */
import { join } from "node:path";
import { BIG_COPIES, type DataSet, ensureData, LOG_BYTES, ONE_LINE_BYTES } from "./generate.ts";
import { BIN_DIR, DATA_DIR, display, type PairCase, pairCases, runCount } from "./cases.ts";
import {
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

/** Warm-up run that also compares outputs, then ours and the peer alternately, order swapped each round. */
async function measurePair(pair: PairCase, runs: number): Promise<PairResult> {
  const [ourDigest, peerDigest] = [await outputDigest(pair.ours), await outputDigest(pair.peer)];
  const ours: Sample[] = [];
  const peer: Sample[] = [];
  for (let round = 0; round < runs; round++) {
    if (round % 2 === 0) {
      ours.push(await measureOnce(pair.ours));
      peer.push(await measureOnce(pair.peer));
    } else {
      peer.push(await measureOnce(pair.peer));
      ours.push(await measureOnce(pair.ours));
    }
  }
  if (ourDigest !== peerDigest) {
    console.error(`bench: output differs for ${display(pair.ours)}: ${ourDigest} vs ${peerDigest}`);
  }
  return {
    name: display(pair.ours),
    peerName: display(pair.peer),
    ourSeconds: medianSeconds(ours),
    peerSeconds: medianSeconds(peer),
    ourMbPerS: mbPerS(LOG_BYTES, medianSeconds(ours)),
    peerMbPerS: mbPerS(LOG_BYTES, medianSeconds(peer)),
    ourRssMb: maxRss(ours),
    peerRssMb: maxRss(peer),
    target: pair.target,
    sameOutput: ourDigest === peerDigest,
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

function failedPair(pair: PairCase, failure: string): PairResult {
  return {
    name: display(pair.ours),
    peerName: display(pair.peer),
    ourSeconds: NaN,
    peerSeconds: NaN,
    ourMbPerS: NaN,
    peerMbPerS: NaN,
    ourRssMb: NaN,
    peerRssMb: NaN,
    target: pair.target,
    sameOutput: true,
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

async function measurePairs(data: DataSet, runs: number): Promise<PairResult[]> {
  const pairs: PairResult[] = [];
  for (const pair of pairCases(data)) {
    progress(`${display(pair.ours)} vs ${display(pair.peer)}`);
    const failed = (failure: string) => failedPair(pair, failure);
    pairs.push(await orFailure(() => measurePair(pair, runs), failed));
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
  const input = `${LOG_BYTES.toLocaleString("en")} B log`;
  return [
    `## Benchmark ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(summary.runs, summary.loadAtStart),
    `- input: ${input} (MB/s = uncompressed input bytes / 10^6 / median s); ` +
    `${misses} target(s) missed; bench took ${summary.minutes.toFixed(1)} min`,
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
  const pairs = await measurePairs(data, runs);
  const memory = await measureMemoryCases(data);
  progress("follow burst");
  const follow = await orFailure(() => measureFollow(runs), failedFollow);
  const minutes = (performance.now() - started) / 60_000;
  const summary = { runs, loadAtStart, minutes };
  const report = await buildReport(summary, pairs, memory, follow);
  console.log(report);
  appendHistory(report);
  progress(`results appended to ${HISTORY_FILE}`);
  if (Deno.env.get("BENCH_DIST") !== "0") await runDistBench(data, runs); // bench/dist.ts
  if (Deno.env.get("BENCH_SSH") !== "0") await runSshBench(data); // bench/ssh.ts; BENCH_SSH=0 skips
  if (Deno.env.get("BENCH_DMAP") !== "0") await runDmapBench(); // bench/dmap.ts; BENCH_DMAP=0 skips
  if (Deno.env.get("BENCH_RELOAD") !== "0") await runReloadBench(); // bench/reload.ts; =0 skips
}

if (import.meta.main) await main();
