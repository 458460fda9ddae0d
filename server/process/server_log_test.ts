import assert from "node:assert/strict";
import {
  formatLogLine,
  logLevelRank,
  LogSetupError,
  logTimestamp,
  ServerLog,
} from "./server_log.ts";

const at = new Date(2026, 6, 4, 9, 5, 7); // local time, 4 July 2026 09:05:07

Deno.test("the time stamp is month, day, hour, minute and second", () => {
  assert.equal(logTimestamp(at), "0704-090507");
});

Deno.test("a log line is LEVEL|MMDD-HHMMSS|fields joined by pipes", () => {
  assert.equal(
    formatLogLine("info", ["alice@127.0.0.1:5000", "shell started", 42], at),
    "INFO|0704-090507|alice@127.0.0.1:5000|shell started|42",
  );
  assert.equal(formatLogLine("warn", [new Error("boom")], at), "WARN|0704-090507|boom");
});

Deno.test("a field's control characters are escaped, so a file name cannot forge a log line", () => {
  const path =
    "/l/z\nINFO|0704-090507|1|stats.ts:1|MAPREDUCE:STATS|currentConnections=999\r\x1b[2J";
  const line = formatLogLine("warn", ["alice", `cannot read ${path}`, "a\tb"], at);
  assert.ok(!["\n", "\r", "\x1b"].some((c) => line.includes(c)), line);
  assert.equal(
    line,
    "WARN|0704-090507|alice|cannot read /l/z\\nINFO|0704-090507|1|stats.ts:1|MAPREDUCE:STATS|" +
      "currentConnections=999\\r\\x1b[2J|a\tb",
  );
});

Deno.test("levels above --logLevel are dropped and return an empty string", () => {
  const lines: string[] = [];
  const log = new ServerLog({
    logger: "stdout",
    level: "WARN",
    logDir: "unused",
    rotation: "daily",
    now: () => at,
    stdout: (t) => lines.push(t),
  });
  assert.equal(log.info("hidden"), "");
  assert.equal(log.error("shown"), "ERROR|0704-090507|shown");
  assert.equal(log.warn("too"), "WARN|0704-090507|too");
  assert.deepEqual(lines, ["ERROR|0704-090507|shown\n", "WARN|0704-090507|too\n"]);
  assert.equal(log.enabled("info"), false);
  assert.equal(log.enabled("fatal"), true);
});

Deno.test("log level none drops everything and unknown levels are an error", () => {
  assert.equal(logLevelRank("none"), -1);
  assert.equal(logLevelRank("All"), 9);
  assert.throws(() => logLevelRank("loud"), LogSetupError);
  assert.throws(
    () => new ServerLog({ logger: "syslog", level: "info", logDir: "x", rotation: "daily" }),
    LogSetupError,
  );
});

Deno.test("the file logger writes <LogDir>/YYYYMMDD.log and switches at the date change", async () => {
  const dir = await Deno.makeTempDir();
  let now = at;
  const log = new ServerLog({
    logger: "file",
    level: "info",
    logDir: `${dir}/log`,
    rotation: "daily",
    now: () => now,
  });
  log.info("one");
  now = new Date(2026, 6, 5, 0, 0, 1);
  log.info("two");
  log.close();
  assert.equal(await Deno.readTextFile(`${dir}/log/20260704.log`), "INFO|0704-090507|one\n");
  assert.equal(await Deno.readTextFile(`${dir}/log/20260705.log`), "INFO|0705-000001|two\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("other rotations write dserver.log, and reopen follows a moved file", async () => {
  const dir = await Deno.makeTempDir();
  const lines: string[] = [];
  const log = new ServerLog({
    logger: "fout",
    level: "info",
    logDir: dir,
    rotation: "signal",
    now: () => at,
    stdout: (t) => lines.push(t),
  });
  log.info("before");
  await Deno.rename(`${dir}/dserver.log`, `${dir}/dserver.log.1`);
  log.reopen();
  log.info("after");
  log.close();
  assert.equal(await Deno.readTextFile(`${dir}/dserver.log.1`), "INFO|0704-090507|before\n");
  assert.equal(await Deno.readTextFile(`${dir}/dserver.log`), "INFO|0704-090507|after\n");
  assert.equal(lines.length, 2);
  await Deno.remove(dir, { recursive: true });
});
