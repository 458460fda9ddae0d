import assert from "node:assert/strict";
import { readFileChunks } from "../chunks.ts";
import { filterChunks } from "../pipeline.ts";
import { GroupSet } from "./aggregate.ts";
import { Mapper } from "./mapper.ts";
import { mapFileInHalves, mapFilter } from "./parallel_map.ts";
import { parseQuery } from "./query.ts";
import { openRegular } from "../open_file.ts";

const OPTIONS = { serverLogFormat: "default", hostname: "h" };
/** Any file taken over, in pieces of 64 KiB, the worker started at once and claiming first. */
const WORKER_AT_ONCE = {
  ...OPTIONS,
  maxLineLength: 1 << 20,
  minBytes: 1,
  pieceBytes: 64 * 1024,
  probeBytes: 0,
  workerFirst: true,
};

async function statsFile(lines: number): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".log" });
  const text = Array.from(
    { length: lines },
    (_, i) =>
      i % 3 === 0
        ? `plain log line ${i}`
        : `INFO|1124-${String(100000 + i).slice(-6)}|1|s.go:1|8|${i % 17}|7|0.5|1s|` +
          `MAPREDUCE:STATS|host=web${i % 5}|n=${i}`,
  ).join("\n") + "\n";
  await Deno.writeTextFile(path, text);
  return path;
}

async function sequential(query: string, path: string): Promise<string> {
  const mapper = new Mapper(parseQuery(query), OPTIONS);
  using file = Deno.openSync(path);
  const filter = await mapFilter(mapper.query, 1 << 20);
  for await (const sel of filterChunks(readFileChunks(file), filter)) mapper.selection(sel, "x");
  return JSON.stringify(mapper.groups.rows().map((r) => [r.groupKey, [...r.cells]]));
}

Deno.test("a file mapped from both ends gives what one pass gives, last values included", async () => {
  const path = await statsFile(30_000);
  const query = "from STATS select host,count($line),sum(n),min($goroutines),max(n)," +
    "last($time),len($time),avg(n) group by host";
  const mapper = new Mapper(parseQuery(query), OPTIONS);
  const opened = openRegular(path);
  using _file = opened.file;
  let split = [0, 0];
  const taken = await mapFileInHalves(opened, "x", mapper, {
    ...WORKER_AT_ONCE,
    onPieces: (here, worker) => split = [here, worker],
  });
  assert.equal(taken, true);
  const pieces = Math.ceil((await Deno.stat(path)).size / (64 * 1024));
  assert.ok(pieces > 10);
  assert.deepEqual(split, [1, pieces - 1], "the worker maps every piece after the first");
  const halves = JSON.stringify(mapper.groups.rows().map((r) => [r.groupKey, [...r.cells]]));
  assert.equal(halves, await sequential(query, path));
  assert.match(halves, /"last\(\$time\)","1124-129999"/, "the last line's time wins");
});

Deno.test("values that are not numbers are counted on both threads", async () => {
  const path = await statsFile(30_000);
  const mapper = new Mapper(parseQuery("from STATS select sum(host) group by host"), OPTIONS);
  const opened = openRegular(path);
  using _file = opened.file;
  let split = [0, 0];
  await mapFileInHalves(opened, "x", mapper, {
    ...WORKER_AT_ONCE,
    onPieces: (here, worker) => split = [here, worker],
  });
  assert.ok(split[0]! > 0 && split[1]! > 0, `pieces here and on the worker: ${split}`);
  assert.deepEqual(mapper.takeSkippedNotes(), [
    'sum(host): skipped 20000 value(s) that are not numbers (the first: "web1")',
  ]);
});

Deno.test("with maxGroups the worker stops early and this thread hands its groups on", async () => {
  const path = await statsFile(30_000);
  const query = "from STATS select n,count($line),last($time) group by n";
  const mapper = new Mapper(parseQuery(query), OPTIONS);
  const opened = openRegular(path);
  using _file = opened.file;
  let split = [0, 0];
  const sent = new GroupSet(mapper.query);
  let sends = 0;
  await mapFileInHalves(opened, "x", mapper, {
    ...WORKER_AT_ONCE,
    maxGroups: 2000,
    onManyGroups: () => {
      assert.ok(mapper.groups.size >= 2000);
      sent.merge(mapper.takeGroups());
      sends++;
    },
    onPieces: (here, worker) => split = [here, worker],
  });
  const pieces = Math.ceil((await Deno.stat(path)).size / (64 * 1024));
  assert.ok(split[1]! > 0 && split[1]! < pieces - 1, `the worker stopped early: ${split}`);
  assert.equal(split[0]! + split[1]!, pieces, "every piece mapped once");
  assert.ok(sends > 2, `${sends} sends`);
  sent.merge(mapper.takeGroups());
  const halves = JSON.stringify(sent.rows().map((r) => [r.groupKey, [...r.cells]]));
  assert.equal(halves, await sequential(query, path));
});

Deno.test("a file in pieces of any size is mapped as one pass maps it", async () => {
  const path = await statsFile(30_000);
  const query = "from STATS select host,count($line),sum(n),last($time) group by host";
  const size = (await Deno.stat(path)).size;
  for (const pieceBytes of [size, Math.floor(size / 3), 1000]) {
    const mapper = new Mapper(parseQuery(query), OPTIONS);
    const opened = openRegular(path);
    using _file = opened.file;
    const options = { ...OPTIONS, maxLineLength: 1 << 20, minBytes: 1, pieceBytes };
    assert.equal(
      await mapFileInHalves(opened, "x", mapper, { ...options, probeBytes: 0 }),
      true,
    );
    const rows = JSON.stringify(mapper.groups.rows().map((r) => [r.groupKey, [...r.cells]]));
    assert.equal(rows, await sequential(query, path), `pieces of ${pieceBytes} bytes`);
  }
});

Deno.test("small, compressed and CSV inputs are left to the caller", async () => {
  const path = await statsFile(100);
  const opened = openRegular(path);
  using _file = opened.file;
  const small = new Mapper(parseQuery("from STATS select count($line)"), OPTIONS);
  assert.equal(
    await mapFileInHalves(opened, "x", small, {
      ...OPTIONS,
      maxLineLength: 99,
    }),
    false,
  );
  const csv = new Mapper(parseQuery("select count($line) logformat csv"), OPTIONS);
  const opts = { ...OPTIONS, maxLineLength: 99, minBytes: 1 };
  assert.equal(await mapFileInHalves(opened, "x", csv, opts), false);
  const gz = await Deno.makeTempFile({ suffix: ".gz" });
  await Deno.writeFile(gz, new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
  const gzOpened = openRegular(gz);
  using _gzFile = gzOpened.file;
  assert.equal(await mapFileInHalves(gzOpened, "x", small, opts), false);
});

Deno.test("with a wire regex both halves filter by it, not by the query's table", async () => {
  const path = await statsFile(30_000);
  const query = "from STATS select host,count($line) group by host";
  for (
    const regex of [{ pattern: "host=web1\\|", invert: false }, {
      pattern: "\\|MAPREDUCE:\\|", // a Go client's `from *` filter: matches no line
      invert: false,
    }, { pattern: "host=web1\\|", invert: true }]
  ) {
    const mapper = new Mapper(parseQuery(query), OPTIONS);
    const opened = openRegular(path);
    using _file = opened.file;
    const options = {
      ...OPTIONS,
      maxLineLength: 1 << 20,
      minBytes: 1,
      pieceBytes: 256 * 1024,
      probeBytes: 0,
      workerFirst: true,
      regex,
    };
    assert.equal(await mapFileInHalves(opened, "x", mapper, options), true);
    const expected = new Mapper(parseQuery(query), OPTIONS);
    using again = Deno.openSync(path);
    const filter = await mapFilter(expected.query, 1 << 20, regex);
    for await (const sel of filterChunks(readFileChunks(again), filter)) {
      expected.selection(sel, "x");
    }
    const rows = (m: Mapper) =>
      JSON.stringify(m.groups.rows().map((r) => [r.groupKey, [...r.cells]]));
    assert.equal(rows(mapper), rows(expected), JSON.stringify(regex));
    const hosts = mapper.groups.rows().map((r) => r.groupKey);
    if (regex.pattern.includes("web1")) {
      assert.deepEqual(hosts.includes("web1"), !regex.invert, JSON.stringify(hosts));
    } else assert.deepEqual(hosts, []);
  }
});
