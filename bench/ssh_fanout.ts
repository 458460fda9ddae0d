/**
 * Fan-out (one client, 1,000 server entries: several dservers bound to 0.0.0.0 × many 127.0.0.x
 * addresses, all on loopback) and dserver memory while a client stops reading a 1 GB dcat.
 */
import { join } from "node:path";
import { median, TIME_BIN } from "./measure.ts";
import { type BenchClient, BenchServer, type Identities, memoryMb } from "./ssh_server.ts";
import { fixed, type SshRow } from "./ssh_report.ts";

export const FANOUT_SERVERS = 4;
export const FANOUT_ADDRESSES = 250;
export const FANOUT_RSS_TARGET_MB = 400;
export const SERVER_MEMORY_TARGET_MB = 200;
const FANOUT_TIMED_RUNS = 3;
const FANOUT_TIMEOUT_MS = 120_000;
const STALL_SAMPLE_MS = 10_000;
const STALL_INTERVAL_MS = 100;

interface CountedRun {
  readonly seconds: number;
  readonly lines: number;
  readonly rssMb: number;
  /** User + system CPU seconds of the client. */
  readonly cpuS: number;
  readonly code: number;
  readonly stderr: string;
}

/** Runs argv under GNU time, counting stdout lines as they stream in. */
export async function runCounting(argv: readonly string[], timeoutMs: number): Promise<CountedRun> {
  const rssFile = await Deno.makeTempFile({ prefix: "bench-rss-" });
  try {
    const start = performance.now();
    const child = new Deno.Command(TIME_BIN, {
      args: ["-f", "%M %U %S", "-o", rssFile, ...argv],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    let lines = 0;
    const counting = (async () => {
      for await (const chunk of child.stdout) for (const b of chunk) if (b === 10) lines++;
    })();
    const stderr = new Response(child.stderr).text();
    const { code } = await child.status;
    await counting;
    const seconds = (performance.now() - start) / 1000;
    clearTimeout(timer);
    const [kib, user, sys] = ((await Deno.readTextFile(rssFile)).trim().split("\n").at(-1) ?? "")
      .split(" ").map(Number);
    return {
      seconds,
      lines,
      rssMb: (kib! * 1024) / 1e6,
      cpuS: user! + sys!,
      code,
      stderr: await stderr,
    };
  } finally {
    await Deno.remove(rssFile);
  }
}

/**
 * The fan-out's dservers, bound to 0.0.0.0 so that every 127.0.0.x reaches them, pushed onto
 * `servers` as they start (the caller stops them, also after a failed start).
 */
export async function startFanoutServers(
  base: string,
  ids: Identities,
  client: BenchClient,
  servers: BenchServer[],
): Promise<void> {
  const total = FANOUT_SERVERS * FANOUT_ADDRESSES;
  for (let i = 0; i < FANOUT_SERVERS; i++) {
    servers.push(
      await BenchServer.start(base, ids, client.publicKey, {
        bindAddress: "0.0.0.0",
        server: { MaxConnections: total + 100, MaxConcurrentCats: 100 },
      }),
    );
  }
}

export function fanoutEntries(ports: readonly number[]): string[] {
  const entries: string[] = [];
  for (const port of ports) {
    for (let i = 1; i <= FANOUT_ADDRESSES; i++) entries.push(`127.0.0.${i}:${port}`);
  }
  return entries;
}

/**
 * How many of `entries` (host:port) have a known_hosts line: each entry is a separate SSH
 * connection that completed its handshake. (Server logs cannot tell the entries apart: on
 * loopback every connection comes from 127.0.0.1.)
 */
async function trustedEntries(home: string, entries: readonly string[]): Promise<number> {
  const text = await Deno.readTextFile(join(home, ".ssh", "known_hosts")).catch(() => "");
  const names = new Set(text.split("\n").map((line) => line.split(" ")[0] ?? ""));
  return entries.filter((e) => {
    const [host, port] = e.split(":");
    return names.has(`[${host}]:${port}`);
  }).length;
}

export async function fanout(
  base: string,
  ids: Identities,
  client: BenchClient,
  oneLineFile: string,
): Promise<SshRow> {
  const total = FANOUT_SERVERS * FANOUT_ADDRESSES;
  const servers: BenchServer[] = [];
  try {
    await startFanoutServers(base, ids, client, servers);
    const entries = fanoutEntries(servers.map((s) => s.port));
    const dcat = await client.launcher("dcat", entries);
    const runs: CountedRun[] = [];
    for (let run = 0; run <= FANOUT_TIMED_RUNS; run++) {
      runs.push(await runCounting([dcat, "--plain", oneLineFile], FANOUT_TIMEOUT_MS));
    }
    const [first, ...timed] = runs;
    if (!first) throw new Error("no fan-out run");
    const bad = runs.filter((r) => r.lines !== total || r.code !== 0);
    for (const r of bad) {
      console.error(
        `bench: fan-out run: ${r.lines} lines, exit ${r.code}: ${r.stderr.slice(0, 500)}`,
      );
    }
    const trusted = await trustedEntries(client.home, entries);
    const rss = Math.max(...runs.map((r) => r.rssMb));
    const s = median(timed.map((r) => r.seconds));
    return {
      name: `fan-out: \`dcat --plain\` of a one-line file, ${total} server entries ` +
        `(${FANOUT_SERVERS} dservers × ${FANOUT_ADDRESSES} addresses)`,
      measured: `peak RSS ${fixed(rss, 1)} MB; all ${total} done in ${fixed(s, 2)} s`,
      target: `< ${FANOUT_RSS_TARGET_MB} MB, every entry answers`,
      pass: bad.length === 0 && trusted === total && rss < FANOUT_RSS_TARGET_MB,
      details: `median of ${timed.length} runs with known hosts; first contact (--trustAllHosts ` +
        `writes ${total} known_hosts entries) ${fixed(first.seconds, 2)} s; ` +
        `runs with a missing line or non-zero exit: ${bad.length} of ${runs.length}; ` +
        `entries in known_hosts: ${trusted}`,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** A client whose stdout is a pipe nobody reads, dcat-ing 1 GB: the server must not buffer it. */
export async function stalledReader(
  base: string,
  ids: Identities,
  client: BenchClient,
  bigFile: string,
): Promise<SshRow> {
  const server = await BenchServer.start(base, ids, client.publicKey);
  try {
    const before = memoryMb(server.pid).rss;
    const dcat = await client.launcher("dcat", [`127.0.0.1:${server.port}`]);
    const child = new Deno.Command(dcat, {
      args: ["--plain", bigFile],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const samples: number[] = [];
    const deadline = performance.now() + STALL_SAMPLE_MS;
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, STALL_INTERVAL_MS));
      samples.push(memoryMb(server.pid).rss);
    }
    const hwm = memoryMb(server.pid).hwm;
    const clientRss = memoryMb(child.pid).hwm;
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel();
    const last = samples.at(-1) ?? NaN;
    const first = samples[Math.floor(samples.length / 10)] ?? NaN;
    return {
      name: "dserver memory while the client stops reading a 1 GB `dcat --plain`",
      measured: `peak ${fixed(hwm, 1)} MB`,
      target: `< ${SERVER_MEMORY_TARGET_MB} MB`,
      pass: hwm < SERVER_MEMORY_TARGET_MB,
      details: `dserver RSS idle ${fixed(before, 1)} MB, at 1 s ${fixed(first, 1)} MB, ` +
        `after ${STALL_SAMPLE_MS / 1000} s ${fixed(last, 1)} MB (VmHWM = peak); ` +
        `client peak RSS ${fixed(clientRss, 1)} MB`,
    };
  } finally {
    await server.stop();
  }
}
