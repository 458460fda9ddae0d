/**
 * `make bench-ssh-before BEFORE_DIR=<checkout with bin/>`: the SSH throughput cases, this checkout
 * against another one, in one run. Each side runs its own dserver and its own client (old ↔ old,
 * new ↔ new) on loopback; BENCH_RUNS rounds (default 9) alternate the sides, the order swapped
 * every round. Median wall and client CPU per side; a row is **SLOWER** when now/before exceeds
 * 1.05 in both. Appends to bench/results/history.md.
 */
import { join, resolve } from "node:path";
import { ensureData } from "./generate.ts";
import { measureOnce, median, outputDigest, type Sample } from "./measure.ts";
import { appendHistory, machineInfo } from "./report.ts";
import { withScratchDir } from "./scratch.ts";
import { BenchClient, BenchServer, BIN_DIR, identities } from "./ssh_server.ts";

const TOLERANCE = 1.05;
const DATA_DIR = join(import.meta.dirname ?? ".", "data");

async function main(): Promise<number> {
  const beforeDir = Deno.env.get("BEFORE_DIR") ?? "";
  if (beforeDir === "") {
    console.error("bench-ssh-before: set BEFORE_DIR to a checkout with bin/ (make bin there)");
    return 2;
  }
  const beforeBin = join(resolve(beforeDir), "bin");
  const runs = Number(Deno.env.get("BENCH_RUNS") || 9);
  const load = Deno.loadavg();
  const data = await ensureData(DATA_DIR);
  return await withScratchDir("dtail-ssh-before-", async (base) => {
    const ids = await identities();
    const client = await BenchClient.create(base, ids);
    const servers: BenchServer[] = [];
    try {
      const sides = [] as { name: string; bin: string; port: number }[];
      for (const [name, bin] of [["before", beforeBin], ["now", BIN_DIR]] as const) {
        const server = await BenchServer.start(base, ids, client.publicKey, { binDir: bin });
        servers.push(server);
        sides.push({ name, bin, port: server.port });
      }
      const cases = [
        { program: "dcat", args: ["--plain", data.log] },
        { program: "dgrep", args: ["--plain", "--grep", "ERROR", data.log] },
        { program: "dcat", args: [data.log] },
      ];
      const rows: string[] = [];
      let slower = 0;
      for (const c of cases) {
        const argv = new Map<string, string[]>();
        for (const side of sides) {
          const launcher = await client.launcher(c.program, [`127.0.0.1:${side.port}`], side.bin);
          argv.set(side.name, [launcher, ...c.args]);
        }
        const digests = await Promise.all(sides.map((s) => outputDigest(argv.get(s.name)!)));
        const samples = new Map<string, Sample[]>(sides.map((s) => [s.name, []]));
        for (let round = 0; round < runs; round++) {
          const order = round % 2 === 0 ? sides : [...sides].reverse();
          for (const side of order) {
            samples.get(side.name)!.push(await measureOnce(argv.get(side.name)!));
          }
        }
        const wall = (n: string) => median(samples.get(n)!.map((s) => s.seconds));
        const cpu = (n: string) => median(samples.get(n)!.map((s) => s.cpuSeconds));
        const rw = wall("now") / wall("before");
        const rc = cpu("now") / cpu("before");
        const bad = rw > TOLERANCE && rc > TOLERANCE;
        if (bad) slower++;
        const same = digests[0] === digests[1] ? "" : " (OUTPUT DIFFERS)";
        rows.push(
          `| \`${c.program} ${
            c.args.map((a) => a.replace(`${DATA_DIR}/`, "")).join(" ")
          }\` over SSH | ` +
            `${wall("before").toFixed(3)} | ${wall("now").toFixed(3)} | ${rw.toFixed(3)} | ` +
            `${cpu("before").toFixed(2)} | ${cpu("now").toFixed(2)} | ${rc.toFixed(3)} | ` +
            `${bad ? "**SLOWER**" : "PASS"}${same} |`,
        );
        console.error(`bench-ssh-before: ${c.program} ${rows.at(-1)}`);
      }
      const report = [
        `## bench-ssh-before ${new Date().toISOString()}`,
        "",
        await machineInfo(runs, load),
        `- before: ${beforeDir}; ${runs} rounds per side (median), client CPU = user+sys`,
        `- **${slower} of ${rows.length} row(s) slower than before by more than 5%**`,
        "",
        "| Case | before wall s | now wall s | now/before wall | before CPU s | now CPU s | now/before CPU | Result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ...rows,
        "",
      ].join("\n");
      console.log(report);
      appendHistory(report);
      return 0;
    } finally {
      for (const server of servers) await server.stop();
    }
  });
}

Deno.exit(await main());
