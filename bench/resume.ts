/**
 * `make bench` part (issue 14): the dserver CPU time that following 1,000 files costs, and resuming
 * them after a reconnect (docs/protocol.md#resume). A real dserver (bin/dserver) on loopback, a raw
 * resume client (tests/ssh_resume_client.ts) that follows `<dir>/*.log` with `positions=v1`:
 *
 * - fresh: a follow of the 1,000 files without positions, until the start position of each came;
 * - fresh, new dserver: the same as the first session of a just-started dserver (for the cold case:
 *   what V8's warm-up of the follow path costs without a resume);
 * - warm: the client goes away, a line is appended to each file, the client comes back with the
 *   positions of all files, until each file's missed line came (the dserver kept running);
 * - cold: the same after a SIGKILL of the dserver and the start of a new one.
 *
 * The CPU time is the dserver process's own (all its threads, /proc/<pid>/task/<tid>/schedstat)
 * from the open channel to the last line received; the median of RUNS runs is the figure. Every
 * missed line must arrive exactly once, in order. Prints a table and appends it to
 * bench/results/history.md (not with BENCH_RESUME_HISTORY=0; BENCH_RESUME_COLD_RUNS=0 skips the cold
 * cases). BENCH_RESUME=0 skips it; `deno run -A
 * bench/resume.ts` runs it alone.
 */
import { join } from "node:path";
import { ResumeClient } from "../tests/ssh_resume_client.ts";
import type { TestClient, TestServer } from "../tests/ssh_env.ts";
import { median } from "./measure.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";
import { withScratchDir } from "./scratch.ts";
import { failedRow, fixed, misses, type SshRow, sshTable } from "./ssh_report.ts";
import { BenchClient, BenchServer, type Identities, identities } from "./ssh_server.ts";

const FILES = 1000;
const RUNS = Number(Deno.env.get("BENCH_RESUME_RUNS") ?? 5);
/** 0: no cold runs (the first dserver then ends by SIGTERM: a profiling wrapper writes its profile). */
const COLD_RUNS = Number(Deno.env.get("BENCH_RESUME_COLD_RUNS") ?? RUNS);
const TARGET_MS = 100;
/** After a client went away: its session's followers end before the next one starts. */
const SETTLE_MS = 300;
const WAIT_MS = 60_000;
/** Another bin/ whose dserver runs (a profiling wrapper, for one). */
const BIN_DIR = Deno.env.get("BENCH_RESUME_BIN_DIR");

const progress = (message: string) => console.error(`bench-resume: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time of a process, all its threads, in ms. */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`).split(" ")[0]);
    } catch {
      // a thread that ended
    }
  }
  return ns / 1e6;
}

/** CPU time of each thread of a process by thread name, in ms (BENCH_RESUME_THREADS=1). */
function threadMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
    try {
      const dir = `/proc/${pid}/task/${task.name}`;
      const name = Deno.readTextFileSync(`${dir}/comm`).trim();
      const ns = Number(Deno.readTextFileSync(`${dir}/schedstat`).split(" ")[0]);
      out.set(name, (out.get(name) ?? 0) + ns / 1e6);
    } catch {
      // a thread that ended
    }
  }
  return out;
}

const THREADS = Deno.env.get("BENCH_RESUME_THREADS") === "1";

/** What the raw client needs of the bench's client and server (tests/ssh_raw.ts). */
const asTestClient = (client: BenchClient) => ({ home: client.home }) as unknown as TestClient;
const asTestServer = (server: BenchServer) =>
  ({ port: server.port, address: `127.0.0.1:${server.port}` }) as unknown as TestServer;

const fileOf = (dir: string, i: number) => join(dir, `f${String(i).padStart(4, "0")}.log`);

async function appendToAll(dir: string, word: string): Promise<void> {
  for (let i = 0; i < FILES; i++) {
    await Deno.writeTextFile(fileOf(dir, i), `${word} ${i}\n`, { append: true });
  }
}

/** How many lines of `word` came (one per file is expected). */
const count = (f: ResumeClient, word: string) =>
  [...f.lines.values()].flat().filter((l) => l.startsWith(`${word} `)).length;

interface Measured {
  readonly cpuMs: number;
  readonly wallMs: number;
}

/** Connects `f` (resuming when it knows positions) and measures until `done` holds. */
async function measure(
  f: ResumeClient,
  server: BenchServer,
  done: () => boolean,
  what: string,
): Promise<Measured> {
  let cpu = 0;
  let wall = 0;
  let threads = new Map<string, number>();
  await f.connect(asTestServer(server), () => {
    cpu = cpuMs(server.pid);
    wall = performance.now();
    if (THREADS) threads = threadMs(server.pid);
  });
  await f.until(done, what, WAIT_MS);
  const measured = { cpuMs: cpuMs(server.pid) - cpu, wallMs: performance.now() - wall };
  if (THREADS) {
    const parts = [...threadMs(server.pid)].map((
      [name, ms],
    ) => [name, ms - (threads.get(name) ?? 0)])
      .filter(([, ms]) => Number(ms) >= 1).map(([name, ms]) => `${name} ${Number(ms).toFixed(0)}`);
    progress(`${what}: threads ${parts.join(", ")}`);
  }
  progress(
    `${what}: dserver CPU ${measured.cpuMs.toFixed(0)} ms, wall ${measured.wallMs.toFixed(0)} ms`,
  );
  return measured;
}

/** Each file's lines: exactly the words appended to it, in order. */
function checkLines(f: ResumeClient, dir: string, words: readonly string[]): void {
  for (let i = 0; i < FILES; i++) {
    const got = f.linesOf(fileOf(dir, i));
    const want = words.map((w) => `${w} ${i}`);
    if (got.join("\n") !== want.join("\n")) {
      throw new Error(
        `${fileOf(dir, i)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
      );
    }
  }
}

interface Results {
  fresh: Measured[];
  freshCold: Measured[];
  warm: Measured[];
  cold: Measured[];
}

async function startServer(base: string, ids: Identities, client: BenchClient, dir: string) {
  return await BenchServer.start(base, ids, client.publicKey, {
    server: {
      Permissions: { Default: [`readfiles:^${dir}/`] },
      MaxConcurrentTails: 2 * FILES,
    },
    ...(BIN_DIR === undefined ? {} : { binDir: BIN_DIR }),
  });
}

async function measureAll(base: string, ids: Identities): Promise<Results> {
  const client = await BenchClient.create(base, ids);
  const dir = join(base, "logs");
  await Deno.mkdir(dir, { mode: 0o755 });
  await Deno.chmod(dir, 0o755);
  for (let i = 0; i < FILES; i++) {
    await Deno.writeTextFile(fileOf(dir, i), `old ${i}\n`);
    await Deno.chmod(fileOf(dir, i), 0o644);
  }
  const target = join(dir, "*.log");
  const results: Results = { fresh: [], freshCold: [], warm: [], cold: [] };
  // What a just-started dserver's first session costs without positions: V8 compiles and warms up
  // the follow path then, with or without a resume.
  for (let run = 0; run < COLD_RUNS; run++) {
    const started = await startServer(base, ids, client, dir);
    const fresh = new ResumeClient(asTestClient(client), [target]);
    try {
      const all = () => (fresh.positions.get(target)?.size ?? 0) === FILES;
      results.freshCold.push(await measure(fresh, started, all, "start positions, new dserver"));
    } finally {
      await fresh.close();
      await started.stop();
    }
  }
  let server = await startServer(base, ids, client, dir);
  const words: string[] = [];
  try {
    // Fresh follows, each by a new client without positions; the last one goes on below.
    let f: ResumeClient | null = null;
    for (let run = 0; run < RUNS; run++) {
      await f?.close();
      await sleep(SETTLE_MS);
      const fresh = f = new ResumeClient(asTestClient(client), [target]);
      const started = () => (fresh.positions.get(target)?.size ?? 0) === FILES;
      results.fresh.push(await measure(fresh, server, started, "start positions"));
    }
    const follower = f!;
    words.push("up");
    await appendToAll(dir, "up");
    await follower.until(() => count(follower, "up") === FILES, "a line of each file", WAIT_MS);

    for (let run = 0; run < RUNS; run++) {
      await follower.close();
      const word = `away${run}`;
      words.push(word);
      await appendToAll(dir, word);
      await sleep(SETTLE_MS);
      progress(`warm resume ${run + 1}/${RUNS}`);
      results.warm.push(
        await measure(follower, server, () => count(follower, word) === FILES, `${word} lines`),
      );
    }
    for (let run = 0; run < COLD_RUNS; run++) {
      Deno.kill(server.pid, "SIGKILL");
      await follower.lost();
      await server.stop();
      const word = `down${run}`;
      words.push(word);
      await appendToAll(dir, word);
      server = await startServer(base, ids, client, dir);
      progress(`cold resume ${run + 1}/${RUNS}`);
      results.cold.push(
        await measure(follower, server, () => count(follower, word) === FILES, `${word} lines`),
      );
    }
    await follower.close();
    checkLines(follower, dir, words);
    if (follower.notices.length > 0) throw new Error(`notices: ${follower.notices.join(" / ")}`);
    return results;
  } finally {
    await server.stop();
  }
}

function row(name: string, runs: readonly Measured[], target: number | null): SshRow {
  const cpu = runs.map((r) => r.cpuMs);
  const wall = runs.map((r) => r.wallMs);
  return {
    name,
    measured: `${fixed(median(cpu), 0)} ms`,
    target: target === null ? "none (for comparison)" : `< ${target} ms`,
    pass: target === null || median(cpu) < target,
    details: `dserver CPU ${fixed(Math.min(...cpu), 0)}–${fixed(Math.max(...cpu), 0)} ms over ` +
      `${runs.length} runs; wall ${fixed(median(wall), 0)} ms (median)`,
  };
}

export async function runResumeBench(): Promise<void> {
  if (Deno.env.get("BENCH_RESUME") === "0") return;
  const started = performance.now();
  const load = Deno.loadavg();
  const ids = await identities();
  const names = {
    fresh: `follow of ${
      FILES.toLocaleString("en")
    } files, no positions (until each start position)`,
    freshCold: `follow of ${
      FILES.toLocaleString("en")
    } files, no positions, as a just-started dserver's first session`,
    warm: `resume of ${
      FILES.toLocaleString("en")
    } files after a reconnect (until each missed line)`,
    cold: `resume of ${FILES.toLocaleString("en")} files after a dserver SIGKILL and restart`,
  };
  let rows: SshRow[];
  await withScratchDir("dtail-bench-resume-", async (base) => {
    progress(`${FILES} files, ${RUNS} runs per case`);
    try {
      const r = await measureAll(base, ids);
      rows = [
        row(names.fresh, r.fresh, null),
        ...(r.freshCold.length > 0 ? [row(names.freshCold, r.freshCold, null)] : []),
        row(names.warm, r.warm, TARGET_MS),
        ...(r.cold.length > 0 ? [row(names.cold, r.cold, TARGET_MS)] : []),
      ];
    } catch (err) {
      progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
      const target = `< ${TARGET_MS} ms`;
      rows = [failedRow(names.warm, target, err), failedRow(names.cold, target, err)];
    }
  });
  const minutes = (performance.now() - started) / 60_000;
  const text = [
    `## Resume benchmark ${new Date().toISOString().slice(0, 10)}`,
    (await machineInfo(RUNS, load)).replace(
      /; \d+ timed runs per side.*$/m,
      `; ${RUNS} runs per case (median)`,
    ),
    `- dserver CPU time over SSH on loopback: dserver as ${ids.serverUser}, client as SSH user ` +
    `${ids.sshUser}, ${FILES} files of one directory followed as one glob with positions=v1; ` +
    `${misses(rows!)} target(s) missed; resume bench took ${minutes.toFixed(1)} min`,
    "",
    sshTable(rows!),
  ].join("\n");
  console.log(text);
  if (Deno.env.get("BENCH_RESUME_HISTORY") === "0") return; // a comparison run, not a record
  appendHistory(text);
  progress(`results appended to ${HISTORY_FILE}`);
}

if (import.meta.main) await runResumeBench();
