/**
 * The fourth conformance mode, beside serverless (golden_test.ts), in-memory loopback
 * (loopback_test.ts) and SSH between our own peers (ssh_test.ts): the original Go DTail as the
 * peer, both directions — our clients against a Go dserver, Go clients against our dserver —
 * with ../shared/go-dtail/bin (tests/go_peer_env.ts). Without it, one line says it was skipped.
 *
 * Where the peers agree the outputs are compared exactly. What the Go DTail does differently is
 * asserted as a fact of the peer, with a comment saying so ("Go quirk"): it is never what our
 * peers do between themselves (ssh_test.ts and loopback_test.ts check that).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace, bytesEqual, run, type RunResult, spawn, UPSTREAM } from "./helpers.ts";
import { TestClient, TestServer } from "./ssh_env.ts";
import {
  assertIntervalReports,
  assertSameRowsInSortOrder,
  CASES,
  mapr,
  outfileOf,
  statsLine,
} from "./dmap_cases.ts";
import { append, assertExactlyOnceInOrder, numbered } from "./follower.ts";
import {
  copyHome,
  csvHasRows,
  go,
  goDmapRetried,
  goPeerSkipReason,
  goRaw,
  GoServer,
  type Home,
  ours,
  type Peer,
  rawSession,
  spawnGo,
  tableHasRows,
} from "./go_peer_env.ts";

const SKIP = goPeerSkipReason;
if (SKIP !== null) {
  Deno.test({ name: `Go peer conformance: skipped (${SKIP})`, ignore: true, fn: () => {} });
}

/** Registers a test of this suite unless the Go peer is missing. */
function peerTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  if (SKIP === null) Deno.test({ name: `Go peer: ${name}`, fn });
}

const bytes = (name: string) => Deno.readFileSync(`${UPSTREAM}/${name}`);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOST = "integrationtest";

/** Removes what a test made (temporary dirs, client homes, server dirs). */
async function remove(...paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => Deno.remove(p, { recursive: true }).catch(() => {})));
}

/**
 * Steps that run concurrently (a Go client or a Go server takes 0.1–5 s mostly waiting), at most
 * `limit` at a time; each is still its own step in the report.
 */
function concurrently(t: Deno.TestContext, limit = 6) {
  let free = limit;
  const waiting: (() => void)[] = [];
  const steps: Promise<boolean>[] = [];
  return {
    step(name: string, fn: () => Promise<void>): void {
      steps.push(t.step({
        name,
        sanitizeOps: false,
        sanitizeResources: false,
        sanitizeExit: false,
        fn: async () => {
          while (free === 0) await new Promise<void>((r) => waiting.push(r));
          free--;
          try {
            await fn();
          } finally {
            free++;
            waiting.shift()?.();
          }
        },
      }));
    },
    async done(): Promise<void> {
      await Promise.all(steps);
    },
  };
}

/** Test files and the Server config both kinds of dserver get. */
interface Fixture {
  readonly dir: string;
  /** Readable by every test user, allowed for dtail-bob by the Permissions rules. */
  readonly pub: string;
}

async function fixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "dtail-go-peer-" });
  const pub = `${dir}/public`;
  await Deno.mkdir(pub);
  for (const d of [dir, pub]) await Deno.chmod(d, 0o755);
  const colors = `${UPSTREAM}/dcatcolors.txt`;
  const compressed = [["gz", ["gzip", "-c", colors]], ["zst", ["zstd", "-q", "-c", colors]]];
  for (const [ext, cmd] of compressed as [string, string[]][]) {
    const out = await new Deno.Command(cmd[0]!, { args: cmd.slice(1), stdout: "piped" }).output();
    assert.ok(out.success, `${cmd[0]} failed`);
    await Deno.writeFile(`${dir}/dcatcolors.txt.${ext}`, out.stdout, { mode: 0o644 });
  }
  await Deno.writeTextFile(`${dir}/secret.log`, "secret\n", { mode: 0o600 });
  await Deno.chmod(`${dir}/secret.log`, 0o600);
  await Deno.writeTextFile(`${pub}/ok.log`, "line1\nline2\n");
  await Deno.writeTextFile(`${dir}/private.log`, "not for bob\n");
  for (const f of [`${pub}/ok.log`, `${dir}/private.log`]) await Deno.chmod(f, 0o644);
  return { dir, pub };
}

/** The same limits and rules on both kinds of dserver. */
function serverConfig(f: Fixture): Record<string, unknown> {
  return {
    MaxLineLength: 1024, // dcat3: lines split at 1024 bytes, as in the Go integration tests
    MaxConcurrentCats: 100, // dmap3 reads 100 files in one session
    Permissions: {
      Default: ["readfiles:^/.*$"],
      Users: { "dtail-bob": [`readfiles:^${f.pub}/`] },
    },
  };
}

/** A Go dserver and one of ours, set up alike, and a client key both accept. */
interface World {
  readonly f: Fixture;
  readonly client: TestClient;
  /** The Go clients' HOME: the same key, their own known_hosts. */
  readonly goHome: Home;
  readonly goServer: GoServer;
  readonly ourServer: TestServer;
  stop(): Promise<void>;
}

async function world(): Promise<World> {
  const f = await fixture();
  const client = await TestClient.create();
  const goHome = await copyHome(client);
  const users = ["dtail-alice", "dtail-bob"];
  const env = { DTAIL_HOSTNAME_OVERRIDE: HOST };
  const [goServer, ourServer] = await Promise.all([
    GoServer.start(client, { server: serverConfig(f), users, env }),
    TestServer.start(client, { server: serverConfig(f), users, env }),
  ]);
  // The first connection of each client trusts the host key and registers the auth key (a Go
  // dserver answers a registered key at once); later runs may then go concurrently.
  await ours(client, "dcat", [goServer], ["--plain", "/dev/null"]);
  await ours(client, "dcat", [ourServer], ["--plain", "/dev/null"]);
  await go(goHome, "dcat", [goServer], ["--plain", "/dev/null"]);
  await go(goHome, "dcat", [ourServer], ["--plain", "/dev/null"]);
  return {
    f,
    client,
    goHome,
    goServer,
    ourServer,
    stop: async () => {
      await Promise.all([goServer.stop(), ourServer.stop()]);
      await remove(f.dir, client.home, goHome.home, ourServer.dir);
    },
  };
}

/** One direction of the peering: which client runs against which server. */
interface Direction {
  readonly name: string;
  /** True for our client against the Go dserver, false for the Go client against ours. */
  readonly ourClient: boolean;
  readonly server: Peer;
  run(
    program: string,
    args: string[],
    options?: { cwd?: string; user?: string },
  ): Promise<RunResult>;
}

function directions(w: World): [Direction, Direction] {
  return [
    {
      name: "our client → Go dserver",
      ourClient: true,
      server: w.goServer,
      run: (program, args, options) => ours(w.client, program, [w.goServer], args, options),
    },
    {
      name: "Go client → our dserver",
      ourClient: false,
      server: w.ourServer,
      run: (program, args, options) => go(w.goHome, program, [w.ourServer], args, options),
    },
  ];
}

/** Exit 0 and no stack trace (a Go client exits 0 whatever happened: its output decides). */
function assertSucceeded(r: RunResult): void {
  assertNoStackTrace(r.stderr);
  assert.equal(r.code, 0, r.stderr);
}

/** Go's `LEVEL|MMDD-HHMMSS|context|message` notice (a line of its own). */
const LONG_LINE_NOTICE = (path: string) =>
  new RegExp(
    `^WARN\\|\\d{4}-\\d{6}\\|${escapeRegex(path)}\\|Long log line, splitting into multiple lines$`,
  );

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const lines = (s: string) => s.split("\n").filter((l) => l !== "");

peerTest("the golden dcat, dgrep and dmap cases, both directions", async (t) => {
  const w = await world();
  try {
    const steps = concurrently(t);
    for (const d of directions(w)) {
      for (const name of ["dcat1a.txt", "dcat1b.txt", "dcat1c.txt"]) {
        steps.step(`${d.name}: dcat --plain reproduces ${name}`, async () => {
          const r = await d.run("dcat", ["--plain", `${UPSTREAM}/${name}`]);
          assertSucceeded(r);
          assert.ok(bytesEqual(r.stdout, bytes(name)), r.text.slice(0, 200));
        });
      }
      steps.step(`${d.name}: dcat2.txt given 20 times comes back 20 times`, async () => {
        const files = Array(20).fill(`${UPSTREAM}/dcat2.txt`).join(",");
        const r = await d.run("dcat", ["--plain", "--files", files]);
        assertSucceeded(r);
        const want = text(bytes("dcat2.txt")).repeat(20);
        // Go quirk: a Go dserver reads the files of a session concurrently, so their lines may
        // come in any order; ours reads them one after the other, in the order sent.
        if (d.ourClient) assert.deepEqual(lines(r.text).sort(), lines(want).sort());
        else assert.equal(r.text, want);
      });
      steps.step(`${d.name}: dcat3's long line comes in 1024-byte pieces`, async () => {
        const path = `${UPSTREAM}/dcat3.txt`;
        const r = await d.run("dcat", ["--plain", path]);
        assertSucceeded(r);
        // Go's plain mode has no way to tell a notice from a line: the Go dserver's notice and
        // ours to a Go client arrive as payload and are printed with the lines, as Go does.
        const got = r.text.split("\n");
        const notices = got.filter((l) => LONG_LINE_NOTICE(path).test(l));
        assert.equal(notices.length, 1, r.text.slice(-300));
        assert.equal(
          got.filter((l) => !LONG_LINE_NOTICE(path).test(l)).join("\n"),
          text(bytes("dcat3.txt.expected")),
        );
      });
      for (const ext of ["", ".gz", ".zst"]) {
        const path = ext === "" ? `${UPSTREAM}/dcatcolors.txt` : `${w.f.dir}/dcatcolors.txt${ext}`;
        const id = (b: Uint8Array) =>
          ext === "" ? b : new TextEncoder().encode(
            text(b).replaceAll("|dcatcolors.txt|", `|dcatcolors.txt${ext}|`).replaceAll(
              "dcatcolors.txt\x1b",
              `dcatcolors.txt${ext}\x1b`,
            ),
          );
        steps.step(`${d.name}: dcat --plain of dcatcolors.txt${ext}`, async () => {
          const r = await d.run("dcat", ["--plain", path]);
          assertSucceeded(r);
          assert.ok(bytesEqual(r.stdout, bytes("dcatcolors.txt")), r.text.slice(0, 300));
        });
        steps.step(`${d.name}: dcat --noColor of dcatcolors.txt${ext}`, async () => {
          const r = await d.run("dcat", ["--noColor", path]);
          assertSucceeded(r);
          assert.equal(r.text, text(id(bytes("dcatcolors.server.expected"))));
        });
        steps.step(`${d.name}: colored dcat of dcatcolors.txt${ext}`, async () => {
          const r = await d.run("dcat", [path]);
          assertSucceeded(r);
          assert.ok(bytesEqual(r.stdout, id(bytes("dcatcolors.expected"))), r.text.slice(0, 300));
        });
      }
      const grepCases: [string[], string][] = [
        [["--grep", "1002-071947"], "dgrep1.txt.expected"],
        [["--grep", "1002-07194[789]"], "dgrep2.txt.expected"],
        [["--grep", "1002-071947", "--before", "2", "--after", "3"], "dgrepcontext1.txt.expected"],
        [
          ["--grep", "1002-071947", "--invert", "--before", "2", "--after", "3"],
          "dgrepcontext2.txt.expected",
        ],
      ];
      for (const [args, expected] of grepCases) {
        steps.step(`${d.name}: dgrep ${args.join(" ")} matches ${expected}`, async () => {
          const r = await d.run("dgrep", ["--plain", ...args, mapr]);
          assertSucceeded(r);
          assert.equal(r.text, text(bytes(expected)));
        });
      }
      for (
        const args of [
          ["--grep", "1002-071947", "--max", "3"],
          ["--grep", "1002-07194[78]", "--max", "2", "--before", "1", "--after", "1"],
          ["--grep", "1002-071947", "--invert", "--max", "4"],
        ]
      ) {
        steps.step(
          `${d.name}: dgrep ${args.join(" ")} prints what serverless dgrep does`,
          async () => {
            const [want, r] = await Promise.all([
              run("dgrep", ["--plain", "--cfg", "none", ...args, mapr]),
              d.run("dgrep", ["--plain", ...args, mapr]),
            ]);
            assert.equal(want.code, 0, want.stderr);
            assertSucceeded(r);
            assert.ok(lines(want.text).length > 0);
            assert.equal(r.text, want.text);
          },
        );
      }
      for (const c of CASES) {
        steps.step(`${d.name}: dmap ${c.name}`, async () => {
          const cwd = await Deno.makeTempDir({ dir: w.f.dir, prefix: "dmap-" });
          const out = outfileOf(c.query);
          const once = () =>
            d.run("dmap", ["--quiet", "--query", c.query.trim(), "--files", c.inputs.join(",")], {
              cwd,
            });
          const r = d.ourClient
            ? await once()
            : await goDmapRetried(once, () => csvHasRows(`${cwd}/${out}`));
          assertSucceeded(r);
          const got = await Deno.readTextFile(`${cwd}/${out}`);
          if (c.tiesUnordered) assertSameRowsInSortOrder(got, c.expected);
          else assert.equal(got, c.expected);
          assert.equal(await Deno.readTextFile(`${cwd}/${out}.query`), c.query.trim());
        });
      }
    }
    await steps.done();
  } finally {
    await w.stop();
  }
});

/** The order-by column of a query, if any (rows tied on it may come in any order from Go). */
function orderColumn(query: string): string | null {
  return /\br?order\s+by\s+(\S+)/i.exec(query)?.[1] ?? null;
}

/**
 * A dmap result (CSV, or a terminal table) equal to `want`: exactly, or for an ordered query the
 * same rows with the same order-column values in the same order (Go's sort is not stable, ties
 * come in any order; ours are ordered by group key).
 */
function assertSameResult(got: string, want: string, query: string, csv: boolean): void {
  const order = orderColumn(query);
  if (order === null) return assert.equal(got, want);
  const split = (s: string) => {
    const all = s.split("\n");
    const start = csv ? 1 : all.findIndex((l) => /^-+(\|-+)*$/.test(l)) + 1;
    assert.ok(start > 0, `no table in:\n${s}`);
    let end = start;
    while (end < all.length && all[end] !== "") end++;
    const cells = (l: string) => csv ? l.split(",") : l.split("|").map((c) => c.trim());
    const column = cells(all[start - (csv ? 1 : 2)]!).indexOf(order);
    assert.ok(column >= 0, `no column ${order} in:\n${s}`);
    const rows = all.slice(start, end);
    return {
      frame: [...all.slice(0, start), ...all.slice(end)],
      rows: [...rows].sort(),
      order: rows.map((r) => cells(r)[column]),
    };
  };
  const [g, w] = [split(got), split(want)];
  assert.deepEqual(g.frame, w.frame);
  assert.deepEqual(g.rows, w.rows);
  assert.deepEqual(g.order, w.order);
}

/**
 * dmap queries beyond the golden cases (all over mapr_testdata.log unless `inputs` says);
 * `fromGoDserver` is what a Go dserver gives instead, where that is a quirk of the peer.
 */
const QUERIES: { query: string; inputs?: string[]; fromGoDserver?: string }[] = [
  {
    query: "from STATS select count($line),last($time),avg($goroutines)," +
      "min(concurrentConnections),max(lifetimeConnections) group by $hostname",
  },
  { query: "from STATS select count($line),max($goroutines) where $goroutines > 15 group by *" },
  { query: 'from STATS select count($line) where $time hasprefix "1002-0719" group by $hostname' },
  { query: "from STATS select $mask,last($time) set $mask = maskdigits($time) group by $hostname" },
  {
    query:
      "from STATS select count($line),avg(lifetimeConnections) where lifetimeConnections >= 3 " +
      "and $goroutines < 20 group by currentConnections order by count($line)",
  },
  {
    query: "from STATS select max($goroutines),min($goroutines),count($line) group by $time " +
      "order by max($goroutines) limit 3",
  },
  {
    query: 'from STATS select count($line),last($line) where $caller eq "stats.go:56" and ' +
      'lifetimeConnections ne "1" group by currentConnections',
  },
  { query: "from STATS select avg($loadavg),max($cgocalls),count($line) group by $cpus" },
  {
    query: "from STATS select count($line),sum($goroutines),last($time) group by " +
      "lifetimeConnections rorder by sum($goroutines)",
  },
  {
    query: "from STATS select count($line) where $goroutines >= 10 and $goroutines <= 12 " +
      "group by $goroutines rorder by count($line) limit 2",
  },
  {
    query: "from STATS select $goroutines,count($line) group by $goroutines order by count($line)",
  },
  // 203 rows: the terminal shows 10 (no tie across the cut) and says so.
  {
    query:
      "from STATS select avg($goroutines),count($line) group by $time order by avg($goroutines)",
  },
  {
    query: "select count($line) logformat csv",
    inputs: [`${UPSTREAM}/dmap_csv_multifile_a.csv.in`, `${UPSTREAM}/dmap_csv_multifile_b.csv.in`],
    // Go quirk: without `group by` a Go dserver makes every line a group of its own, where Go's
    // serverless mode (the golden dmap_csv_multifile.csv.expected) and our dserver count 5.
    fromGoDserver: "count($line)\n1\n1\n1\n1\n1\n",
  },
  {
    query: "select sum($timecount),last($time),min($min_goroutines), group by $hostname set " +
      "$timecount = `count($time)`, $time = `$time`, $min_goroutines = `min($goroutines)` " +
      "logformat csv",
    inputs: [`${UPSTREAM}/dmap5.csv.in`],
  },
];

peerTest("dmap queries: tables, CSV outfiles and .query files, both directions", async (t) => {
  const w = await world();
  const [toGo, toOurs] = directions(w);
  try {
    const steps = concurrently(t);
    for (const [i, { query, inputs = [mapr], fromGoDserver }] of QUERIES.entries()) {
      const files = inputs.join(",");
      const csvRun = async (d: Direction | null, name: string) => {
        const cwd = await Deno.makeTempDir({ dir: w.f.dir, prefix: "query-" });
        const q = `${query} outfile ${name}.csv`;
        const args = ["--quiet", "--noColor", "--query", q, "--files", files];
        const r = d === null
          ? await run("dmap", ["--cfg", "none", ...args], { cwd })
          : d.ourClient
          ? await d.run("dmap", args, { cwd })
          : await goDmapRetried(() => d.run("dmap", args, { cwd }), () =>
            csvHasRows(`${cwd}/${name}.csv`));
        assert.equal(r.code, 0, r.stderr);
        assert.equal(await Deno.readTextFile(`${cwd}/${name}.csv.query`), q);
        return await Deno.readTextFile(`${cwd}/${name}.csv`);
      };
      const tableRun = async (run: Promise<RunResult>) => {
        const r = await run;
        assertNoStackTrace(r.stderr);
        assert.equal(r.code, 0, r.stderr);
        return r.text;
      };
      const tableArgs = ["--quiet", "--noColor", "--query", query, "--files", files];
      const env = { DTAIL_HOSTNAME_OVERRIDE: HOST };
      // References: our serverless dmap, and for tables the Go client against the Go dserver.
      const reference = csvRun(null, "serverless");
      const ourTable = tableRun(run("dmap", ["--cfg", "none", ...tableArgs], { env }));
      const goTable = tableRun(
        goDmapRetried(() => go(w.goHome, "dmap", [w.goServer], tableArgs, { env }), tableHasRows),
      );
      // Awaited by the steps; a failure is theirs to report, not an unhandled rejection.
      for (const p of [reference, ourTable, goTable]) p.catch(() => {});
      for (const d of [toGo, toOurs]) {
        steps.step(`${d.name}: query ${i + 1} to CSV: ${query}`, async () => {
          const [got, want] = await Promise.all([csvRun(d, "peer"), reference]);
          assert.ok(want.split("\n").length > 2, want);
          if (d === toGo && fromGoDserver !== undefined) assert.equal(got, fromGoDserver);
          else assertSameResult(got, want, query, true);
        });
      }
      // Tables: the same rendering from both clients (checked below), so each client's table of
      // the other kind of dserver must be the one it prints for its own kind.
      steps.step(`${toGo.name}: query ${i + 1} as a table`, async () => {
        const [got, want] = await Promise.all([
          tableRun(ours(w.client, "dmap", [w.goServer], tableArgs, { env })),
          fromGoDserver === undefined ? ourTable : goTable,
        ]);
        assertSameResult(got, want, query, false);
      });
      steps.step(`${toOurs.name}: query ${i + 1} as a table, as from a Go dserver`, async () => {
        const [got, want] = await Promise.all([
          tableRun(
            goDmapRetried(
              () => go(w.goHome, "dmap", [w.ourServer], tableArgs, { env }),
              tableHasRows,
            ),
          ),
          fromGoDserver === undefined ? goTable : ourTable,
        ]);
        assertSameResult(got, want, query, false);
      });
      if (fromGoDserver === undefined) {
        steps.step(`query ${i + 1}: our table is the Go client's table`, async () => {
          assertSameResult(await ourTable, await goTable, query, false);
        });
      }
    }
    await steps.done();
  } finally {
    await w.stop();
  }
});

/** The lines a running client prints (for follows). */
class Lines {
  readonly lines: string[] = [];
  #stderr = "";
  readonly #done: Promise<void>;

  constructor(private readonly child: Deno.ChildProcess) {
    this.#done = Promise.all([this.#collect(), this.#collectStderr()]).then(() => {});
  }

  async #collect(): Promise<void> {
    let partial = "";
    const decoder = new TextDecoder();
    for await (const chunk of this.child.stdout) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop()!;
      this.lines.push(...parts);
    }
    if (partial !== "") this.lines.push(partial);
  }

  get stderr(): string {
    return this.#stderr;
  }

  async #collectStderr(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.child.stderr) this.#stderr += decoder.decode(chunk);
  }

  async waitFor(predicate: (lines: string[]) => boolean, what: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate(this.lines)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; got ${this.lines.length} lines, the last:\n` +
            `${this.lines.slice(-5).join("\n")}\nstderr: ${this.#stderr}`,
        );
      }
      await sleep(20);
    }
  }

  /** Appends marker lines to `path` until one is printed: the follow is then under way. */
  async ready(path: string): Promise<void> {
    for (let i = 0; i < 600; i++) {
      await append(path, [`ready-${i}`]);
      await sleep(25);
      if (this.lines.some((l) => l.startsWith("ready-"))) return;
    }
    throw new Error(`the follow never started; stderr: ${this.#stderr}`);
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await this.child.status;
    await this.#done;
  }
}

/** A world-readable empty file in the fixture directory. */
async function emptyLog(w: World, name: string): Promise<string> {
  const path = `${w.f.dir}/${name}`;
  await Deno.writeTextFile(path, "");
  await Deno.chmod(path, 0o644);
  return path;
}

peerTest("dtail follows appends and a rename rotation, both directions", async (t) => {
  const w = await world();
  try {
    const steps = concurrently(t);
    for (const d of directions(w)) {
      steps.step(d.name, async () => {
        const path = await emptyLog(w, `follow-${d.ourClient ? "go" : "ours"}.log`);
        // Keepalives every 0.2 s: a Go dserver answers them (its connection is never given up).
        const keepalive = `${w.client.home}/keepalive.json`;
        await Deno.writeTextFile(keepalive, '{"Client": {"SSHKeepaliveIntervalMs": 200}}');
        const f = new Lines(
          d.ourClient
            ? spawn("dtail", [
              "--cfg",
              keepalive,
              "--user",
              "dtail-alice",
              "--servers",
              w.goServer.address,
              "--trustAllHosts",
              "--plain",
              path,
            ], { env: { HOME: w.client.home, SSH_AUTH_SOCK: "" } })
            : spawnGo(w.goHome, "dtail", [w.ourServer], ["--plain", path]),
        );
        try {
          await f.ready(path);
          const before = numbered("before", 0, 300);
          await append(path, before);
          await f.waitFor((l) => l.includes("before 299"), "the last line before rotating", 15_000);
          await Deno.rename(path, `${path}.1`);
          const after = numbered("after", 0, 100);
          await append(path, after);
          await Deno.chmod(path, 0o644);
          // More lines, one at a time, until the follow shows lines of the new file.
          const later: string[] = [];
          const deadline = Date.now() + 20_000;
          while (!f.lines.some((l) => l.startsWith("later ")) && Date.now() < deadline) {
            later.push(`later ${later.length}`);
            await append(path, later.slice(-1));
            await sleep(200);
          }
          const final = numbered("final", 0, 100);
          await append(path, final);
          await f.waitFor((l) => l.includes("final 99"), "the last line", 15_000);
          const got = f.lines.filter((l) => !l.startsWith("ready-"));
          assertExactlyOnceInOrder(got, before);
          assertExactlyOnceInOrder(got, final);
          if (d.ourClient) {
            // Go quirk: a Go dserver notices the rotation seconds later and opens the new file
            // at its end: the lines written to it in between are lost.
            const newFile = [...after, ...later];
            const seen = got.filter((l) => newFile.includes(l));
            assert.ok(!seen.includes("after 0"), "the first line after the rotation came");
            assert.ok(seen.length < newFile.length, `all ${newFile.length} lines came`);
            assert.doesNotMatch(f.stderr, /did not answer|reconnecting/);
          } else {
            assertExactlyOnceInOrder(got, after);
            assertExactlyOnceInOrder(got, later);
            assert.equal(got.length, before.length + after.length + later.length + final.length);
          }
        } finally {
          await f.stop();
        }
      });
    }
    await steps.done();
  } finally {
    await w.stop();
  }
});

peerTest("dtail --query … interval 1 on a growing file, both directions", async (t) => {
  const w = await world();
  try {
    const steps = concurrently(t);
    for (const d of directions(w)) {
      steps.step(d.name, async () => {
        const log = await emptyLog(w, `query-${d.ourClient ? "go" : "ours"}.log`);
        await assertIntervalReports(log, (args) =>
          // A Go client's --timeout only limits the server; --shutdownAfter ends the client.
          d.run("dtail", [
            "--quiet",
            ...args.map((a) => a === "--timeout" ? "--shutdownAfter" : a),
          ]));
      });
    }
    await steps.done();
  } finally {
    await w.stop();
  }
});

peerTest("a mixed fleet of two Go and two of our dservers, with both clients", async (t) => {
  const f = await fixture();
  const client = await TestClient.create();
  const goHome = await copyHome(client);
  const options = { server: serverConfig(f), env: { DTAIL_HOSTNAME_OVERRIDE: HOST } };
  const fleet: Peer[] = await Promise.all([
    GoServer.start(client, options),
    GoServer.start(client, options),
    TestServer.start(client, options),
    TestServer.start(client, options),
  ]);
  const [go1, go2] = fleet as [GoServer, GoServer];
  const bad = "INFO|1124-101010|1|stats.go:56|8|3|7|0.5|1s|MAPREDUCE:STATS|nokeyvalue";
  const malformed = `${f.dir}/malformed.log`;
  await Deno.writeTextFile(malformed, [statsLine("a", 1), bad, bad, statsLine("a", 2)].join("\n"));
  await Deno.chmod(malformed, 0o644);
  try {
    await ours(client, "dcat", fleet, ["--plain", "/dev/null"]);
    await go(goHome, "dcat", fleet, ["--plain", "/dev/null"]);
    const clients = [
      {
        name: "our client",
        run: (program: string, args: string[], cwd?: string) =>
          ours(client, program, fleet, args, cwd ? { cwd } : {}),
      },
      {
        name: "the Go client",
        run: (program: string, args: string[], cwd?: string) =>
          go(goHome, program, fleet, args, cwd ? { cwd } : {}),
      },
    ];
    const times4 = (s: string) => lines(s.repeat(4)).sort();
    const steps = concurrently(t);
    for (const c of clients) {
      steps.step(`${c.name}: dcat --plain prints every line of all four`, async () => {
        const r = await c.run("dcat", ["--plain", `${UPSTREAM}/dcat1c.txt`]);
        assertNoStackTrace(r.stderr);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(lines(r.text).sort(), times4(text(bytes("dcat1c.txt"))));
      });
      steps.step(`${c.name}: dgrep --plain finds the matches of all four`, async () => {
        const r = await c.run("dgrep", ["--plain", "--grep", "1002-071947", mapr]);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(lines(r.text).sort(), times4(text(bytes("dgrep1.txt.expected"))));
      });
      steps.step(`${c.name}: dmap merges four times every count`, async () => {
        const query = "from STATS select count($line),sum($goroutines),min($goroutines)," +
          "max($goroutines) group by $hostname outfile fleet.csv";
        const cwd = await Deno.makeTempDir({ dir: f.dir, prefix: "fleet-" });
        const r = await c.run("dmap", ["--quiet", "--query", query, mapr], cwd);
        assert.equal(r.code, 0, r.stderr);
        const csv = await Deno.readTextFile(`${cwd}/fleet.csv`);
        assert.equal(
          csv,
          "count($line),sum($goroutines),min($goroutines),max($goroutines)\n" +
            "2388,27768.000000,11.000000,17.000000\n", // 4 × (597, 6942), as serverless ×1
        );
      });
    }
    steps.step("our client: the malformed-line note says which servers it counts", async () => {
      const query = "from STATS select count($line) group by host";
      const r = await ours(client, "dmap", fleet, [
        "--quiet",
        "--noColor",
        "--query",
        query,
        malformed,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.text, /\n +8 \n/); // the good lines of all four
      // Only our dservers report malformed lines (2 each); a Go dserver only logs them.
      assert.match(r.text, /\n4 malformed log line\(s\) skipped\n/);
      const note = r.stderr.split("\n").filter((l) => l.includes("malformed"));
      assert.deepEqual(note, [
        `dmap: the 4 malformed log line(s) skipped are those of the servers that count them: ` +
        `${go1.address}, ${go2.address} (Go DTail) do not report theirs`,
      ]);
    });
    steps.step("the Go client: good lines of all four, no malformed-line note", async () => {
      const query = "from STATS select count($line) group by host";
      const r = await go(goHome, "dmap", fleet, [
        "--quiet",
        "--noColor",
        "--query",
        query,
        malformed,
      ]);
      assert.match(r.text, /\n +8 \n/);
      // Go quirk: the Go client has no malformed-line count (ours sends it as a hidden message).
      assert.doesNotMatch(r.text, /malformed/);
    });
    steps.step(
      "our client, --plain: a missing file everywhere is exit 1, next to a good one 3",
      async () => {
        const missing = await ours(client, "dcat", fleet, ["--plain", `${f.dir}/missing.log`]);
        assert.equal(missing.code, 1, missing.stderr);
        const partial = await ours(client, "dcat", fleet, [
          "--plain",
          "--files",
          `${f.dir}/missing.log,${f.pub}/ok.log`,
        ]);
        assert.equal(partial.code, 3, partial.stderr);
        assert.equal(lines(partial.text).filter((l) => /^line\d$/.test(l)).length, 8);
      },
    );
    await steps.done();
  } finally {
    await Promise.all(fleet.map((s) => (s as GoServer | TestServer).stop()));
    const ourDirs = fleet.filter((s) => s instanceof TestServer).map((s) => s.dir);
    await remove(f.dir, client.home, goHome.home, ...ourDirs);
  }
});

peerTest(
  "AUTHKEY: a registered key logs in from the in-memory store, both directions",
  async (t) => {
    const f = await fixture();
    const client = await TestClient.create();
    const goHome = await copyHome(client);
    const [goServer, ourServer] = await Promise.all([
      GoServer.start(client, { server: serverConfig(f) }),
      TestServer.start(client, { server: serverConfig(f) }),
    ]);
    const file = `${f.pub}/ok.log`;
    try {
      const steps = concurrently(t);
      steps.step("our client registers its key with a Go dserver", async () => {
        const dcat = () =>
          ours(client, "dcat", [goServer], [
            "--plain",
            "--auth-key-path",
            `${client.home}/.ssh/id_ed25519`,
            file,
          ]);
        const first = await dcat();
        assert.equal(first.code, 0, first.stderr);
        assert.equal(first.text, "line1\nline2\n");
        assert.doesNotMatch(goServer.log(), /in-memory auth key store/);
        // Out of authorized_keys: only the key the client registered lets it in now.
        await Deno.writeTextFile(goServer.authorizedKeys(), "");
        const second = await dcat();
        assert.equal(second.code, 0, second.stderr);
        assert.equal(second.text, "line1\nline2\n");
        assert.match(goServer.log(), /Authorized by in-memory auth key store/);
      });
      steps.step("a Go client registers its key with our dserver", async () => {
        const keys = `${ourServer.dir}/cache/dtail-alice.authorized_keys`;
        const dcat = () =>
          go(goHome, "dcat", [ourServer], [
            "--plain",
            "--auth-key-path",
            `${goHome.home}/.ssh/id_ed25519`,
            file,
          ]);
        const first = await dcat();
        assert.equal(first.text, "line1\nline2\n", first.stderr);
        assert.ok(ourServer.log().includes(`authenticated (public key from ${keys})`));
        await Deno.writeTextFile(keys, "");
        const second = await dcat();
        assert.equal(second.text, "line1\nline2\n", second.stderr);
        assert.match(ourServer.log(), /authenticated \(public key from AUTHKEY store\)/);
      });
      await steps.done();
    } finally {
      await Promise.all([goServer.stop(), ourServer.stop()]);
      await remove(f.dir, client.home, goHome.home, ourServer.dir);
    }
  },
);

peerTest("dtailhealth both ways", async (t) => {
  const f = await fixture();
  const client = await TestClient.create();
  const [goServer, ourServer] = await Promise.all([
    GoServer.start(client, { server: serverConfig(f) }),
    TestServer.start(client, { server: serverConfig(f) }),
  ]);
  const env = { HOME: client.home };
  try {
    const steps = concurrently(t);
    steps.step("ours against a Go dserver: OK", async () => {
      const r = await run("dtailhealth", ["--server", goServer.address], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.text, `OK: All fine at ${goServer.address} :-)\n`);
    });
    steps.step("Go's against our dserver: OK", async () => {
      const r = await goRaw("dtailhealth", ["--server", ourServer.address], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.text, `OK: All fine at ${ourServer.address} :-)\n`);
    });
    for (const args of [["--server", "127.0.0.1:1"], []]) {
      steps.step(
        `both with ${args.join(" ") || "no server"}: the same words and status`,
        async () => {
          const [mine, theirs] = await Promise.all([
            run("dtailhealth", args, { env }),
            goRaw("dtailhealth", args, env),
          ]);
          assert.equal(mine.text, theirs.text);
          assert.equal(mine.code, theirs.code);
          assert.equal(mine.code, args.length === 0 ? 1 : 2);
        },
      );
    }
    await steps.done();
  } finally {
    await Promise.all([goServer.stop(), ourServer.stop()]);
    await remove(f.dir, client.home, ourServer.dir);
  }
});

/** A message of a dserver with what differs from run to run (time, client port) made constant. */
function normalized(message: string): string {
  return message.replace(/\|\d{4}-\d{6}\|/g, "|MMDD-HHMMSS|").replace(
    /@127\.0\.0\.1:\d+\|/g,
    "@127.0.0.1:PORT|",
  );
}

/** The notices among a session's messages (`SERVER|…`, or in plain mode `LEVEL|time|…`). */
const noticesOf = (messages: string[]) =>
  messages.map(normalized).filter((m) => /^(SERVER\||[A-Z]+\|MMDD-HHMMSS\|)/.test(m));

const isClose = (messages: string[]) => messages.includes(".syn close connection");
const b64 = (s: string) => btoa(s);

peerTest("every notice a Go client reads is the Go dserver's, level and words", async (t) => {
  const w = await world();
  const { dir, pub } = w.f;
  const enc = (s: string) => new TextEncoder().encode(s);
  const oneNotice = (m: string[]) => noticesOf(m).length > 0;
  const cases: {
    name: string;
    frames: (string | Uint8Array)[];
    user?: string;
    until?: (m: string[]) => boolean;
    /** Facts of the Go dserver that ours does not copy (compared to ours + these). */
    goOnly?: RegExp[];
    /** Compared by shape where the words are each implementation's own. */
    shape?: RegExp;
  }[] = [
    // Go quirk: a Go dserver retries a missing file for 5 s, then says "Giving up"; ours tells
    // at once and does not wait for a file to appear (docs/decisions.md).
    {
      name: "a missing file",
      frames: [`cat: ${dir}/missing.log regex:noop `],
      goOnly: [/\|WARN\|MMDD-HHMMSS\|[^|]+\|Giving up to read file\(s\)\n$/],
    },
    {
      name: "a glob that matches nothing",
      frames: [`cat: ${dir}/*.nomatch regex:noop `],
      goOnly: [/\|WARN\|MMDD-HHMMSS\|[^|]+\|Giving up to read file\(s\)\n$/],
    },
    {
      name: "a missing file in plain mode",
      frames: [`cat:plain=true ${dir}/missing.log regex:noop `],
      goOnly: [/^WARN\|MMDD-HHMMSS\|[^|]+\|Giving up to read file\(s\)\n$/],
    },
    { name: "a file the user may not read", frames: [`cat: ${dir}/secret.log regex:noop `] },
    {
      name: "a file outside the user's Permissions rules",
      frames: [`cat: ${dir}/private.log regex:noop `],
      user: "dtail-bob",
    },
    { name: "a directory", frames: [`cat: ${dir} regex:noop `] },
    { name: "a bad regex", frames: [`grep: ${pub}/ok.log regex:default (`] },
    { name: "a long line", frames: [`cat: ${UPSTREAM}/dcat3.txt regex:noop `] },
    {
      name: "a long line in plain mode",
      frames: [`cat:plain=true ${UPSTREAM}/dcat3.txt regex:noop `],
    },
    { name: "an unknown command", frames: ["bogus: a b c"], until: oneNotice },
    { name: "no protocol prefix", frames: [enc("hello world;")], until: oneNotice },
    {
      name: "a newer protocol version",
      frames: [enc(`protocol 5.0 base64 ${b64("cat: /x regex:noop")};`)],
      until: oneNotice,
    },
    { name: "a protocol 3 client", frames: [enc("protocol 3.0 base64 eHg=;")], until: oneNotice },
    { name: "AUTHKEY with a bad key", frames: ["AUTHKEY notakey"], until: oneNotice },
    {
      name: "a map query the dserver cannot parse",
      frames: ["map: from STATS select bogus(x)"],
      until: oneNotice,
      // The parser's error as it is, with no level: the reason is in each parser's own words.
      shape: new RegExp(
        `^SERVER\\|${HOST}\\|(failed to parse query tokens: )?Invalid query: .*bogus.*\\n$`,
      ),
    },
  ];
  try {
    const steps = concurrently(t, 8);
    for (const c of cases) {
      steps.step(c.name, async () => {
        const options = { user: c.user ?? "dtail-alice", until: c.until ?? isClose };
        const [fromGo, fromOurs] = await Promise.all([
          rawSession(w.client, w.goServer, c.frames, options),
          rawSession(w.client, w.ourServer, c.frames, options),
        ]);
        const [goNotices, ourNotices] = [noticesOf(fromGo), noticesOf(fromOurs)];
        assert.ok(goNotices.length > 0, JSON.stringify(fromGo));
        if (c.shape) {
          assert.equal(ourNotices.length, 1, JSON.stringify(ourNotices));
          assert.match(goNotices[0]!, c.shape);
          assert.match(ourNotices[0]!, c.shape);
          return;
        }
        const goOnly = goNotices.filter((n) => c.goOnly?.some((re) => re.test(n)));
        assert.equal(goOnly.length, c.goOnly?.length ?? 0, JSON.stringify(goNotices));
        assert.deepEqual(ourNotices, goNotices.filter((n) => !goOnly.includes(n)));
      });
    }
    await steps.done();
  } finally {
    await w.stop();
  }
});

peerTest("error paths through the clients, both directions", async (t) => {
  const w = await world();
  const { dir, pub } = w.f;
  const [toGo] = directions(w);
  const unable = (prefix: string) =>
    `${prefix}WARN\\|\\d{4}-\\d{6}\\|dtail-(alice|bob)@127\\.0\\.0\\.1:\\d+\\|` +
    `Unable to read file\\(s\\), check server logs`;
  const givingUp =
    "WARN\\|\\d{4}-\\d{6}\\|dtail-alice@127\\.0\\.0\\.1:\\d+\\|Giving up to read file\\(s\\)";
  try {
    const steps = concurrently(t, 8);
    const failures: [string, string, string?][] = [
      ["a missing file", `${dir}/missing.log`],
      ["a file the user may not read", `${dir}/secret.log`],
      ["a file outside the user's Permissions rules", `${dir}/private.log`, "dtail-bob"],
    ];
    for (const [what, path, user = "dtail-alice"] of failures) {
      const goRetries = path.endsWith("missing.log");
      steps.step(`${toGo.name}: ${what} with --plain: exit 1`, async () => {
        const r = await toGo.run("dcat", ["--plain", path], { user });
        assertNoStackTrace(r.stderr);
        assert.equal(r.code, 1, r.stderr);
        // Go's plain mode cannot tell a notice from a line: they are printed as Go prints them.
        const want = unable("^") + "\\n" + (goRetries ? givingUp + "\\n" : "") + "$";
        assert.match(r.text, new RegExp(want));
      });
      steps.step(`${toGo.name}: ${what}: exit 1, the notice on stderr`, async () => {
        const r = await toGo.run("dcat", [path], { user });
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.text, "");
        assert.match(r.stderr, new RegExp(unable(`^dcat: SERVER\\|${HOST}\\|`), "m"));
      });
      for (const mode of ["--plain", "--noColor"]) {
        steps.step(
          `Go client → our dserver: ${what} (${mode}) prints what a Go dserver makes it print`,
          async () => {
            const [fromGo, fromOurs] = await Promise.all([
              go(w.goHome, "dcat", [w.goServer], [mode, path], { user }),
              go(w.goHome, "dcat", [w.ourServer], [mode, path], { user }),
            ]);
            // Go quirk: a Go client exits 0 whatever happened.
            assert.equal(fromOurs.code, 0);
            // Not the Go client's own stats line (every few seconds while it runs, unless --plain).
            const out = (r: RunResult) =>
              lines(normalized(r.text)).filter((l) =>
                !/^CLIENT\|[^|]*\|INFO\|STATS:STATS\|/.test(l)
              );
            const goLines = out(fromGo).filter((l) => !(goRetries && /Giving up/.test(l)));
            assert.equal(goLines.length, 1, fromGo.text);
            assert.deepEqual(out(fromOurs), goLines);
          },
        );
      }
    }
    steps.step(`${toGo.name}: a missing file next to a readable one: exit 3`, async () => {
      const r = await toGo.run("dcat", ["--plain", "--files", `${dir}/missing.log,${pub}/ok.log`]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.text, /^line1\nline2\n/m);
    });
    steps.step("a bad regex: either client refuses it before connecting, exit 2", async () => {
      const [mine, theirs] = await Promise.all([
        ours(w.client, "dgrep", [w.goServer], ["--grep", "(", `${pub}/ok.log`]),
        go(w.goHome, "dgrep", [w.ourServer], ["--grep", "(", `${pub}/ok.log`]),
      ]);
      assert.equal(mine.code, 2);
      assert.equal(
        mine.stderr,
        'dgrep: invalid regular expression "(": error parsing regexp: missing closing ): `(`\n',
      );
      // Go quirk: the Go client panics (exit 2, a stack trace) on a bad regex or query.
      assert.equal(theirs.code, 2);
      assert.match(theirs.text, /Invalid regex!\|error parsing regexp: missing closing \): `\(`/);
      assert.match(theirs.stderr, /^panic: /);
    });
    steps.step("a bad query: either client refuses it before connecting, exit 2", async () => {
      const query = "from STATS select bogus(x)";
      const [mine, theirs] = await Promise.all([
        ours(w.client, "dmap", [w.goServer], ["--query", query, mapr]),
        go(w.goHome, "dmap", [w.ourServer], ["--query", query, mapr]),
      ]);
      assert.equal(mine.code, 2);
      assert.match(mine.stderr, /^dmap: .*bogus/);
      assert.equal(mine.stderr.trim().split("\n").length, 1, mine.stderr);
      assert.equal(theirs.code, 2); // Go quirk: a panic, as above
      assert.match(
        theirs.text,
        /Can't parse mapr query\|.*Unknown aggregation in 'select' clause: bogus/,
      );
    });
    await steps.done();
  } finally {
    await w.stop();
  }
});

peerTest(
  "the Go wire's own limits: 0xAC inside text, plain lines that start with '.'",
  async (t) => {
    const w = await world();
    const path = `${w.f.dir}/wire.log`;
    await Deno.writeTextFile(path, "price 5 €\n.dot line\nlast\n");
    await Deno.chmod(path, 0o644);
    const enc = new TextEncoder();
    try {
      const steps = concurrently(t);
      for (const mode of ["--plain", "--noColor"]) {
        steps.step(
          `${mode}: both clients print what a Go client prints from a Go dserver`,
          async () => {
            const [goGo, oursGo, goOurs, oursOurs] = await Promise.all([
              go(w.goHome, "dcat", [w.goServer], [mode, path]),
              ours(w.client, "dcat", [w.goServer], [mode, path]),
              go(w.goHome, "dcat", [w.ourServer], [mode, path]),
              ours(w.client, "dcat", [w.ourServer], [mode, path]),
            ]);
            // Go quirk: 0xAC ends a message on the Go wire, so "€" (E2 82 AC) splits its line there
            // and the AC byte is lost; in plain mode a line that starts with "." is a hidden message
            // to a Go client and is not printed. Between our peers neither happens.
            const label = (n: number) =>
              mode === "--plain" ? "" : `REMOTE|${HOST}|100|${n}|wire.log|`;
            const goWire = new Uint8Array([
              ...enc.encode(`${label(1)}price 5 `),
              0xe2,
              0x82,
              ...enc.encode(
                `\n\n${mode === "--plain" ? "" : `${label(2)}.dot line\n`}${label(3)}last\n`,
              ),
            ]);
            for (
              const [who, r] of [["Go → Go", goGo], ["ours → Go", oursGo], [
                "Go → ours",
                goOurs,
              ]] as const
            ) {
              assert.ok(bytesEqual(r.stdout, goWire), `${who}: ${JSON.stringify(r.text)}`);
            }
            assert.equal(oursGo.code, 0, oursGo.stderr);
            assert.equal(oursOurs.code, 0, oursOurs.stderr);
            assert.equal(
              oursOurs.text,
              `${label(1)}price 5 €\n${label(2)}.dot line\n${label(3)}last\n`,
            );
          },
        );
      }
      await steps.done();
    } finally {
      await w.stop();
    }
  },
);

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

peerTest(
  "a truncated .gz: ours sends the whole lines and says so, Go's the partial line",
  async (t) => {
    const w = await world();
    const all = Array.from({ length: 3000 }, (_, i) => `line ${i} of the log, with some padding\n`);
    const packed = await gzip(all.join(""));
    const path = `${w.f.dir}/truncated.log.gz`;
    await Deno.writeFile(path, packed.subarray(0, packed.length >> 1), { mode: 0o644 });
    const notGzip = `${w.f.dir}/text.log.gz`;
    await Deno.writeTextFile(notGzip, "not gzip at all\n");
    for (const p of [path, notGzip]) await Deno.chmod(p, 0o644);
    const damage = /corrupt gzip data at byte \d+ \(unexpected end of file\)/;
    try {
      const serverless = await run("dcat", ["--plain", "--cfg", "none", path]);
      // Partial (3): the file failed, its whole lines before the damage were printed.
      assert.equal(serverless.code, 3, serverless.stderr);
      const whole = serverless.text;
      const count = whole.split("\n").length - 1;
      assert.ok(count > 100 && count < all.length, `${count} lines`);
      assert.equal(whole, all.slice(0, count).join(""));
      assert.match(serverless.stderr, damage);
      const steps = concurrently(t);
      steps.step("our client → our dserver: the same lines, exit 3", async () => {
        const r = await ours(w.client, "dcat", [w.ourServer], ["--plain", path]);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.text, whole);
        assert.match(
          r.stderr,
          new RegExp(`^dcat: ${w.ourServer.address}: ERROR\\|.*${damage.source}$`, "m"),
        );
      });
      steps.step("Go client → our dserver: the same lines, then our error notice", async () => {
        const r = await go(w.goHome, "dcat", [w.ourServer], ["--plain", path]);
        assert.ok(r.text.startsWith(whole), r.text.slice(-200));
        assert.match(
          r.text.slice(whole.length),
          new RegExp(`^ERROR\\|\\d{4}-\\d{6}\\|[^|]+\\|${path}: ${damage.source}\\n$`),
        );
      });
      steps.step("our client → Go dserver: Go's partial last line, and no error", async () => {
        const r = await ours(w.client, "dcat", [w.goServer], ["--plain", path]);
        // Go quirk: a Go dserver sends the cut-off end of the last line as if it were a line
        // and says nothing: our client cannot tell the run was partial (exit 0).
        assert.equal(r.code, 0, r.stderr);
        assert.ok(r.text.startsWith(whole), r.text.slice(-200));
        const partial = r.text.slice(whole.length);
        assert.ok(partial.endsWith("\n") && partial.length > 1, JSON.stringify(partial));
        assert.ok(all[count]!.startsWith(partial.slice(0, -1)), JSON.stringify(partial));
        assert.notEqual(partial, all[count]);
      });
      steps.step("a .gz that is not gzip at all: nothing read, exit 1", async () => {
        const [local, remote] = await Promise.all([
          run("dcat", ["--plain", "--cfg", "none", notGzip]),
          ours(w.client, "dcat", [w.ourServer], ["--plain", notGzip]),
        ]);
        for (const r of [local, remote]) {
          assert.equal(r.code, 1, r.stderr);
          assert.equal(r.text, "");
          assert.match(r.stderr, /text\.log\.gz: not in gzip format/);
        }
      });
      await steps.done();
    } finally {
      await w.stop();
    }
  },
);
