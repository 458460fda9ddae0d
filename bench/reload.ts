/**
 * `make bench-reload` (and the end of `make bench`): how fast `:reload` of --interactive-query
 * switches a running `dtail --plain --grep ERROR` over SSH to `--grep WARN` and back, against one
 * dserver and against 200 connections (4 dservers × 50 addresses, as the fan-out case of
 * bench/ssh_fanout.ts). A writer appends `ERROR <n>` / `WARN <n>` to the followed file every few
 * milliseconds; the bench types the reload into the client's control terminal (a real pty,
 * tests/pty.ts) and times from the Enter to the first line of the new workload on stdout
 * (bench/reload_tracker.ts). It also counts lines of the old workload that should not be there:
 * after the first new line (one connection: its output is one ordered stream), and after the first
 * new line written once the reply `reload applied successfully` was seen (any number of
 * connections: the client received every older line before it printed the reply). Prints a table
 * and appends it to bench/results/history.md; servers, the client and temp dirs are removed even
 * when a case fails or the bench is interrupted.
 */
import { join } from "node:path";
import { Pty } from "../tests/pty.ts";
import { median } from "./measure.ts";
import { appendHistory, HISTORY_FILE, machineInfo } from "./report.ts";
import { other, Phase, Tracker, waitUntil, Writer } from "./reload_tracker.ts";
import { withScratchDir } from "./scratch.ts";
import { failedRow, fixed, misses, type SshRow, sshTable } from "./ssh_report.ts";
import { BenchClient, BenchServer, type Identities, identities, memoryMb } from "./ssh_server.ts";

const RELOADS = 9;
const WARMUP_RELOADS = 1;
/** Between reloads: the old workload's stragglers, if any, arrive and are counted. */
const SETTLE_MS = 300;
const BANNER = "Commands: :reload <flags>, :show, :help, :quit";
const REPLY = /reload applied successfully|(?:reload failed|interactive query error): [^\r\n]*/;
const START_TIMEOUT_MS = 120_000;
const RELOAD_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

interface ReloadCase {
  readonly servers: number;
  /** Server entries per dserver (127.0.0.1, 127.0.0.2, …). */
  readonly addresses: number;
  /** How often the writer appends a pair of lines. */
  readonly writerMs: number;
  readonly targetMs: number;
}

const ONE_SERVER: ReloadCase = { servers: 1, addresses: 1, writerMs: 5, targetMs: 50 };
const FANOUT: ReloadCase = { servers: 4, addresses: 50, writerMs: 20, targetMs: 500 };

const connectionsOf = (c: ReloadCase) => c.servers * c.addresses;
const progress = (message: string) => console.error(`bench-reload: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Reload {
  readonly phase: Phase;
  /** Enter → the reply seen on the terminal. */
  readonly replyMs: number;
}

/** The client under test: its terminal, its stdout, and the file it follows. */
interface Run {
  readonly pty: Pty;
  readonly child: Deno.ChildProcess;
  readonly tracker: Tracker;
  readonly writer: Writer;
  readonly connections: number;
  stderr: string;
}

async function startServers(base: string, ids: Identities, client: BenchClient, c: ReloadCase) {
  const servers: BenchServer[] = [];
  const limits = { MaxConnections: c.addresses + 50, MaxConcurrentTails: 2 * c.addresses + 50 };
  for (let i = 0; i < c.servers; i++) {
    servers.push(
      await BenchServer.start(base, ids, client.publicKey, {
        bindAddress: c.addresses > 1 ? "0.0.0.0" : "127.0.0.1",
        server: limits,
      }),
    );
  }
  return servers;
}

function entries(servers: readonly BenchServer[], addresses: number): string[] {
  return servers.flatMap((s) =>
    Array.from({ length: addresses }, (_, i) => `127.0.0.${i + 1}:${s.port}`)
  );
}

/** Types `:show` every half second until every connection takes reloads. */
async function untilCapable(run: Run): Promise<void> {
  const capable = new RegExp(`capable=${run.connections}/${run.connections}\\r?\\n`);
  const deadline = performance.now() + START_TIMEOUT_MS;
  for (;;) {
    const from = run.pty.output.length;
    run.pty.type(":show\r");
    await sleep(500);
    if (capable.test(run.pty.output.slice(from))) return;
    if (performance.now() > deadline) {
      throw new Error(`not every connection took the session: ${run.stderr.slice(-500)}`);
    }
  }
}

/** One `:reload --grep <other kind>`, timed from the Enter. */
async function reloadOnce(run: Run): Promise<Reload> {
  const from = run.pty.output.length;
  const phase = new Phase(other(run.tracker.phase.kind), run.connections, performance.now());
  run.tracker.phase = phase;
  run.pty.type(`:reload --grep ${phase.kind}\r`);
  if (!await waitUntil(() => REPLY.test(run.pty.output.slice(from)), RELOAD_TIMEOUT_MS)) {
    throw new Error(`no reply to :reload: ${run.stderr.slice(-500)}`);
  }
  phase.seqAtAck = run.writer.seq;
  const replyMs = performance.now() - phase.enterAt;
  const reply = REPLY.exec(run.pty.output.slice(from))?.[0] ?? "";
  if (reply !== "reload applied successfully") throw new Error(reply);
  const switched = () => phase.pastAck && !Number.isNaN(phase.allAt);
  if (!await waitUntil(switched, RELOAD_TIMEOUT_MS)) {
    throw new Error(`the new workload did not reach every connection: ${phase.kind}`);
  }
  return { phase, replyMs };
}

async function stopClient(run: Run): Promise<void> {
  const signal = (sig: Deno.Signal) => {
    try {
      run.child.kill(sig);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), STOP_TIMEOUT_MS);
  await run.child.status;
  clearTimeout(timer);
  await run.tracker.done.catch(() => {});
  await run.pty.close();
}

/** User + system CPU seconds of a live process so far (/proc ticks are 1/100 s on Linux). */
function cpuSeconds(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU use of `pids` together from now until the returned function is called, in % of a core. */
function cpuMeter(pids: readonly number[]): () => number {
  const total = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const [cpu, wall] = [total(), performance.now()];
  return () => ((total() - cpu) / ((performance.now() - wall) / 1000)) * 100;
}

/**
 * Starts the client on `file`, waits until every connection prints, then reloads; the CPU use of
 * the client and of `serverPids` while it reloads.
 */
async function measureRun(
  launcher: string,
  file: string,
  c: ReloadCase,
  serverPids: readonly number[],
) {
  const connections = connectionsOf(c);
  const pty = Pty.open();
  const writer = new Writer(file, c.writerMs);
  const child = new Deno.Command(launcher, {
    args: [
      ...["--interactive-query", "--control-tty", pty.slavePath],
      ...["--plain", "--grep", "ERROR", "--files", file],
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tracker = new Tracker(child.stdout, new Phase("ERROR", connections, NaN));
  const run: Run = { pty, child, tracker, writer, connections, stderr: "" };
  const errors = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      run.stderr = (run.stderr + decoder.decode(chunk, { stream: true })).slice(-4000);
    }
  })();
  try {
    if (!await waitUntil(() => pty.output.includes(BANNER), START_TIMEOUT_MS)) {
      throw new Error(`no control terminal banner: ${run.stderr.slice(-500)}`);
    }
    await untilCapable(run);
    if (!await waitUntil(() => !Number.isNaN(tracker.phase.allAt), START_TIMEOUT_MS)) {
      throw new Error("not every connection printed the first workload's lines");
    }
    const clientCpu = cpuMeter([child.pid]);
    const serversCpu = cpuMeter(serverPids);
    const reloads: Reload[] = [];
    for (let i = 0; i < WARMUP_RELOADS + RELOADS; i++) {
      await sleep(SETTLE_MS);
      reloads.push(await reloadOnce(run));
    }
    await sleep(SETTLE_MS);
    const rssMb = memoryMb(child.pid).hwm;
    const cpu = { client: clientCpu(), servers: serversCpu() };
    return { reloads: reloads.slice(WARMUP_RELOADS), rssMb, cpu, unexpected: tracker.unexpected };
  } finally {
    writer.stop();
    await stopClient(run);
    await errors.catch(() => {});
  }
}

const ms = (values: readonly number[]) => fixed(median(values), 1);
const range = (values: readonly number[]) =>
  `${fixed(Math.min(...values), 1)}–${fixed(Math.max(...values), 1)}`;

async function reloadCase(
  base: string,
  ids: Identities,
  client: BenchClient,
  c: ReloadCase,
): Promise<SshRow> {
  const connections = connectionsOf(c);
  const servers = await startServers(base, ids, client, c);
  try {
    const file = join(base, `reload-${connections}.log`);
    await Deno.writeTextFile(file, "");
    await Deno.chmod(file, 0o644);
    const launcher = await client.launcher("dtail", entries(servers, c.addresses));
    const pids = servers.map((s) => s.pid);
    const { reloads, rssMb, cpu, unexpected } = await measureRun(launcher, file, c, pids);
    const since = (at: (p: Phase) => number) => reloads.map((r) => at(r.phase) - r.phase.enterAt);
    const latency = since((p) => p.firstAt);
    const all = since((p) => p.allAt);
    const sum = (f: (p: Phase) => number) => reloads.reduce((n, r) => n + f(r.phase), 0);
    const afterFirst = sum((p) => p.staleAfterFirst);
    const afterReply = sum((p) => p.staleAfterAck);
    // One connection's lines arrive in its order; many connections' only per connection.
    const stale = connections === 1 ? afterFirst : afterReply;
    const staleText = connections === 1
      ? `old-workload lines after the first new line: ${afterFirst} (after the reply: ${afterReply})`
      : `old-workload lines after the reply: ${afterReply}`;
    const where = connections === 1
      ? "1 dserver"
      : `${connections} connections (${c.servers} dservers × ${c.addresses} addresses)`;
    return {
      name: `\`:reload\` latency, ${where}: Enter → first line of the new workload ` +
        "(`dtail --plain --grep`, followed file)",
      measured: `median ${ms(latency)} ms; stale lines ${stale}` +
        (connections === 1 ? "" : `; all ${connections} switched in ${ms(all)} ms`),
      target: `< ${c.targetMs} ms, 0 stale lines`,
      pass: median(latency) < c.targetMs && stale === 0 && unexpected === 0,
      details: `${RELOADS} reloads after ${WARMUP_RELOADS} warm-up, --grep ERROR ↔ WARN ` +
        `(${range(latency)} ms); reply on the terminal after ${
          ms(reloads.map((r) => r.replyMs))
        } ` +
        `ms; ${staleText}; a pair of lines appended every ${c.writerMs} ms; other lines ` +
        `${unexpected}; CPU while reloading: client ${fixed(cpu.client, 0)}%, dserver(s) ` +
        `${fixed(cpu.servers, 0)}% of a core; client peak RSS ${fixed(rssMb, 1)} MB`,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
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

export async function runReloadBench(): Promise<void> {
  const started = performance.now();
  const load = Deno.loadavg();
  const ids = await identities();
  await withScratchDir("dtail-bench-reload-", async (base) => {
    const client = await BenchClient.create(base, ids);
    const rows: SshRow[] = [];
    for (const c of [ONE_SERVER, FANOUT]) {
      const name = `:reload, ${connectionsOf(c)} connection(s)`;
      rows.push(await attempt(name, `< ${c.targetMs} ms`, () => reloadCase(base, ids, client, c)));
    }
    const minutes = (performance.now() - started) / 60_000;
    const text = [
      `## Reload benchmark ${new Date().toISOString().slice(0, 10)}`,
      (await machineInfo(RELOADS, load)).replace(
        /; \d+ timed runs per side.*$/m,
        `; ${RELOADS} timed reloads per case (median)`,
      ),
      `- --interactive-query over SSH on loopback: dserver as ${ids.serverUser}, client as SSH ` +
      `user ${ids.sshUser}; ${misses(rows)} target(s) missed; reload bench took ` +
      `${minutes.toFixed(1)} min`,
      "",
      sshTable(rows),
    ].join("\n");
    console.log(text);
    appendHistory(text);
    progress(`results appended to ${HISTORY_FILE}`);
  });
}

if (import.meta.main) await runReloadBench();
