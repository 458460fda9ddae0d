import assert from "node:assert/strict";
import { decodeOptions, encodeOptions, intOption, OptionsError } from "./options.ts";

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
