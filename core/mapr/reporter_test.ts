import assert from "node:assert/strict";
import { delay } from "../delay.ts";
import { parseQuery } from "./query.ts";
import { startReports } from "./reporter.ts";

const everySecond = parseQuery("select count($line) interval 1");

Deno.test("reports come first after half an interval, then every interval", async () => {
  const start = performance.now();
  const at: number[] = [];
  const reports = startReports(everySecond, () => {
    at.push(performance.now() - start);
    return Promise.resolve();
  });
  await delay(1800);
  await reports.stop();
  assert.equal(at.length, 2, `reports at ${at.join(", ")} ms`);
  assert.ok(at[0]! >= 450 && at[0]! < 1000, `first report at ${at[0]} ms`);
  assert.ok(at[1]! - at[0]! >= 950, `second report at ${at[1]} ms`);
});

Deno.test("stop waits for the report under way, and no report follows", async () => {
  let reports = 0;
  let finished = 0;
  const cycle = startReports(everySecond, async () => {
    reports++;
    await delay(300);
    finished++;
  });
  await delay(650); // the first report has started and takes 300 ms
  assert.equal(reports, 1);
  assert.equal(finished, 0);
  await cycle.stop();
  assert.equal(finished, 1);
  await delay(1200);
  assert.equal(reports, 1);
});

Deno.test("a process lives while its reports run and ends as soon as they stop", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-reports-" });
  try {
    const script = `${dir}/script.ts`;
    const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    // Not top-level await: nothing but the report cycle may keep this process alive. The first
    // report is due after 2 s, the next after 6 s: stopped at 2.3 s, the process ends then.
    await Deno.writeTextFile(
      script,
      `import { delay } from ${url("../delay.ts")};
      import { parseQuery } from ${url("./query.ts")};
      import { startReports } from ${url("./reporter.ts")};
      const start = performance.now();
      const reports = startReports(parseQuery("select count($line) interval 4"), () => {
        console.log("report");
        return Promise.resolve();
      });
      void delay(2300).then(() => reports.stop()).then(() =>
        addEventListener("unload", () => console.log(performance.now() - start < 4000))
      );`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--no-check", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(out.stderr), "");
    assert.equal(new TextDecoder().decode(out.stdout), "report\ntrue\n");
    assert.equal(out.code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
