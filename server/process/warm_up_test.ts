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
  assert.deepEqual(debugged, []);
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
