import assert from "node:assert/strict";
import { localZone } from "./format_common.ts";
import {
  createParser,
  knownVariables,
  LOG_FORMATS,
  TABLELESS_FORMATS,
  variableWarning,
} from "./logformat.ts";

const FIRST = "INFO|1002-071143|1|stats.go:56|8|13|7|0.21|471h0m21s|MAPREDUCE:STATS|" +
  "currentConnections=0|lifetimeConnections=1";

const collect = () => {
  const messages: string[] = [];
  return { messages, warn: (msg: string) => messages.push(msg) };
};

Deno.test("createParser builds the default parser for default", () => {
  const p = createParser("default", { hostname: "h1" });
  const fields = p.parse(FIRST, "s");
  assert.ok(fields instanceof Map);
  assert.equal(fields.get("$goroutines"), "13");
  assert.equal(fields.get("currentConnections"), "0");
  assert.equal(p.parse("WARN|x", "s"), "skip");
});

Deno.test("createParser builds generic, generickv and csv parsers by name", () => {
  const generic = createParser("generic", { hostname: "h1" }).parse(FIRST, "s");
  assert.ok(generic instanceof Map);
  assert.equal(generic.has("currentConnections"), false);
  const kv = createParser("generickv", { hostname: "h1" }).parse(FIRST, "s");
  assert.ok(kv instanceof Map);
  assert.equal(kv.get("lifetimeConnections"), "1");
  assert.equal(kv.has("$time"), false);
  const csv = createParser("csv", { hostname: "h1" });
  assert.equal(csv.parse("a,b", "s"), "skip");
  assert.ok(csv.parse("1,2", "s") instanceof Map);
});

Deno.test("createParser builds json, logfmt and auto parsers by name", () => {
  const needed = new Set(["a", "$time"]);
  const json = createParser("json", { hostname: "h1", needed }).parse('{"a":1,"ts":"t"}', "s");
  assert.deepEqual(json, new Map([["a", "1"], ["$time", "t"]]));
  const logfmt = createParser("logfmt", { hostname: "h1", needed }).parse("a=2 time=t", "s");
  assert.deepEqual(logfmt, new Map([["a", "2"], ["$time", "t"]]));
  const auto = createParser("auto", { hostname: "h1", needed });
  assert.deepEqual(auto.parse("a=3", "s"), new Map([["a", "3"]]));
  assert.deepEqual(auto.parse('{"a":4}', "s"), new Map([["a", "4"]]));
  assert.equal(auto.parse(FIRST, "s") instanceof Map, true);
});

Deno.test("json, logfmt and auto are known formats that read lines without a table", () => {
  for (const name of ["json", "logfmt", "auto"]) {
    assert.ok(LOG_FORMATS.has(name), name);
    assert.ok(TABLELESS_FORMATS.has(name), name);
  }
  for (const name of TABLELESS_FORMATS) assert.ok(LOG_FORMATS.has(name), name);
  assert.equal(TABLELESS_FORMATS.has("default"), false);
});

Deno.test("the common fields carry the hostname and the local time zone", () => {
  const zone = localZone();
  const fields = createParser("generic", { hostname: "box.example.org" }).parse(" x ", "s");
  assert.ok(fields instanceof Map);
  assert.equal(fields.get("$hostname"), "box.example.org");
  assert.equal(fields.get("$server"), "box.example.org");
  assert.equal(fields.get("$timezone"), zone.name);
  assert.equal(fields.get("$timeoffset"), String(zone.offset));
  assert.equal(fields.get("$line"), "x");
  assert.equal(fields.get("*"), "*");
  assert.equal(fields.get("$empty"), "");
});

Deno.test("known formats give no warning", () => {
  const { messages, warn } = collect();
  for (const name of LOG_FORMATS) createParser(name, { hostname: "h", warn });
  assert.deepEqual(messages, []);
});

Deno.test("unknown formats fall back to generic with exactly one warning", () => {
  for (const name of ["custom1", "custom2", "mimecast", "mimecastgeneric", "Default", "nope"]) {
    const { messages, warn } = collect();
    const p = createParser(name, { hostname: "h", warn });
    const first = p.parse(FIRST, "s");
    p.parse("other line", "s");
    assert.deepEqual(messages, [`unknown log format "${name}", using generic`]);
    assert.ok(first instanceof Map);
    assert.equal(first.get("$line"), FIRST);
    assert.equal(first.has("currentConnections"), false);
  }
});

Deno.test("an unknown format without a warn callback still falls back silently", () => {
  assert.ok(createParser("custom1", { hostname: "h" }).parse("x", "s") instanceof Map);
});

Deno.test("createParser with needed fields materializes only those", () => {
  const needed = new Set(["$time", "currentConnections"]);
  const fields = createParser("default", { hostname: "h", needed }).parse(FIRST, "s");
  assert.deepEqual(fields, new Map([["$time", "1002-071143"], ["currentConnections", "0"]]));
  const all = createParser("default", { hostname: "h", needed: null }).parse(FIRST, "s");
  assert.ok(all instanceof Map && all.size === 19);
});

Deno.test("knownVariables lists the dollar variables each format produces", () => {
  assert.equal(knownVariables("default").size, 20);
  assert.ok(knownVariables("default").has("$goroutines"));
  for (const name of ["json", "logfmt"]) {
    assert.deepEqual(
      [...knownVariables(name)].sort(),
      ["$empty", "$hostname", "$line", "$server", "$time", "$timeoffset", "$timezone"],
    );
  }
  assert.ok(knownVariables("auto").has("$goroutines") && knownVariables("auto").has("$time"));
  for (const name of ["generic", "generickv", "csv", "custom1"]) {
    assert.deepEqual(
      [...knownVariables(name)].sort(),
      ["$empty", "$hostname", "$line", "$server", "$timeoffset", "$timezone"],
    );
  }
});

Deno.test("variableWarning words the plan-time warning like Go DTail", () => {
  assert.equal(
    variableWarning("$goroutines", "csv"),
    'warning: $goroutines is not a known variable for log format "csv"; ' +
      "did you mean bareword goroutines?",
  );
});
