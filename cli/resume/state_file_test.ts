import assert from "node:assert/strict";
import type { FilePosition } from "../../core/protocol/resume.ts";
import {
  formatState,
  loadStateFile,
  parseState,
  type SavedPositions,
  STATE_KIND,
  writeStateFile,
} from "./state_file.ts";

const a: FilePosition = {
  path: "/var/log/a.log",
  dev: 2049,
  ino: 131,
  offset: 5120,
  mark: "9f3a01c2",
};
const b: FilePosition = { path: "/var/log/b.log", dev: 2049, ino: 132, offset: 0 };

function state(): SavedPositions {
  return new Map([
    ["db1:2222", new Map([["/var/log/*.log", [a, b]]])],
    ["serverless", new Map([["/var/log/a.log", [a]]])],
  ]);
}

const doc = (servers: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ kind: STATE_KIND, version: 1, servers, ...extra });

Deno.test("a state file reads back as the positions it was written from", () => {
  const text = formatState(state(), new Date(0));
  const loaded = parseState(text);
  assert.equal(loaded.problem, null);
  assert.equal(loaded.writable, true);
  assert.deepEqual(loaded.positions, state());
  assert.match(text, /"saved": "1970-01-01T00:00:00.000Z"/);
  // One position a line: a thousand files make a thousand lines, not seven thousand.
  assert.equal(text.split("\n").filter((l) => l.includes('"ino"')).length, 3);
});

Deno.test("a server or target named __proto__ is kept as a name", () => {
  const odd: SavedPositions = new Map([[
    "__proto__",
    new Map([["__proto__", [{ ...b, path: "__proto__" }]]]),
  ]]);
  assert.deepEqual(parseState(formatState(odd, new Date())).positions, odd);
});

Deno.test("a missing or empty file is a state without positions, and may be written", () => {
  for (const loaded of [parseState(""), parseState(" \n"), loadStateFile("/nonexistent/dtail")]) {
    assert.deepEqual(loaded, { positions: new Map(), problem: null, writable: true });
  }
});

Deno.test("a file that is not a state file is ignored with one line and never overwritten", () => {
  for (
    const [text, why] of [
      ["{not json", /not JSON/],
      ['{"servers": {}}', /no "kind"/],
      ["[1,2]", /no "kind"/],
      ["2025-05-01 INFO a log line\n", /not JSON/],
    ] as const
  ) {
    const loaded = parseState(text);
    assert.equal(loaded.writable, false, text);
    assert.equal(loaded.positions.size, 0);
    assert.match(loaded.problem!, why);
    assert.match(loaded.problem!, /^is not a dtail resume state file .*left as it is/);
    assert.doesNotMatch(loaded.problem!, /\n/);
  }
});

Deno.test("a state file of another version is left as it is", () => {
  const loaded = parseState(JSON.stringify({ kind: STATE_KIND, version: 2, servers: {} }));
  assert.equal(loaded.writable, false);
  assert.match(loaded.problem!, /version 2 state file, this dtail reads version 1/);
});

Deno.test("bad entries are dropped with one line naming the first; good ones are kept", () => {
  const loaded = parseState(doc({
    "db1:2222": {
      "/var/log/*.log": [a],
      "/var/log/x.log": [{ ...b, path: "/var/log/x.log", offset: -1 }],
      "/var/log/y.log": "nope",
      "/var/log/z.log": [{ ...b, path: "/etc/shadow" }],
    },
    "db2:2222": 7,
  }));
  assert.equal(loaded.writable, true);
  assert.deepEqual(loaded.positions, new Map([["db1:2222", new Map([["/var/log/*.log", [a]]])]]));
  assert.match(
    loaded.problem!,
    /^has 4 unreadable entries \(first: server db1:2222, target \/var\/log\/x.log: file 1: invalid offset\)/,
  );
});

Deno.test("a position of a file its target does not cover is refused", () => {
  const loaded = parseState(
    doc({ s: { "/var/log/*.log": [{ ...b, path: "/var/log/sub/b.log" }] } }),
  );
  assert.equal(loaded.positions.size, 0);
  assert.match(loaded.problem!, /\/var\/log\/sub\/b.log is not a file of the target/);
});

Deno.test("a state file without a servers object is ours: its entries are gone, it is rewritten", () => {
  const loaded = parseState(JSON.stringify({ kind: STATE_KIND, version: 1 }));
  assert.equal(loaded.writable, true);
  assert.match(loaded.problem!, /no "servers" object/);
});

Deno.test("the state file is replaced whole, readable by its owner only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-state-" });
  try {
    const path = `${dir}/state.json`;
    await Deno.writeTextFile(path, "old", { mode: 0o644 });
    await writeStateFile(path, formatState(state(), new Date()));
    assert.deepEqual(loadStateFile(path).positions, state());
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["state.json"]); // no temporary file left
    await assert.rejects(writeStateFile(`${dir}/missing/state.json`, "{}"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["state.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("what is not a regular file is neither read nor written, and told in one line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-state-" });
  try {
    const fifo = `${dir}/state.fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    await Deno.symlink("/dev/null", `${dir}/null-link`);
    for (const path of [dir, fifo, "/dev/null", `${dir}/null-link`]) {
      const loaded = loadStateFile(path); // a read of the FIFO would block: never returns
      assert.equal(loaded.writable, false, path);
      assert.match(loaded.problem!, /^is not a regular file: following without saved positions/);
      await assert.rejects(writeStateFile(path, "{}"), /not a regular file/);
    }
    assert.ok(Deno.statSync(fifo).isFifo);
    assert.ok(Deno.lstatSync(`${dir}/null-link`).isSymlink);
    assert.ok(Deno.statSync("/dev/null").isCharDevice);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a symlinked state file is written where it points, and stays a link", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-state-" });
  try {
    await Deno.mkdir(`${dir}/real`);
    await Deno.symlink("real/state.json", `${dir}/state.json`);
    await writeStateFile(`${dir}/state.json`, formatState(state(), new Date()));
    assert.ok(Deno.lstatSync(`${dir}/state.json`).isSymlink);
    assert.deepEqual(loadStateFile(`${dir}/real/state.json`).positions, state());
    assert.deepEqual([...Deno.readDirSync(`${dir}/real`)].map((e) => e.name), ["state.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
