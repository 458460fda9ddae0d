import assert from "node:assert/strict";
import { FieldTargets, NO_TIME, TIME_KEYS, timeRank } from "./field_targets.ts";
import { LineFields } from "./line_fields.ts";

const encoder = new TextEncoder();
const find = (targets: FieldTargets, key: string) => {
  const bytes = encoder.encode(`xx${key}yy`);
  return targets.find(bytes, 2, bytes.length - 2);
};

Deno.test("targets are the wanted barewords, not $ variables or *", () => {
  const targets = new FieldTargets(new Set(["a", "req.status", "$line", "*", "$hostname"]));
  assert.deepEqual(targets.paths.map((p) => new TextDecoder().decode(p)), ["a", "req.status"]);
  assert.equal(find(targets, "req.status"), 1);
  assert.equal(find(targets, "a"), 0);
  assert.equal(find(targets, "b"), -1);
  assert.equal(find(targets, "req"), -1);
  assert.equal(targets.none, false);
  assert.equal(new FieldTargets(new Set(["$line"])).none, true);
  assert.equal(new FieldTargets(null).all, true);
  assert.equal(new FieldTargets(null).none, false);
});

Deno.test("wanting $time adds its source keys, ranked, with a slot only when wanted", () => {
  const targets = new FieldTargets(new Set(["ts", "$time"]));
  const fields = new LineFields();
  targets.bind(fields);
  const ts = find(targets, "ts");
  const time = find(targets, "time");
  const timestamp = find(targets, "timestamp");
  assert.deepEqual([ts, time, timestamp].map((t) => targets.timeRanks[t]), [2, 1, 3]);
  assert.equal(targets.slots[ts], fields.slotOf("ts"));
  assert.equal(targets.slots[time], -1);
  assert.equal(targets.timeSlot, fields.slotOf("$time"));
  assert.ok(targets.timeSlot >= 0);
});

Deno.test("without $time no key is a time source", () => {
  const targets = new FieldTargets(new Set(["time"]));
  targets.bind(new LineFields());
  assert.equal(targets.timeRanks[find(targets, "time")], 0);
  assert.equal(targets.timeSlot, -1);
  assert.equal(find(targets, "ts"), -1);
});

Deno.test("timeRank orders time, ts and timestamp", () => {
  assert.deepEqual(TIME_KEYS.map(timeRank), [1, 2, 3]);
  assert.equal(timeRank("date"), 0);
  assert.equal(NO_TIME, 4);
});
