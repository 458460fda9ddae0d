import assert from "node:assert/strict";
import { defaultConfig } from "../../core/config.ts";
import { warmUp } from "./warm_up.ts";

Deno.test("warmUp warns once of each rule whose regex does not compile", async () => {
  const config = defaultConfig(() => undefined);
  config.Server.Permissions = { Default: ["^/var/log/", "^/srv/(x"], Users: {} };
  const warned: string[] = [];
  const debugged: string[] = [];
  await warmUp(config, { warn: (m) => warned.push(m), debug: (m) => debugged.push(m) });
  assert.deepEqual(warned, [
    'Server.Permissions.Default[1] rule "^/srv/(x" has a bad regex: it denies every path of its type',
  ]);
  assert.deepEqual(
    debugged.filter((m) => !/^warm-up: follow of \d+ files rehearsed in/.test(m)),
    [],
  );
});

Deno.test("warmUp never throws: what it could not prepare goes to the debug log", async () => {
  const config = defaultConfig(() => undefined);
  // A config no validation would let through: the warm-up stops with one debug line.
  (config.Server as { Permissions: unknown }).Permissions = null;
  const debugged: string[] = [];
  await warmUp(config, { warn: () => {}, debug: (m) => debugged.push(m) });
  assert.equal(debugged.length, 1);
  assert.match(debugged[0]!, /^warm-up stopped: /);
});

Deno.test("a dserver set up for big follows rehearses one at start-up, the default does not", async () => {
  for (const [tails, rehearsed] of [[50, false], [500, true], [1000, true]] as const) {
    const config = defaultConfig(() => undefined);
    config.Server.MaxConcurrentTails = tails;
    const debugged: string[] = [];
    await warmUp(config, { warn: () => {}, debug: (m) => debugged.push(m) });
    const said = debugged.some((m) => /^warm-up: follow of 500 files rehearsed in \d+ ms$/.test(m));
    assert.equal(said, rehearsed, `MaxConcurrentTails ${tails}: ${debugged.join(" / ")}`);
  }
});
