import assert from "node:assert/strict";
import { SkippedValues } from "./skipped_values.ts";

Deno.test("skipped values are told once per select item, with the first value quoted", () => {
  const skipped = new SkippedValues(["sum(host)", "count($line)", "avg(path)"]);
  skipped.add(0, "web01");
  skipped.add(0, "web02");
  skipped.add(2, "/api");
  assert.deepEqual(skipped.takeNotes(), [
    'sum(host): skipped 2 value(s) that are not numbers (the first: "web01")',
    'avg(path): skipped 1 value(s) that are not numbers (the first: "/api")',
  ]);
  assert.deepEqual(skipped.takeNotes(), []);
});

Deno.test("skipped values tell only what came since the last notes, naming the first ever", () => {
  const skipped = new SkippedValues(["max(x)"]);
  skipped.add(0, "a");
  skipped.takeNotes();
  skipped.add(0, "b");
  skipped.add(0, "c");
  assert.deepEqual(skipped.takeNotes(), [
    'max(x): skipped 2 value(s) that are not numbers (the first: "a")',
  ]);
});

Deno.test("skipped values of a map worker are added, its first value kept where ours had none", () => {
  const ours = new SkippedValues(["sum(a)", "sum(b)"]);
  ours.add(0, "x");
  const worker = new SkippedValues(["sum(a)", "sum(b)"]);
  worker.add(0, "y");
  worker.add(1, "z");
  worker.add(1, "w");
  ours.absorb(worker.plain());
  assert.deepEqual(ours.takeNotes(), [
    'sum(a): skipped 2 value(s) that are not numbers (the first: "x")',
    'sum(b): skipped 2 value(s) that are not numbers (the first: "z")',
  ]);
});

Deno.test("a skipped value is quoted escaped and clipped, so a note stays one short line", () => {
  const skipped = new SkippedValues(["sum(x)"]);
  skipped.add(0, `\u001b[31m${"v".repeat(100)}\n`);
  const [note] = skipped.takeNotes();
  assert.ok(note !== undefined);
  assert.ok(!note.includes("\u001b") && !note.includes("\n"), note);
  assert.match(note, /\(the first: "\\u001b\[31mv+…"\)$/);
  assert.ok(note.length < 120, note);
});

Deno.test("the end notes say which field no line had, or that no line was read or aggregated", () => {
  const fields = ["host", "latncy", "$line"];
  const texts = ["host", "avg(latncy)", "count($line)"];
  const none = new SkippedValues(texts);
  assert.deepEqual(none.endNotes("STAT", fields), ["no line of table STAT was read"]);
  assert.deepEqual(none.endNotes("APP.LOG", fields), [
    "no line of table APP.LOG was read (from names a table, not a file: give the files after the query)",
  ]);
  assert.deepEqual(none.endNotes(null, fields), ["no line of the input could be read"]);
  const filtered = new SkippedValues(texts);
  filtered.read();
  filtered.read();
  assert.deepEqual(filtered.endNotes("STATS", fields), [
    "none of the 2 line(s) read was aggregated (see the where clause)",
  ]);
  // Fields of the where clause no line had are named; those a worker saw are not.
  const helper = new SkippedValues(texts);
  helper.whereFieldSeen("host");
  filtered.absorb(helper.plain());
  assert.deepEqual(filtered.endNotes("STATS", fields, ["host", "latncy"]), [
    'none of the 2 line(s) read was aggregated (see the where clause: no line had the field "latncy")',
  ]);
  const ours = new SkippedValues(texts);
  const worker = new SkippedValues(texts);
  for (const set of [ours, worker]) {
    set.read();
    set.line();
    set.absentIn(1);
  }
  ours.read();
  ours.line();
  ours.absentIn(1);
  worker.absentIn(0); // one line without host: host is not absent from all
  ours.absorb(worker.plain());
  assert.deepEqual(ours.endNotes("STATS", fields), [
    'avg(latncy): no line had the field "latncy" (3 line(s) aggregated)',
  ]);
  // A field that is one of the log format's variables without its $ gets it as a hint.
  assert.deepEqual(ours.endNotes("STATS", fields, [], new Set(["$latncy"])), [
    'avg(latncy): no line had the field "latncy" (3 line(s) aggregated; did you mean $latncy?)',
  ]);
});
