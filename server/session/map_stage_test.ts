import assert from "node:assert/strict";
import { readFileChunks } from "../../core/chunks.ts";
import { GroupSet } from "../../core/mapr/aggregate.ts";
import { parseAggregate } from "../../core/mapr/aggregate_wire.ts";
import { mapFilter } from "../../core/mapr/parallel_map.ts";
import { parseQuery } from "../../core/mapr/query.ts";
import type { Query } from "../../core/mapr/types.ts";
import { selectInto } from "../../core/pipeline.ts";
import { MapStage, MAX_SERVER_GROUPS, maxGroupsOf } from "./map_stage.ts";

const QUERY = parseQuery("from STATS select id,count($line),sum(v) group by id");
const KEYS = 200_000;

/** A log of KEYS lines of distinct ids (v = the line's number), the worst case for a server. */
async function distinctKeys(): Promise<string> {
  const path = await Deno.makeTempFile({ prefix: "dtail-map-stage-", suffix: ".log" });
  const lines = Array.from(
    { length: KEYS },
    (_, i) => `INFO|1124-000000|1|stats.go:56|8|13|7|0.21|1h|MAPREDUCE:STATS|id=u${i}|v=${i}`,
  );
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  return path;
}

/** The server-side options of a test's map stage. */
const STAGE_OPTIONS = {
  serverLogFormat: "default",
  hostname: "h",
  shortHostname: "h",
  warn: () => {},
  maxLineLength: 1 << 20,
};

/**
 * A map stage whose client merges what it is sent into `merged` and notes how many groups each
 * send held; `tune` sets its bounds; then the file at `path` is mapped and the last groups sent.
 */
async function mapAndRecord(query: Query, path: string, tune: (stage: MapStage) => void) {
  const sends: number[] = [];
  let pending = 0;
  const merged = new GroupSet(query);
  const stage = new MapStage(query, {
    aggregate: (message) => {
      merged.merge(parseAggregate(message, query)!);
      pending++;
    },
    control: () => {},
    flush: () => {
      if (pending > 0) sends.push(pending);
      pending = 0;
      return Promise.resolve();
    },
  }, STAGE_OPTIONS);
  tune(stage);
  try {
    using file = Deno.openSync(path);
    const sink = stage.sink({ pattern: "", invert: false });
    await selectInto(readFileChunks(file), await mapFilter(query, 1 << 20), sink, "src");
    stage.send(); // the last groups, at the end of input
  } finally {
    stage.stop();
  }
  return { sends, merged };
}

Deno.test("a session's groups go out before the interval once there are maxGroups of them", async () => {
  const path = await distinctKeys();
  const { sends, merged } = await mapAndRecord(QUERY, path, (stage) => stage.maxGroups = 1000);
  assert.ok(sends.length > 5, `sent ${sends.length} times before the end`);
  // A send holds what one batch added past the bound, never the whole input.
  assert.ok(Math.max(...sends) < KEYS / 4, `the largest send had ${Math.max(...sends)} groups`);
  assert.equal(merged.size, KEYS);
  const rows = new Map(merged.rows().map((r) => [r.groupKey, r.cells]));
  for (const i of [0, 1, 777, KEYS - 1]) {
    const cells = rows.get(`u${i}`)!;
    assert.deepEqual([cells.get("count($line)"), cells.get("sum(v)")], [1, i]);
  }
});

Deno.test("a session holds fewer groups between sends when each can take more", () => {
  const groups = (text: string) => maxGroupsOf(parseQuery(text));
  assert.equal(groups("select id,count($line),sum(v) group by id"), MAX_SERVER_GROUPS);
  const one = groups("select p99(v) group by id");
  const many = groups(`select ${Array.from({ length: 16 }, (_, i) => `p99(v${i})`)} group by id`);
  assert.ok(one < MAX_SERVER_GROUPS && one > 1000, `one sketch: ${one} groups`);
  assert.ok(many < one / 10 && many >= 100, `16 sketches: ${many} groups`);
  // What they may take stays within the same bound: ~64 MB at ~33 KB a sketch.
  assert.ok(one * 34_000 <= 64 << 20 && many * 16 * 33_000 <= 64 << 20);
  const wide = groups(`select ${Array.from({ length: 256 }, (_, i) => `sum(v${i})`)} group by id`);
  assert.ok(wide < MAX_SERVER_GROUPS && wide * 256 * 16 <= 64 << 20, `256 sums: ${wide} groups`);
});

Deno.test("an interval's send waits while the client still takes the one before", async () => {
  let flushes = 0;
  let release = () => {};
  const stage = new MapStage(parseQuery("select count($line) group by $line interval 1"), {
    aggregate: () => {},
    control: () => {},
    flush: () => {
      flushes++;
      return new Promise<void>((resolve) => release = resolve); // a client that takes nothing
    },
  }, STAGE_OPTIONS);
  try {
    await new Promise((resolve) => setTimeout(resolve, 3500));
    assert.equal(flushes, 1, "one send on its way, none piled up behind it");
    release();
    await new Promise((resolve) => setTimeout(resolve, 1200));
    assert.equal(flushes, 2, "the next interval sends again");
  } finally {
    stage.stop();
    release();
  }
});

Deno.test("groups whose keys and last values are long lines go out before there are many", async () => {
  const query = parseQuery("from STATS select last(v),count($line) group by id");
  const path = await Deno.makeTempFile({ prefix: "dtail-map-stage-", suffix: ".log" });
  const long = (i: number) => `${i}`.padEnd(100_000, "x");
  const lines = Array.from(
    { length: 60 },
    (_, i) =>
      `INFO|1124-000000|1|stats.go:56|8|13|7|0.21|1h|MAPREDUCE:STATS|id=${long(i)}|v=${long(i)}`,
  );
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  // Ten groups of 200,000 characters.
  const { sends, merged } = await mapAndRecord(query, path, (stage) => stage.maxChars = 2_000_000)
    .finally(() => Deno.remove(path));
  assert.ok(sends.length >= 3, `sent ${sends.length} times`);
  assert.ok(Math.max(...sends) < 30, `the largest send had ${Math.max(...sends)} groups`);
  assert.equal(merged.size, 60);
  assert.equal(merged.rows().find((r) => r.groupKey === long(7))?.cells.get("last(v)"), long(7));
});
