import assert from "node:assert/strict";
import { decodeResumeRequest, type FilePosition } from "../../core/protocol/resume.ts";
import { SavedPositionTable } from "./saved_table.ts";

const T = "/var/log/*.log";
const pos = (name: string, ino: number, offset: number): FilePosition => ({
  path: `/var/log/${name}`,
  dev: 1,
  ino,
  offset,
  mark: "00000000",
});

function table(now: { t: number }, changes: { n: number } = { n: 0 }) {
  return new SavedPositionTable(new Map([[T, [pos("a.log", 1, 10), pos("b.log", 2, 20)]]]), {
    now: () => now.t,
    settleMs: 1000,
    onChange: () => changes.n++,
  });
}

Deno.test("saved positions make the first connection's resume request", () => {
  const t = table({ t: 0 });
  assert.deepEqual(decodeResumeRequest(t.request(T)!), [pos("a.log", 1, 10), pos("b.log", 2, 20)]);
  assert.equal(t.request("/other/*.log"), undefined);
  assert.deepEqual(t.positionsOf(T), [pos("a.log", 1, 10), pos("b.log", 2, 20)]);
});

Deno.test("positions of this run replace the saved ones of the same file, and are told", () => {
  const changes = { n: 0 };
  const t = table({ t: 0 }, changes);
  t.record(T, pos("a.log", 1, 15));
  assert.equal(changes.n, 1);
  assert.deepEqual(t.positionsOf(T), [pos("a.log", 1, 15), pos("b.log", 2, 20)]);
  assert.deepEqual(t.toSave(), new Map([[T, [pos("a.log", 1, 15), pos("b.log", 2, 20)]]]));
});

Deno.test("a saved file not confirmed once its target settled is dropped at the save", () => {
  const now = { t: 0 };
  const t = table(now);
  t.record(T, pos("a.log", 1, 15));
  now.t = 999; // a Ctrl-C right after the start keeps it
  assert.deepEqual(t.toSave().get(T), [pos("a.log", 1, 15), pos("b.log", 2, 20)]);
  now.t = 1000; // b.log was deleted, or renamed out of the glob
  t.record(T, pos("c.log", 3, 0));
  assert.deepEqual(t.toSave().get(T), [pos("a.log", 1, 15), pos("c.log", 3, 0)]);
});

Deno.test("a target that got no position in this run keeps its saved ones however long it ran", () => {
  const now = { t: 0 };
  const t = table(now);
  t.record("/other/x.log", { ...pos("x.log", 9, 1), path: "/other/x.log" });
  now.t = 1_000_000;
  assert.deepEqual(t.toSave().get(T), [pos("a.log", 1, 10), pos("b.log", 2, 20)]);
  assert.equal(t.toSave().get("/other/x.log")!.length, 1);
});
