/**
 * Serverless `dtail --resume FILE` (docs/usage.md#resume-across-runs): the real dtail stopped with
 * SIGTERM and started again; while it was stopped files grew, one was rotated, one truncated, one
 * deleted and one created. Every line is printed exactly once, in order per file, across the runs.
 */
import assert from "node:assert/strict";
import { append, assertExactlyOnceInOrder, Follower, numbered } from "./follower.ts";
import { assertNoStackTrace, run, tempDir } from "./helpers.ts";

const lines = (f: Follower) => f.payload().filter((l) => l !== "");
const has = (f: Follower, ...wanted: string[]) => () => wanted.every((w) => f.lines.includes(w));

Deno.test("dtail --resume prints every line once across a stop, a rotation, a truncation and new files", async () => {
  const dir = await tempDir("dtail-resume-serverless-");
  const state = `${dir}/state.json`;
  const [a, b, c, d, e] = ["a", "b", "c", "d", "e"].map((n) => `${dir}/${n}.log`) as [
    string,
    string,
    string,
    string,
    string,
  ];
  for (const path of [a, b, c, d]) await append(path, numbered(`${path} old`, 0, 5));
  const args = ["--resume", state, `${dir}/*.log`];
  try {
    const first = new Follower(args);
    await first.ready(a);
    for (const [path, name] of [[a, "a"], [b, "b"], [c, "c"], [d, "d"]] as const) {
      await append(path, numbered(name, 0, 100));
    }
    await first.waitFor(has(first, "a 99", "b 99", "c 99", "d 99"), "the first run's lines");
    assert.equal(await first.stop("SIGTERM"), 0);
    assert.equal((await Deno.stat(state)).mode! & 0o777, 0o600);

    // While dtail is stopped.
    await append(a, numbered("a", 100, 100));
    await append(b, numbered("b", 100, 50));
    await Deno.rename(b, `${b}.1`); // rotated out of the glob: finished from its position
    await append(b, numbered("b new", 0, 50));
    await Deno.writeTextFile(c, numbered("c new", 0, 10).join("\n") + "\n"); // truncated
    await Deno.remove(d);
    await append(e, numbered("e", 0, 50)); // appeared while away: from its start

    const second = new Follower(args);
    await second.waitFor(
      has(second, "a 199", "b 149", "b new 49", "c new 9", "e 49"),
      "the lines written while dtail was stopped",
    );
    await append(a, numbered("a", 200, 100));
    await second.waitFor(has(second, "a 299"), "lines written after the restart");
    assert.equal(await second.stop("SIGTERM"), 0);

    const all = [...lines(first), ...lines(second)];
    assertExactlyOnceInOrder(all, numbered("a", 0, 300));
    assertExactlyOnceInOrder(all, [...numbered("b", 0, 150), ...numbered("b new", 0, 50)]);
    assertExactlyOnceInOrder(all, [...numbered("c", 0, 100), ...numbered("c new", 0, 10)]);
    assertExactlyOnceInOrder(all, numbered("d", 0, 100));
    assertExactlyOnceInOrder(all, numbered("e", 0, 50));
    assert.equal(all.length, 300 + 200 + 110 + 100 + 50, `printed ${all.length} lines`);
    assert.ok(!all.some((l) => l.includes(" old ")), "a line from before the first run");
    const notices = second.stderr.split("\n").filter((l) => l !== "");
    assert.ok(notices.some((l) => /\/c\.log is shorter than the position/.test(l)), second.stderr);
    // e.log may get the inode d.log had (tmpfs and ext4 reuse them): its notice says truncated.
    for (const line of notices) assert.match(line, /^dtail: resume: .*\/[ce]\.log is shorter/);
    assert.equal(first.stderr, "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt --resume file is told in one line, followed as without it, and left as it is", async () => {
  const dir = await tempDir("dtail-resume-serverless-");
  const state = `${dir}/state.json`;
  const app = `${dir}/app.log`;
  try {
    await Deno.writeTextFile(state, '{"kind": "dtail-resume-state", "version": 1, "servers": {');
    await append(app, ["written before the run"]);
    const f = new Follower(["--resume", state, app]);
    await f.ready(app);
    await append(app, numbered("line", 0, 10));
    await f.waitFor(has(f, "line 9"), "lines after the start");
    assert.equal(await f.stop("SIGTERM"), 0);
    assert.deepEqual(f.payload(), numbered("line", 0, 10));
    const warnings = f.stderr.split("\n").filter((l) => l !== "");
    assert.equal(warnings.length, 1, f.stderr);
    assert.match(warnings[0]!, /^dtail: --resume .*state.json is not a dtail resume state file/);
    assertNoStackTrace(f.stderr);
    const kept = await Deno.readTextFile(state);
    assert.equal(kept, '{"kind": "dtail-resume-state", "version": 1, "servers": {');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dtail --resume without files is a usage error, in one line", async () => {
  const r = await run("dtail", ["--cfg", "none", "--resume", "/tmp/never-written.json"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /--resume needs files to follow/);
});

Deno.test("dtail --resume never follows its own state file, though the glob matches it", async () => {
  const dir = await tempDir("dtail-resume-own-state-");
  const state = `${dir}/state.log`;
  const a = `${dir}/a.log`;
  await append(a, ["a old"]);
  await Deno.writeTextFile(state, ""); // an empty state: no positions yet
  const follower = new Follower(["--resume", state, `${dir}/*.log`]);
  try {
    await follower.ready(a);
    await append(a, numbered("a", 0, 3));
    await follower.waitFor(has(follower, "a 2"), "the appended lines");
    await follower.waitFor(
      () => follower.stderr.includes("is the --resume state file of this run"),
      "the refusal of the state file",
    );
    assert.equal(await follower.stop("SIGTERM"), 0);
    assert.deepEqual(lines(follower), numbered("a", 0, 3));
    assert.equal(follower.stderr.match(/is the --resume state file of this run/g)?.length, 1);
    assertNoStackTrace(follower.stderr);
  } finally {
    await follower.stop("SIGKILL").catch(() => {});
  }
});
