import assert from "node:assert/strict";
import {
  decodeOptions,
  encodeOptions,
  intOption,
  OptionsError,
  timeRangeOf,
  timeRangeOptions,
} from "./options.ts";
import { buildReadCommand, parseCommand } from "./commands.ts";

Deno.test("options are sorted key=value pairs joined by colons", () => {
  assert.equal(
    encodeOptions({ quiet: "true", plain: "true", max: "3" }),
    "max=3:plain=true:quiet=true",
  );
  assert.equal(encodeOptions({}), "");
});

Deno.test("values with reserved characters travel base64-wrapped and come back intact", () => {
  const options = { a: "x:y", b: "k=v", c: "p|q", d: "base64%literal", e: "plain" };
  const text = encodeOptions(options);
  assert.match(text, /a=base64%eDp5/);
  assert.match(text, /e=plain/);
  assert.deepEqual(decodeOptions(text), options);
});

Deno.test("malformed options are errors, integers are checked", () => {
  assert.throws(() => decodeOptions("novalue"), OptionsError);
  assert.throws(() => decodeOptions("a=base64%!!"), OptionsError);
  assert.equal(intOption({ before: "2" }, "before"), 2);
  assert.equal(intOption({}, "after"), 0);
  assert.throws(() => intOption({ max: "-1" }, "max"), OptionsError);
});

Deno.test("a value with a space is wrapped too, so it cannot split the command", () => {
  // Found by `make fuzz` (the client → server round trip of a read command).
  const options = { a: "x y", b: " ", c: "plain" };
  assert.equal(encodeOptions(options), "a=base64%eCB5:b=base64%IA==:c=plain");
  const text = buildReadCommand({
    verb: "grep",
    options,
    path: "/x",
    regex: { flag: "default", literal: true, pattern: "a b" },
  });
  const command = parseCommand(text);
  assert.equal(command.kind, "read");
  assert.deepEqual(command.kind === "read" && [command.options, command.regex.pattern], [
    options,
    "a b",
  ]);
});

Deno.test("a time range travels as since and until in epoch ms, only the bounds that are set", () => {
  assert.deepEqual(timeRangeOptions({ since: 1764756000000, until: Infinity }), {
    since: "1764756000000",
  });
  assert.deepEqual(timeRangeOptions({ since: -Infinity, until: 1764757800000 }), {
    until: "1764757800000",
  });
  assert.deepEqual(timeRangeOptions(null), {});
  const text = encodeOptions({ quiet: "true", ...timeRangeOptions({ since: 5, until: 9 }) });
  assert.equal(text, "quiet=true:since=5:until=9");
  assert.deepEqual(timeRangeOf(decodeOptions(text)), { since: 5, until: 9 });
  assert.deepEqual(timeRangeOf({ until: "7" }), { since: -Infinity, until: 7 });
  assert.equal(timeRangeOf({ quiet: "true" }), null);
});

Deno.test("a time range option that is not an integer, or since after until, is refused", () => {
  assert.throws(() => timeRangeOf({ since: "10m" }), /invalid since value 10m/);
  assert.throws(() => timeRangeOf({ until: "1e3" }), OptionsError);
  assert.throws(() => timeRangeOf({ since: "" }), OptionsError);
  assert.throws(() => timeRangeOf({ since: "9", until: "5" }), /since 9 is after until 5/);
});
