/**
 * `make bench-ssh` (and the end of `make bench`): the client tools over real SSH against local
 * dservers (bench/ssh_server.ts), then ours against the Go DTail (bench/ssh_go.ts, skipped with
 * one line without the Go binaries). Prints PASS/MISS tables and appends them to
 * bench/results/history.md. Servers and temp dirs are removed even when a case fails or the bench
 * is interrupted. BENCH_RUNS sets the timed runs per case (default 5 here).
 */
import { join } from "node:path";
import { type DataSet, ensureData } from "./generate.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";
import { withScratchDir } from "./scratch.ts";
import {
  BURST_TARGET_S,
  coloredDcat,
  dcatThroughput,
  dgrepRatio,
  FIXED_COST_TARGET_S,
  fixedCost,
  followOverSsh,
  GREP_RATIO_TARGET,
  THROUGHPUT_TARGET_MBPS,
} from "./ssh_cases.ts";
import {
  fanout,
  FANOUT_RSS_TARGET_MB,
  SERVER_MEMORY_TARGET_MB,
  stalledReader,
} from "./ssh_fanout.ts";
import { JUMP_FANOUT_RSS_TARGET_MB, jumpFanout } from "./ssh_jump_fanout.ts";
import { failedRow, misses, type SshRow, sshTable } from "./ssh_report.ts";
import { BenchClient, BenchServer, type Identities, identities } from "./ssh_server.ts";
import { GO_SSH_TARGET, goSshRows } from "./ssh_go.ts";
import { distBuilt } from "./cases.ts";
import { GoBenchServer } from "./ssh_go_server.ts";
import { GO_SKIPPED, goAvailable, goVersion } from "./go_peer.ts";
import { benchShapes } from "./shapes.ts";
import { ensureMaprData } from "./dmap_generate.ts";
import { AGG_QUERY } from "./dmap.ts";

const BENCH_DIR = import.meta.dirname ?? ".";
const DATA_DIR = join(BENCH_DIR, "data");
const DEFAULT_RUNS = 5;

const progress = (message: string) => console.error(`bench-ssh: ${message}`);

function runCount(): number {
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? DEFAULT_RUNS);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("BENCH_RUNS must be a positive integer");
  return runs;
}

/** A case that throws becomes a FAIL row; the bench goes on. */
async function attempt(name: string, target: string, measure: () => Promise<SshRow>) {
  progress(name);
  try {
    return await measure();
  } catch (err) {
    progress(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return failedRow(name, target, err);
  }
}

interface Setup {
  readonly base: string;
  readonly ids: Identities;
  readonly client: BenchClient;
  readonly data: DataSet;
  readonly runs: number;
}

async function oneServerCases(s: Setup): Promise<SshRow[]> {
  const server = await BenchServer.start(s.base, s.ids, s.client.publicKey);
  try {
    return [
      await attempt(
        "dcat over SSH",
        `>= ${THROUGHPUT_TARGET_MBPS} MB/s`,
        () => dcatThroughput(s.client, server, s.data, s.runs),
      ),
      await attempt(
        "dgrep SSH vs serverless",
        `>= ${GREP_RATIO_TARGET}x`,
        () => dgrepRatio(s.client, server, s.data, s.runs),
      ),
      await attempt(
        "colored dcat over SSH",
        "none (informational)",
        () => coloredDcat(s.client, server, s.data, s.runs),
      ),
      await attempt(
        "fixed cost",
        `< ${FIXED_COST_TARGET_S} s`,
        () => fixedCost(s.client, server, s.runs),
      ),
      await attempt(
        "follow burst over SSH",
        `< ${BURST_TARGET_S} s`,
        () => followOverSsh(s.client, server, DATA_DIR, s.runs),
      ),
    ];
  } finally {
    await server.stop();
  }
}

async function allCases(s: Setup): Promise<SshRow[]> {
  const oneLine = join(s.base, "one-line.log");
  await Deno.writeTextFile(oneLine, "2026-11-24T09:00:00Z fanout: INFO  hello from dserver\n");
  await Deno.chmod(oneLine, 0o644);
  return [
    ...await oneServerCases(s),
    await attempt(
      "fan-out",
      `< ${FANOUT_RSS_TARGET_MB} MB`,
      () => fanout(s.base, s.ids, s.client, oneLine),
    ),
    await attempt(
      "fan-out through one jump host",
      `< ${JUMP_FANOUT_RSS_TARGET_MB} MB`,
      () => jumpFanout(s.base, s.ids, s.client, oneLine),
    ),
    await attempt(
      "dserver memory, stalled reader",
      `< ${SERVER_MEMORY_TARGET_MB} MB`,
      () => stalledReader(s.base, s.ids, s.client, s.data.big),
    ),
  ];
}

/** Our client and dserver against the Go ones (bench/ssh_go.ts); a failed start is one FAIL row. */
async function goCases(s: Setup): Promise<SshRow[]> {
  try {
    return await goCasesOnServers(s);
  } catch (err) {
    progress(`Go DTail over SSH failed: ${err instanceof Error ? err.message : String(err)}`);
    return [failedRow("Go DTail over SSH", `>= ${GO_SSH_TARGET}x Go`, err)];
  }
}

/** One dserver of ours and one Go dserver, each with its own client, for goSshRows. */
async function goCasesOnServers(s: Setup): Promise<SshRow[]> {
  const goClient = await BenchClient.create(s.base, s.ids);
  const ours = await BenchServer.start(s.base, s.ids, s.client.publicKey);
  try {
    const go = await GoBenchServer.start(s.base, s.ids, goClient.publicKey);
    try {
      const setup = {
        base: s.base,
        shapes: await benchShapes(s.data, DATA_DIR),
        mapr: { log: ensureMaprData(DATA_DIR).log, query: AGG_QUERY },
        runs: s.runs,
        ours: { client: s.client, server: ours },
        dist: await distBuilt(),
        go: { client: goClient, server: go },
      };
      return await goSshRows(setup, progress);
    } finally {
      await go.stop();
    }
  } finally {
    await ours.stop();
  }
}

async function report(
  s: Setup,
  rows: readonly SshRow[],
  goRows: readonly SshRow[] | null,
  load: number[],
  started: number,
) {
  const minutes = (performance.now() - started) / 60_000;
  const { ids, runs } = s;
  const missed = misses(rows) + misses(goRows ?? []);
  return [
    `## SSH benchmark ${new Date().toISOString().slice(0, 10)}`,
    await machineInfo(runs, load),
    `- over SSH on loopback: dserver as ${ids.serverUser}, client as SSH user ${ids.sshUser}; ` +
    `${missed} target(s) missed; SSH bench took ${minutes.toFixed(1)} min`,
    "",
    sshTable(rows),
    "",
    "### Against the Go DTail",
    "",
    goRows === null
      ? `- ${GO_SKIPPED}`
      : `- Go: ${await goVersion()}; the Go client against one Go dserver, ours against one of ` +
        "ours, both on loopback, alternating; ratio = Go's median s / ours; ours = the installed " +
        "client, dist/ (`make dist`, one file like Go's), when built, with the bin/ launchers " +
        "(Deno on the sources) in the same rounds and shown in the details\n\n" +
        sshTable(goRows),
  ].join("\n");
}

/** Runs every SSH case; `data` from ensureData when bench.ts already has it. */
export async function runSshBench(data?: DataSet): Promise<void> {
  const started = performance.now();
  const load = Deno.loadavg();
  const runs = runCount();
  const ids = await identities();
  await withScratchDir("dtail-bench-ssh-", async (base) => {
    const client = await BenchClient.create(base, ids);
    const setup = { base, ids, client, data: data ?? await ensureData(DATA_DIR), runs };
    const rows = await allCases(setup);
    if (!goAvailable) progress(GO_SKIPPED);
    const goRows = goAvailable ? await goCases(setup) : null;
    const text = await report(setup, rows, goRows, load, started);
    console.log(text);
    appendHistory(text);
    progress(`results appended to ${HISTORY_FILE}`);
  });
}

if (import.meta.main) await runSshBench();
