import assert from "node:assert/strict";
import { type EditorEvent, LineEditor } from "./line_editor.ts";
import { MAX_CONTROL_LINE } from "./line_splitter.ts";

const ESC = "\x1b";
const LEFT = `${ESC}[D`;
const RIGHT = `${ESC}[C`;
const UP = `${ESC}[A`;
const DOWN = `${ESC}[B`;

/** The lines entered (and other events) for the keys, in one feed. */
function type(editor: LineEditor, keys: string): EditorEvent[] {
  return editor.feed(keys).events;
}

const lines = (events: EditorEvent[]) =>
  events.map((e) => (e.kind === "line" ? e.text : `<${e.kind}>`));

Deno.test("Enter (CR or LF, a pasted CR LF once) gives the line", () => {
  const e = new LineEditor();
  assert.deepEqual(lines(type(e, ":show\r:help\n:quit\r\n")), [":show", ":help", ":quit"]);
  assert.equal(e.text, "");
});

Deno.test("the cursor moves with arrows and Ctrl-A/E/B/F; text goes in at the cursor", () => {
  const e = new LineEditor();
  type(e, `:shw${LEFT}o`);
  assert.equal(e.text, ":show");
  assert.equal(e.cursor, 4);
  type(e, `\x01x\x05y${LEFT}${LEFT}\x02z\x06\x06w`);
  assert.equal(e.text, "x:shzowwy");
});

Deno.test("Backspace, Delete, Ctrl-K, Ctrl-U and Ctrl-W delete", () => {
  const e = new LineEditor();
  type(e, "abc\x7f");
  assert.equal(e.text, "ab");
  type(e, `\x01${ESC}[3~`);
  assert.equal(e.text, "b");
  type(e, "\x05 one two\x17");
  assert.equal(e.text, "b one ");
  type(e, `${LEFT}${LEFT}\x0b`);
  assert.equal(e.text, "b on");
  type(e, "\x15");
  assert.equal(e.text, "");
});

Deno.test("an escape sequence cut between two reads is put together", () => {
  const e = new LineEditor();
  type(e, "ab");
  type(e, `${ESC}[`);
  type(e, "D!");
  assert.equal(e.text, "a!b");
});

Deno.test("Up and Down walk the history and come back to the line being typed", () => {
  const e = new LineEditor();
  type(e, "one\rtwo\rtwo\r");
  type(e, "draft");
  type(e, UP);
  assert.equal(e.text, "two", "the same line twice is remembered once");
  type(e, UP);
  assert.equal(e.text, "one");
  type(e, UP);
  assert.equal(e.text, "one");
  type(e, DOWN + DOWN);
  assert.equal(e.text, "draft");
  assert.deepEqual(lines(type(e, `${UP}${UP}!\r`)), ["one!"]);
  assert.deepEqual(e.history, ["one", "two", "one!"]);
});

Deno.test("Ctrl-R searches the history backwards; Enter takes the match", () => {
  const e = new LineEditor();
  type(e, ":reload --regex A\r:show\r:reload --regex B\r");
  type(e, "\x12reg");
  assert.match(e.render(), /\(reverse-i-search\)'reg': :reload --regex B/);
  type(e, "\x12");
  assert.match(e.render(), /'reg': :reload --regex A/);
  assert.deepEqual(lines(type(e, "\r")), [":reload --regex A"]);
});

Deno.test("a key that is no search key ends the search and edits the match", () => {
  const e = new LineEditor();
  type(e, ":reload --regex A\r:show\r");
  type(e, `\x12gex${RIGHT}\x7fZ`);
  assert.equal(e.text, ":reload --regex Z");
  type(e, "\x15\x12nothing");
  assert.match(e.render(), /failing reverse-i-search/);
  type(e, "\x07"); // Ctrl-G: back to the line as it was
  assert.equal(e.text, "");
});

Deno.test("Ctrl-D and Ctrl-C on an empty line end the input; on text they edit", () => {
  const e = new LineEditor();
  assert.deepEqual(lines(type(e, "ab\x01\x04")), []);
  assert.equal(e.text, "b");
  const cancelled = e.feed("\x03");
  assert.deepEqual(cancelled.events, []);
  assert.match(cancelled.draw, /\^C\n/);
  assert.equal(e.text, "");
  assert.deepEqual(lines(type(e, "\x03")), ["<interrupt>"]);
  assert.deepEqual(lines(type(e, "\x04")), ["<eof>"]);
});

Deno.test("the drawing puts the cursor back where it is in the line", () => {
  const e = new LineEditor();
  assert.equal(e.feed("abc").draw, "\r\x1b[2Kabc");
  assert.equal(e.feed(LEFT + LEFT).draw, "\r\x1b[2Kabc\x1b[2D");
  assert.equal(e.feed("\r").draw, "\r\x1b[2Kabc\x1b[2D\n");
  assert.ok(e.idle);
});

Deno.test("characters beyond the BMP are one cursor step", () => {
  const e = new LineEditor();
  type(e, `a😀b${LEFT}\x7f`);
  assert.equal(e.text, "ab");
});

Deno.test("a paste stops at the longest command line, and Enter still gives the line", () => {
  const e = new LineEditor();
  e.feed("x".repeat(MAX_CONTROL_LINE + 100));
  assert.equal(e.text.length, MAX_CONTROL_LINE);
  const [entered] = lines(type(e, "y\r"));
  assert.equal(entered, "x".repeat(MAX_CONTROL_LINE));
});
