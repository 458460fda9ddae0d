import assert from "node:assert/strict";
import { decodeOptions, encodeOptions, intOption, OptionsError } from "./options.ts";
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
