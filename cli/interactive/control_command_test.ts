import assert from "node:assert/strict";
import { ControlInputError, parseControlLine, splitArgs } from "./control_command.ts";

function refused(line: string, message: string): void {
  assert.throws(() => parseControlLine(line), (err: unknown) => {
    assert.ok(err instanceof ControlInputError);
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("the control commands are read from trimmed lines", () => {
  assert.deepEqual(parseControlLine(" :show "), { kind: "show" });
  assert.deepEqual(parseControlLine(":help"), { kind: "help" });
  assert.deepEqual(parseControlLine(":quit\t"), { kind: "quit" });
  assert.deepEqual(parseControlLine(":reload --regex WARN"), {
    kind: "reload",
    args: ["--regex", "WARN"],
  });
});

Deno.test("other lines are refused with the Go client's messages", () => {
  refused(":bogus", 'unknown command ":bogus"');
  refused("show", 'unknown command "show"');
  refused(":reloadx --a", 'unknown command ":reloadx --a"');
  refused(":reload", "reload requires flags to change");
  refused(":reload   ", "reload requires flags to change");
  refused(":reload --query 'select", "unterminated quoted string");
  refused(":reload --regex a\\", "unterminated escape sequence");
});

Deno.test("words split as a shell splits them", () => {
  assert.deepEqual(splitArgs(`--query "select count(x) from s"  --files a,b`), [
    "--query",
    "select count(x) from s",
    "--files",
    "a,b",
  ]);
  assert.deepEqual(splitArgs(`--regex 'a "b" c'`), ["--regex", 'a "b" c']);
  assert.deepEqual(splitArgs(`--regex "it's"`), ["--regex", "it's"]);
  assert.deepEqual(splitArgs(`--regex a\\ b\\"c`), ["--regex", 'a b"c']);
  assert.deepEqual(splitArgs(`--regex "a\\"b"`), ["--regex", 'a"b']);
  assert.deepEqual(splitArgs(`x"y z"w`), ["xy zw"]);
  assert.deepEqual(splitArgs("\ta\t\tb "), ["a", "b"]);
});

Deno.test("an empty quoted word is a word (Go drops it; ours lets --regex '' clear a pattern)", () => {
  assert.deepEqual(splitArgs(`--regex ''`), ["--regex", ""]);
  assert.deepEqual(splitArgs(`--regex ""`), ["--regex", ""]);
});
