/**
 * Job entries in dserver's config (docs/server.md#scheduled-and-continuous-jobs): the examples of
 * docs/server.md load with the real config loader and pass the checks; each wrong entry is one
 * line naming it, and a real dserver with wrong entries still runs the good one.
 */
import assert from "node:assert/strict";
import { ROOT, UPSTREAM } from "./helpers.ts";
import { ConfigError, loadConfig } from "../core/config.ts";
import { checkJobs } from "../app/jobs/job_check.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";
import { serverOwnedDir, textOf, waitFor } from "./jobs_env.ts";

const section = () => {
  const doc = Deno.readTextFileSync(`${ROOT}/docs/server.md`);
  const start = doc.indexOf("## Scheduled and continuous jobs");
  return doc.slice(start, doc.indexOf("\n## ", start + 1));
};

async function load(json: unknown) {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/dtail.json`;
  await Deno.writeTextFile(path, typeof json === "string" ? json : JSON.stringify(json));
  return loadConfig(path, () => undefined);
}

Deno.test("the job examples of docs/server.md load and pass the start-up checks", async () => {
  const json = /```json\n([\s\S]*?)```/.exec(section())![1]!;
  const config = await load(json);
  const { jobs, problems } = checkJobs(config);
  assert.deepEqual(problems, []);
  assert.deepEqual(jobs.map((j) => `${j.kind}:${j.job.Name}`), [
    "Schedule:daily-stats",
    "Continuous:live-errors",
  ]);
  assert.deepEqual(config.Server.Schedule[0]!.TimeRange, [1, 6]);
  assert.equal(config.Server.Continuous[0]!.RestartOnDayChange, true);
});

Deno.test("the error line shown in docs/server.md is the one a wrong TimeRange gets", async () => {
  const shown = /```\n(dserver: .*)\n```/.exec(section())![1]!;
  const json = /```json\n([\s\S]*?)```/.exec(section())![1]!;
  const config = await load(json.replace('"TimeRange": [1, 6]', '"TimeRange": [6, 1]'));
  assert.deepEqual(checkJobs(config).problems.map((p) => `dserver: ${p}`), [shown]);
});

const GOOD = {
  Name: "good",
  Enable: true,
  TimeRange: [0, 24],
  Files: "/var/log/x.log",
  Query: "from STATS select count($line) group by $hostname",
  Outfile: "/tmp/x.csv",
};

Deno.test("each wrong job entry is one line naming it, and the good entries are kept", async () => {
  const config = await load({
    Server: {
      Schedule: [
        GOOD,
        { ...GOOD, Name: "badquery", Query: "from STATS select count($line) group by" },
        { ...GOOD, Name: "ownoutfile", Query: `${GOOD.Query} outfile /tmp/y.csv` },
        { ...GOOD, Name: "badwindow", TimeRange: [9, 25] },
        { ...GOOD, Name: "nowindow", TimeRange: undefined },
        { ...GOOD, Name: "badservers", Servers: ["host:notaport"] },
        { ...GOOD, Name: "nooutfile", Outfile: "" },
        { ...GOOD, Name: "badtype", Enable: "yes" },
        { ...GOOD, Name: "" },
        { ...GOOD, Name: "good" },
      ],
      Continuous: [{ ...GOOD, Name: "good", TimeRange: undefined }],
    },
  });
  const { jobs, problems } = checkJobs(config);
  assert.deepEqual(jobs.map((j) => `${j.kind}:${j.job.Name}`), [
    "Schedule:good",
    "Continuous:good",
  ]);
  const expected: [string, RegExp][] = [
    ['Schedule job "badquery"', /bad Query: /],
    ['Schedule job "ownoutfile"', /Query has an outfile clause/],
    ['Schedule job "badwindow"', /TimeRange must be .* got \[9,25\]/],
    ['Schedule job "nowindow"', /TimeRange must be .* got \[\]/],
    ['Schedule job "badservers"', /bad Servers entry: .*notaport/],
    ['Schedule job "nooutfile"', /Outfile is missing/],
    ['Schedule job "badtype"', /Enable must be true or false, got "yes"/],
    ["Server.Schedule[8]", /Name is missing/],
    ['Schedule job "good"', /Name is used by another job/],
  ];
  assert.equal(problems.length, expected.length, problems.join("\n"));
  expected.forEach(([name, why], i) => {
    assert.ok(problems[i]!.startsWith(`${name}: `), problems[i]);
    assert.match(problems[i]!, why);
    assert.match(problems[i]!, /; the job is skipped$/);
    assert.ok(!problems[i]!.includes("\n"));
  });
});

Deno.test("a Schedule that is not a list is a config error naming the key", async () => {
  await assert.rejects(load({ Server: { Schedule: { Name: "x" } } }), (err) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /Server\.Schedule must be a list of job objects/);
    return true;
  });
});

Deno.test({
  name: "a dserver with wrong job entries says so on stderr and still runs its good job",
  ignore: !canRunServers,
  fn: async () => {
    const dir = await serverOwnedDir();
    const client = await TestClient.create();
    const good = {
      ...GOOD,
      Files: `${UPSTREAM}/mapr_testdata.log`,
      Outfile: `${dir}/good.csv`,
    };
    const server = await TestServer.start(client, {
      server: {
        Schedule: [
          { ...good, Name: "badquery", Query: "select nothing(" },
          { ...good, Name: "badwindow", TimeRange: [5] },
          good,
        ],
        Continuous: [{ ...good, Name: "badservers", Servers: [""] }],
      },
    });
    try {
      await waitFor(
        "the good job's CSV",
        () => textOf(`${dir}/good.csv`),
        20_000,
        () => server.log(),
      );
      assert.equal(textOf(`${dir}/good.csv`), "count($line)\n597\n");
      const lines = server.log().split("\n").filter((l) =>
        l.startsWith("dserver: ") && l.includes(" job ")
      );
      assert.equal(lines.length, 3, server.log());
      assert.match(
        lines[0]!,
        /^dserver: Schedule job "badquery": bad Query: .*; the job is skipped$/,
      );
      assert.match(lines[1]!, /^dserver: Schedule job "badwindow": TimeRange must be/);
      assert.match(lines[2]!, /^dserver: Continuous job "badservers": bad Servers entry/);
      assert.doesNotMatch(server.log(), /\n\s+at /); // no stack trace
    } finally {
      assert.equal(await server.stop(), 0);
    }
  },
});
