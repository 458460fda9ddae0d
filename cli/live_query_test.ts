import assert from "node:assert/strict";
import { BufferedOutput } from "../core/output.ts";
import { parseQuery } from "../core/mapr/query.ts";
import { startLiveQuery } from "./live_query.ts";

const io = () => ({ out: new BufferedOutput(() => {}), warn: () => {} });
const run = (live: { table: boolean; progress: boolean } | undefined, verb: "cat" | "tail") => ({
  live,
  verb,
  targets: [],
  serverless: null,
  ranged: false,
});

Deno.test("without anything live the query prints as through a pipe (no live output)", async () => {
  const query = parseQuery("select count($line) from STATS");
  assert.equal(await startLiveQuery(run(undefined, "cat"), query, io()), null);
  assert.equal(
    await startLiveQuery(run({ table: false, progress: false }, "cat"), query, io()),
    null,
  );
});

Deno.test("a query with an outfile has no table to redraw, and a follow no progress line", async () => {
  const outfile = parseQuery("select count($line) from STATS outfile x.csv");
  assert.equal(
    await startLiveQuery(run({ table: true, progress: false }, "tail"), outfile, io()),
    null,
  );
  const query = parseQuery("select count($line) from STATS");
  assert.equal(
    await startLiveQuery(run({ table: false, progress: true }, "tail"), query, io()),
    null,
  );
  const live = await startLiveQuery(run({ table: true, progress: false }, "tail"), query, io());
  assert.notEqual(live, null);
  assert.equal(live!.hooks.wantsBytes, false);
  live!.end();
});

Deno.test("dmap with a progress line asks servers for their bytes", async () => {
  const query = parseQuery("select count($line) from STATS");
  const live = await startLiveQuery(run({ table: false, progress: true }, "cat"), query, io());
  assert.equal(live?.hooks.wantsBytes, true);
  live!.end();
});
