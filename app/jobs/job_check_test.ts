import assert from "node:assert/strict";
import { outfileOf, problemOf, queryTextOf, targetsOf } from "./job_check.ts";
import { testJob } from "./_test_jobs.ts";

const day = new Date(2026, 3, 9, 10, 0);

Deno.test("a run sends the query with the dated outfile, and reads the dated files", () => {
  const job = testJob({ Files: " /l/a-$yesterday.log , /l/b*,", Outfile: "/r/out-$today.csv" });
  assert.equal(
    queryTextOf(job, day),
    "from STATS select count($line) group by $hostname outfile /r/out-20260409.csv",
  );
  assert.deepEqual(targetsOf(job, day), ["/l/a-20260408.log", "/l/b*"]);
  assert.deepEqual(outfileOf(job, day), { path: "/r/out-20260409.csv", append: false });
  assert.deepEqual(outfileOf(testJob({ Outfile: "append /r/x.csv" }), day), {
    path: "/r/x.csv",
    append: true,
  });
});

Deno.test("a good entry has no problem; TimeRange is checked for scheduled jobs only", () => {
  assert.equal(problemOf("Schedule", testJob({}), 2222, day), null);
  assert.equal(problemOf("Continuous", testJob({ TimeRange: [] }), 2222, day), null);
  assert.match(problemOf("Schedule", testJob({ TimeRange: [3, 3] }), 2222, day)!, /TimeRange/);
  assert.match(problemOf("Schedule", testJob({ TimeRange: [1.5, 3] }), 2222, day)!, /TimeRange/);
  assert.match(problemOf("Schedule", testJob({ TimeRange: [-1, 3] }), 2222, day)!, /TimeRange/);
});

Deno.test("an empty Files list or an outfile clause in Query is a problem", () => {
  assert.equal(problemOf("Schedule", testJob({ Files: " , " }), 2222, day), "Files is missing");
  assert.equal(problemOf("Schedule", testJob({ Query: " " }), 2222, day), "Query is missing");
  assert.match(problemOf("Schedule", testJob({ Servers: ["a b"] }), 2222, day)!, /bad Servers/);
  assert.match(problemOf("Schedule", testJob({ Servers: ["h:99999"] }), 2222, day)!, /bad Servers/);
});

Deno.test("a server list file that does not exist or an unknown Discovery is a problem", async () => {
  assert.match(
    problemOf("Schedule", testJob({ Servers: ["/etc/nonexistent/servers.txt"] }), 2222, day)!,
    /bad Servers entry: server list file \/etc\/nonexistent\/servers.txt not found/,
  );
  assert.match(
    problemOf("Schedule", testJob({ Discovery: "NOSUCHMODULE:a" }), 2222, day)!,
    /bad Servers or Discovery: .*NOSUCHMODULE/,
  );
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/servers.txt`, "h1:2222\n# comment\nh2\n");
  assert.equal(
    problemOf("Schedule", testJob({ Servers: [`${dir}/servers.txt`] }), 2222, day),
    null,
  );
  await Deno.writeTextFile(`${dir}/empty.txt`, "# none\n");
  assert.equal(
    problemOf("Schedule", testJob({ Servers: [`${dir}/empty.txt`] }), 2222, day),
    "Servers and Discovery name no server",
  );
  assert.equal(problemOf("Schedule", testJob({ Discovery: "COMMA:h1,h2" }), 2222, day), null);
});
