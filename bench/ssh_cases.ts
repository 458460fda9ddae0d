/**
 * SSH bench cases against one already running dserver: dcat throughput, dgrep against the same
 * serverless, the fixed cost of a small run, and the follow burst (bench/follow.ts through a
 * launcher that adds the SSH flags).
 */
import { join } from "node:path";
import type { DataSet } from "./generate.ts";
import { LOG_BYTES } from "./generate.ts";
import { measureOnce, median, outputDigest, type Sample } from "./measure.ts";
import { followBurst } from "./follow.ts";
import { type BenchClient, type BenchServer, BIN_DIR } from "./ssh_server.ts";
import { fixed, type SshRow } from "./ssh_report.ts";

export const THROUGHPUT_TARGET_MBPS = 150;
export const GREP_RATIO_TARGET = 0.5;
export const FIXED_COST_TARGET_S = 0.25;
export const FIXED_COST_MIN_RUNS = 9;
export const BURST_TARGET_S = 0.2;
const BURST_LINES = 100_000;
const SMALL_FILE = join(BIN_DIR, "..", "tests", "data", "sample.log");

const seconds = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));
const maxRss = (samples: readonly Sample[]) => Math.max(...samples.map((s) => s.rssMb));
const mbPerS = (bytes: number, s: number) => bytes / 1e6 / s;

async function repeat(argv: readonly string[], runs: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) samples.push(await measureOnce(argv));
  return samples;
}

export async function dcatThroughput(
  client: BenchClient,
  server: BenchServer,
  data: DataSet,
  runs: number,
): Promise<SshRow> {
  const dcat = await client.launcher("dcat", [`127.0.0.1:${server.port}`]);
  const argv = [dcat, "--plain", data.log];
  const same = (await outputDigest(argv)) === (await outputDigest(["cat", data.log]));
  const samples = await repeat(argv, runs);
  const rate = mbPerS(LOG_BYTES, seconds(samples));
  return {
    name: "`dcat --plain app.log` over SSH (100 MB)",
    measured: `${fixed(rate, 0)} MB/s (${fixed(seconds(samples), 3)} s)`,
    target: `>= ${THROUGHPUT_TARGET_MBPS} MB/s`,
    pass: same && rate >= THROUGHPUT_TARGET_MBPS,
    details: `median of ${runs}; client peak RSS ${fixed(maxRss(samples), 1)} MB; ` +
      (same ? "output identical to `cat`" : "OUTPUT DIFFERS from `cat`"),
  };
}

/**
 * The default output (labelled, colored) over SSH next to the same serverless: no target, it is
 * printed to keep the client's painting path measured. Same host, so the output must be equal.
 */
export async function coloredDcat(
  client: BenchClient,
  server: BenchServer,
  data: DataSet,
  runs: number,
): Promise<SshRow> {
  const dcat = await client.launcher("dcat", [`127.0.0.1:${server.port}`]);
  const remote = [dcat, "--quiet", data.log];
  const local = [join(BIN_DIR, "dcat"), data.log];
  const same = (await outputDigest(remote)) === (await outputDigest(local));
  const ssh = await repeat(remote, runs);
  const serverless = await repeat(local, runs);
  return {
    name: "`dcat app.log` over SSH, labelled and colored (the default output)",
    measured: `${fixed(mbPerS(LOG_BYTES, seconds(ssh)), 0)} MB/s (${fixed(seconds(ssh), 3)} s)`,
    target: "none (informational)",
    pass: same,
    details:
      `median of ${runs}; serverless ${
        fixed(mbPerS(LOG_BYTES, seconds(serverless)), 0)
      } MB/s; client peak RSS ${fixed(maxRss(ssh), 1)} MB; ` +
      (same ? "same output as serverless" : "OUTPUT DIFFERS from serverless"),
  };
}

/** SSH and serverless alternate, order swapped each round, like bench.ts pairs. */
export async function dgrepRatio(
  client: BenchClient,
  server: BenchServer,
  data: DataSet,
  runs: number,
): Promise<SshRow> {
  const dgrep = await client.launcher("dgrep", [`127.0.0.1:${server.port}`]);
  const remote = [dgrep, "--plain", "--grep", "ERROR", data.log];
  const local = [join(BIN_DIR, "dgrep"), "--plain", "--grep", "ERROR", data.log];
  const same = (await outputDigest(remote)) === (await outputDigest(local));
  const ssh: Sample[] = [];
  const serverless: Sample[] = [];
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? [remote, local] : [local, remote];
    for (const argv of order) (argv === remote ? ssh : serverless).push(await measureOnce(argv));
  }
  const ratio = seconds(serverless) / seconds(ssh);
  return {
    name: "`dgrep --plain --grep ERROR app.log`, SSH vs serverless",
    measured: `${fixed(ratio, 2)}x (${fixed(seconds(ssh), 3)} s vs ${
      fixed(seconds(serverless), 3)
    } s)`,
    target: `>= ${GREP_RATIO_TARGET}x`,
    pass: same && ratio >= GREP_RATIO_TARGET,
    details:
      `median of ${runs} each; SSH ${fixed(mbPerS(LOG_BYTES, seconds(ssh)), 0)} MB/s, serverless ${
        fixed(mbPerS(LOG_BYTES, seconds(serverless)), 0)
      } MB/s; ` +
      (same ? "same output" : "OUTPUT DIFFERS"),
  };
}

export async function fixedCost(
  client: BenchClient,
  server: BenchServer,
  runs: number,
): Promise<SshRow> {
  const dcat = await client.launcher("dcat", [`127.0.0.1:${server.port}`]);
  const remote = await repeat([dcat, "--plain", SMALL_FILE], Math.max(runs, FIXED_COST_MIN_RUNS));
  const local = await repeat([join(BIN_DIR, "dcat"), "--plain", SMALL_FILE], FIXED_COST_MIN_RUNS);
  const times = remote.map((s) => s.seconds);
  return {
    name: "fixed cost: `dcat --plain sample.log` (15 KB), 1 server",
    measured: `${fixed(seconds(remote), 3)} s`,
    target: `< ${FIXED_COST_TARGET_S} s`,
    pass: seconds(remote) < FIXED_COST_TARGET_S,
    details: `median of ${remote.length} (min ${fixed(Math.min(...times), 3)}, max ${
      fixed(Math.max(...times), 3)
    }); serverless ${fixed(seconds(local), 3)} s; client peak RSS ${fixed(maxRss(remote), 1)} MB`,
  };
}

export async function followOverSsh(
  client: BenchClient,
  server: BenchServer,
  dataDir: string,
  runs: number,
): Promise<SshRow> {
  const dtail = await client.launcher("dtail", [`127.0.0.1:${server.port}`]);
  const path = join(dataDir, "ssh-follow.log");
  const times: number[] = [];
  let faulty = 0;
  let rss = 0;
  try {
    for (let run = 0; run < runs; run++) {
      const r = await followBurst(dtail, path, BURST_LINES);
      if (r.distinct !== BURST_LINES || r.duplicates !== 0) faulty++;
      times.push(r.seconds);
      rss = Math.max(rss, r.rssMb);
    }
  } finally {
    await Deno.remove(path).catch(() => {});
  }
  const s = median(times);
  return {
    name: "follow burst: `dtail --plain` over SSH, 100,000 lines in one write",
    measured: `${fixed(s, 3)} s`,
    target: `< ${BURST_TARGET_S} s, each line once`,
    pass: faulty === 0 && s < BURST_TARGET_S,
    details: `median of ${runs} (${fixed(Math.min(...times), 3)}–${
      fixed(Math.max(...times), 3)
    } s); runs with lost/duplicated lines: ${faulty}; client peak RSS ${fixed(rss, 1)} MB`,
  };
}
