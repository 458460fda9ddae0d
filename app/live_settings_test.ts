import assert from "node:assert/strict";
import type { Program } from "./flag_table.ts";
import { Flags, parseFlags } from "./flags.ts";
import { liveOf, type SettingsEnv } from "./settings.ts";

const flags = (program: Program, ...args: string[]) => new Flags(parseFlags(program, args));
const QUERY = "select count($line) from STATS";

function env(
  terminals: { stdout: boolean; stderr: boolean } | undefined,
  vars: Record<string, string> = {},
): SettingsEnv {
  return {
    noColor: (vars.NO_COLOR ?? "") !== "",
    get: (name) => vars[name],
    ...(terminals === undefined ? {} : { terminals }),
  };
}

const BOTH = { stdout: true, stderr: true };

Deno.test("on terminals, dmap's reports are live and it shows a progress line", () => {
  assert.deepEqual(liveOf("dmap", flags("dmap", QUERY), env(BOTH)), {
    table: true,
    progress: true,
  });
});

Deno.test("dtail --query redraws its table but has no progress line (it follows)", () => {
  assert.deepEqual(liveOf("dtail", flags("dtail", "--query", QUERY), env(BOTH)), {
    table: true,
    progress: false,
  });
});

Deno.test("each of the streams decides for its own part: stdout the table, stderr the line", () => {
  assert.deepEqual(liveOf("dmap", flags("dmap", QUERY), env({ stdout: false, stderr: true })), {
    table: false,
    progress: true,
  });
  assert.deepEqual(liveOf("dmap", flags("dmap", QUERY), env({ stdout: true, stderr: false })), {
    table: true,
    progress: false,
  });
  assert.equal(liveOf("dmap", flags("dmap", QUERY), env(undefined)), undefined);
});

Deno.test("NO_COLOR, --plain, --json, --interactive-query and TERM=dumb turn live output off", () => {
  assert.equal(liveOf("dmap", flags("dmap", QUERY), env(BOTH, { NO_COLOR: "1" })), undefined);
  assert.equal(liveOf("dmap", flags("dmap", "--plain", QUERY), env(BOTH)), undefined);
  assert.equal(liveOf("dmap", flags("dmap", "--json", QUERY), env(BOTH)), undefined);
  assert.equal(liveOf("dmap", flags("dmap", "--interactive-query", QUERY), env(BOTH)), undefined);
  assert.equal(liveOf("dmap", flags("dmap", QUERY), env(BOTH, { TERM: "dumb" })), undefined);
});

Deno.test("--quiet drops the progress line, not the live table", () => {
  assert.deepEqual(liveOf("dmap", flags("dmap", "--quiet", QUERY), env(BOTH)), {
    table: true,
    progress: false,
  });
});
