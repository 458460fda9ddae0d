/**
 * Fan-out through a jump host (issue 18): one client, 1,000 server entries (4 dservers bound to
 * 0.0.0.0 × 250 127.0.0.x addresses, all on loopback) reached through ONE OpenSSH sshd
 * (tests/sshd_bastion.ts) named by the client's ~/.ssh/config `ProxyJump`: one bastion login per
 * run, one `direct-tcpip` channel per entry. Reports the client's peak RSS.
 */
import { join } from "node:path";
import { median } from "./measure.ts";
import { type BenchClient, BenchServer, type Identities } from "./ssh_server.ts";
import { fixed, type SshRow } from "./ssh_report.ts";
import {
  FANOUT_ADDRESSES,
  FANOUT_SERVERS,
  fanoutEntries,
  runCounting,
  startFanoutServers,
} from "./ssh_fanout.ts";
import { Bastion, bastionMissing } from "../tests/sshd_bastion.ts";

export const JUMP_FANOUT_RSS_TARGET_MB = 400;
const TIMED_RUNS = 3;
const TIMEOUT_MS = 180_000;

export async function jumpFanout(
  base: string,
  ids: Identities,
  client: BenchClient,
  oneLineFile: string,
): Promise<SshRow> {
  const missing = bastionMissing();
  if (missing !== null) throw new Error(missing);
  const total = FANOUT_SERVERS * FANOUT_ADDRESSES;
  const servers: BenchServer[] = [];
  const bastion = await Bastion.start(client, { logLevel: "VERBOSE" });
  const sshConfig = join(client.home, ".ssh", "config");
  try {
    await startFanoutServers(base, ids, client, servers);
    await Deno.writeTextFile(
      sshConfig,
      `Host bastion\n  HostName 127.0.0.1\n  Port ${bastion.port}\n  User ${bastion.user}\n\n` +
        "Host 127.0.0.*\n  ProxyJump bastion\n",
    );
    const entries = fanoutEntries(servers.map((s) => s.port));
    const dcat = await client.launcher("dcat", entries);
    const runs = [];
    for (let run = 0; run <= TIMED_RUNS; run++) {
      runs.push(await runCounting([dcat, ...extraArgs(), "--plain", oneLineFile], TIMEOUT_MS));
    }
    const [first, ...timed] = runs;
    if (!first) throw new Error("no fan-out run");
    const bad = runs.filter((r) => r.lines !== total || r.code !== 0);
    for (const r of bad) {
      console.error(
        `bench: jump fan-out run: ${r.lines} lines, exit ${r.code}: ${r.stderr.slice(0, 500)}`,
      );
    }
    const logins = bastion.logins();
    const rss = Math.max(...runs.map((r) => r.rssMb));
    const s = median(timed.map((r) => r.seconds));
    const cpu = median(timed.map((r) => r.cpuS));
    return {
      name: `fan-out through one jump host: \`dcat --plain\` of a one-line file, ${total} server ` +
        `entries behind one OpenSSH sshd (ProxyJump in ~/.ssh/config)`,
      measured: `peak RSS ${fixed(rss, 1)} MB; all ${total} done in ${fixed(s, 2)} s ` +
        `(client CPU ${fixed(cpu, 2)} s)`,
      target: `< ${JUMP_FANOUT_RSS_TARGET_MB} MB, every entry answers, one bastion login per run`,
      pass: bad.length === 0 && logins === runs.length && rss < JUMP_FANOUT_RSS_TARGET_MB,
      details: `median of ${timed.length} runs with known hosts; first contact ` +
        `${fixed(first.seconds, 2)} s; runs with a missing line or non-zero exit: ${bad.length} ` +
        `of ${runs.length}; bastion logins ${logins} for ${runs.length} runs`,
    };
  } finally {
    await Deno.remove(sshConfig).catch(() => {});
    await bastion.stop();
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/** `make bench-jump`: only this row. */
if (import.meta.main) {
  const { identities, BenchClient } = await import("./ssh_server.ts");
  const { withScratchDir } = await import("./scratch.ts");
  await withScratchDir("bench-jump-", async (base: string) => {
    const ids = await identities();
    const client = await BenchClient.create(base, ids);
    const oneLine = join(base, "one-line.log");
    await Deno.writeTextFile(oneLine, "2026-11-24T09:00:00Z fanout: INFO  hello from dserver\n");
    await Deno.chmod(oneLine, 0o644);
    const row = await jumpFanout(base, ids, client, oneLine);
    console.log(`${row.pass ? "PASS" : "MISS"} ${row.name}\n  ${row.measured}\n  ${row.details}`);
  });
}

function extraArgs(): string[] {
  const cpc = Deno.env.get("BENCH_JUMP_CPC");
  return cpc ? ["--cpc", cpc] : [];
}
