/**
 * The SSH bench against the Go DTail (issue 15: every row at least 3× Go): the Go client against
 * one Go dserver next to our client against one dserver of ours, both on loopback, the two
 * alternating run by run. dcat (plain and .zst) and dgrep on each data shape, dmap's aggregation,
 * and the fixed cost of a small dcat, dgrep and dmap. A Go client exits 0 even when its run failed,
 * so every row checks what both printed.
 *
 * Our client is the installed program, dist/ (`make dist`: one file, like Go's binaries), when it
 * was built; the bin/ launchers (into the sources) run in the same rounds and are shown beside it.
 */
import { join } from "node:path";
import { DIST_DIR } from "./cases.ts";
import { GO_DIR } from "./go_peer.ts";
import { acAsNewlineDigest, alternate, median, outputDigest, type Sample } from "./measure.ts";
import type { Shape } from "./shapes.ts";
import { type BenchClient, type BenchServer, BIN_DIR } from "./ssh_server.ts";
import type { GoBenchServer } from "./ssh_go_server.ts";
import { fixed, type SshRow } from "./ssh_report.ts";

export const GO_SSH_TARGET = 3;
const FIXED_COST_MIN_RUNS = 9;
const SMALL_FILE = join(BIN_DIR, "..", "tests", "data", "sample.log");
/** Lines of the dmap log copied into the small file of the dmap fixed cost. */
const SMALL_MAPR_LINES = 100;

export interface GoSetup {
  readonly base: string;
  readonly shapes: readonly Shape[];
  /** mapr.log of the dmap bench and its aggregation (bench/dmap.ts). */
  readonly mapr: { readonly log: string; readonly query: string };
  readonly runs: number;
  readonly ours: { readonly client: BenchClient; readonly server: BenchServer };
  /** Whether dist/ is built: then it is ours, and bin/ runs beside it. */
  readonly dist: boolean;
  readonly go: { readonly client: BenchClient; readonly server: GoBenchServer };
}

interface Csvs {
  readonly ours: string;
  readonly go: string;
}

/** One row: ours and Go's command, and what both must print. */
interface GoCase {
  readonly name: string;
  readonly ours: readonly string[];
  readonly go: readonly string[];
  /** Ours through the bin/ launchers, when `ours` is dist/. */
  readonly oursBin?: readonly string[];
  /** A local command printing what both must print, or the CSVs (dmap's outfile) to compare. */
  readonly expect: { readonly command: readonly string[] } | { readonly csv: Csvs };
  /** Input bytes for MB/s (none for the fixed costs). */
  readonly bytes?: number;
  readonly runs: number;
}

const seconds = (samples: readonly Sample[]) => median(samples.map((s) => s.seconds));
const maxRss = (samples: readonly Sample[]) => Math.max(...samples.map((s) => s.rssMb));
const mbPerS = (bytes: number, s: number) => bytes / 1e6 / s;

/** The CSV's rows, sorted (the groups' order is not part of the result). */
async function sortedCsv(path: string): Promise<string> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((line) => line !== "").sort().join("\n");
}

/**
 * What the outputs say, or null when ours is wrong or Go's differs for another reason than its
 * framing (0xAC ends a message over SSH, so Go cuts UTF-8 text holding that byte).
 */
async function outputCheck(c: GoCase): Promise<{ note: string; ok: boolean }> {
  if ("csv" in c.expect) {
    const { csv } = c.expect;
    await outputDigest(c.ours);
    await outputDigest(c.go);
    const [ours, go] = [await sortedCsv(csv.ours), await sortedCsv(csv.go)];
    return ours === go && ours.split("\n").length > 1
      ? { note: "same CSV as Go", ok: true }
      : { note: "CSV DIFFERS from Go's", ok: false };
  }
  const expect = c.expect.command;
  const want = await outputDigest(expect);
  const [ours, go] = [await outputDigest(c.ours), await outputDigest(c.go)];
  const tool = `\`${expect[0]}\``;
  if (ours !== want) return { note: `OUR OUTPUT DIFFERS from ${tool}`, ok: false };
  if (go === want) return { note: `both print what ${tool} prints`, ok: true };
  if (go === await acAsNewlineDigest(expect)) {
    return {
      note: `ours = ${tool}; Go's = it with each byte 0xAC as a newline (Go framing)`,
      ok: true,
    };
  }
  return { note: `ours = ${tool}; GO OUTPUT DIFFERS`, ok: false };
}

async function measure(c: GoCase): Promise<SshRow> {
  const target = `>= ${GO_SSH_TARGET}x Go`;
  const check = await outputCheck(c); // also the first contact: host keys, Go's auth key
  if (c.oursBin !== undefined) await outputDigest(c.oursBin); // bin/'s first run, untimed
  const [ours = [], go = [], bin = []] = await alternate(
    c.oursBin === undefined ? [c.ours, c.go] : [c.ours, c.go, c.oursBin],
    c.runs,
  );
  const ratio = seconds(go) / seconds(ours);
  const binNote = c.oursBin === undefined
    ? ""
    : `; bin/ launchers ${fixed(seconds(bin), 3)} s (${fixed(seconds(go) / seconds(bin), 2)}x)`;
  const rates = c.bytes === undefined
    ? ""
    : `ours ${fixed(mbPerS(c.bytes, seconds(ours)), 0)} MB/s, Go ${
      fixed(mbPerS(c.bytes, seconds(go)), 0)
    } MB/s; `;
  return {
    name: c.name,
    measured: `${fixed(ratio, 2)}x (Go ${fixed(seconds(go), 3)} s, ours ${
      fixed(seconds(ours), 3)
    } s)`,
    target,
    pass: check.ok && ratio >= GO_SSH_TARGET,
    details: `${rates}median of ${c.runs} each; client peak RSS ours ${
      fixed(maxRss(ours), 1)
    } MB, Go ${fixed(maxRss(go), 1)} MB; ${check.note}${binNote}`,
  };
}

/**
 * Launchers for program on both sides: ours against our dserver (dist/ when built, and bin/),
 * Go's against the Go one.
 */
async function launchers(s: GoSetup, program: string): Promise<[string, string, string | null]> {
  const ours = [`127.0.0.1:${s.ours.server.port}`];
  const bin = await s.ours.client.launcher(program, ours);
  return [
    s.dist ? await s.ours.client.launcher(program, ours, DIST_DIR) : bin,
    await s.go.client.launcher(program, [`127.0.0.1:${s.go.server.port}`], GO_DIR),
    s.dist ? bin : null,
  ];
}

async function throughputCases(s: GoSetup): Promise<GoCase[]> {
  const [dcat, goDcat, binDcat] = await launchers(s, "dcat");
  const [dgrep, goDgrep, binDgrep] = await launchers(s, "dgrep");
  const cases: GoCase[] = [];
  for (const { name, set, bytes } of s.shapes) {
    for (const file of [set.log, set.zst]) {
      const shown = file === set.log ? name : `${name}.zst`;
      cases.push({
        name: `\`dcat --plain ${shown}\` over SSH`,
        ours: [dcat, "--plain", file],
        go: [goDcat, "--plain", file],
        ...(binDcat === null ? {} : { oursBin: [binDcat, "--plain", file] }),
        expect: { command: ["cat", set.log] },
        bytes,
        runs: s.runs,
      });
    }
    const grep = ["--plain", "--grep", "ERROR", set.log];
    cases.push({
      name: `\`dgrep --plain --grep ERROR ${name}\` over SSH`,
      ours: [dgrep, ...grep],
      go: [goDgrep, ...grep],
      ...(binDgrep === null ? {} : { oursBin: [binDgrep, ...grep] }),
      expect: { command: ["grep", "-F", "ERROR", set.log] },
      bytes,
      runs: s.runs,
    });
  }
  return cases;
}

/** The first `count` lines of a file (each well under 1 KB), newline-terminated. */
async function firstLines(path: string, count: number): Promise<string> {
  using file = await Deno.open(path);
  const buffer = new Uint8Array(count * 1024);
  const read = await file.read(buffer) ?? 0;
  const lines = new TextDecoder().decode(buffer.subarray(0, read)).split("\n", count);
  return lines.join("\n") + "\n";
}

async function dmapCases(s: GoSetup): Promise<GoCase[]> {
  const [dmap, goDmap, binDmap] = await launchers(s, "dmap");
  const small = join(s.base, "mapr-small.log");
  await Deno.writeTextFile(small, await firstLines(s.mapr.log, SMALL_MAPR_LINES));
  await Deno.chmod(small, 0o644);
  const run = (file: string, runs: number, name: string, bytes?: number): GoCase => {
    const csv = { ours: join(s.base, `${name}-ours.csv`), go: join(s.base, `${name}-go.csv`) };
    const args = (out: string) => ["--plain", "--query", `${s.mapr.query} outfile ${out}`, file];
    return {
      name: name === "small"
        ? `fixed cost: \`dmap\` of ${SMALL_MAPR_LINES} lines, 1 server`
        : "`dmap` group by host,$cpus on mapr.log over SSH",
      ours: [dmap, ...args(csv.ours)],
      go: [goDmap, ...args(csv.go)],
      ...(binDmap === null ? {} : { oursBin: [binDmap, ...args(csv.ours)] }),
      expect: { csv },
      ...(bytes === undefined ? {} : { bytes }),
      runs,
    };
  };
  const bytes = (await Deno.stat(s.mapr.log)).size;
  return [
    run(s.mapr.log, s.runs, "mapr", bytes),
    run(small, Math.max(s.runs, FIXED_COST_MIN_RUNS), "small"),
  ];
}

async function fixedCostCases(s: GoSetup): Promise<GoCase[]> {
  const [dcat, goDcat, binDcat] = await launchers(s, "dcat");
  const [dgrep, goDgrep, binDgrep] = await launchers(s, "dgrep");
  const runs = Math.max(s.runs, FIXED_COST_MIN_RUNS);
  const grep = ["--plain", "--grep", "ERROR", SMALL_FILE];
  return [{
    name: "fixed cost: `dcat --plain sample.log` (15 KB), 1 server",
    ours: [dcat, "--plain", SMALL_FILE],
    go: [goDcat, "--plain", SMALL_FILE],
    ...(binDcat === null ? {} : { oursBin: [binDcat, "--plain", SMALL_FILE] }),
    expect: { command: ["cat", SMALL_FILE] },
    runs,
  }, {
    name: "fixed cost: `dgrep --plain --grep ERROR sample.log`, 1 server",
    ours: [dgrep, ...grep],
    go: [goDgrep, ...grep],
    ...(binDgrep === null ? {} : { oursBin: [binDgrep, ...grep] }),
    expect: { command: ["grep", "-F", "ERROR", SMALL_FILE] },
    runs,
  }];
}

/** Every row against the Go DTail; a case that throws becomes a FAIL row. */
export async function goSshRows(
  s: GoSetup,
  progress: (message: string) => void,
): Promise<SshRow[]> {
  const cases = [
    ...await throughputCases(s),
    ...await fixedCostCases(s),
    ...await dmapCases(s),
  ];
  const rows: SshRow[] = [];
  for (const c of cases) {
    progress(`${c.name}, ours vs Go`);
    try {
      rows.push(await measure(c));
    } catch (err) {
      const failure = err instanceof Error ? err.message : String(err);
      progress(`${c.name} failed: ${failure}`);
      const target = `>= ${GO_SSH_TARGET}x Go`;
      rows.push({ name: c.name, measured: "n/a", target, pass: false, details: "", failure });
    }
  }
  return rows;
}
