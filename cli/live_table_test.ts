import assert from "node:assert/strict";
import { BufferedOutput } from "../core/output.ts";
import { Screen } from "../tests/_screen.ts";
import { LiveTable, rowsAbove } from "./live_table.ts";
import { ProgressLine } from "./progress_line.ts";

const dec = new TextDecoder();

/** A LiveTable whose stdout (and progress line) write to one screen. */
function tableOn(screen: Screen, inPlace = true, progress: string | null = null) {
  let stdout = "";
  const out = new BufferedOutput((bytes) => {
    const text = dec.decode(bytes);
    stdout += text;
    screen.write(text);
  });
  const line = progress === null ? null : new ProgressLine(
    {
      write: (text) => screen.write(text),
      columns: () => screen.columns,
    },
    () => progress,
    10,
  );
  const table = new LiveTable(out, {
    inPlace,
    progress: line,
    size: () => ({ columns: screen.columns, rows: screen.rows }),
  });
  return { table, stdout: () => stdout, line };
}

const report = (n: number) => ` count \n-------\n ${String(n).padStart(5)} \n\n`;

Deno.test("a report replaces the one before it in place: one table on screen, the latest", () => {
  const screen = new Screen(40, 20);
  const { table } = tableOn(screen);
  table.report(report(1));
  table.report(report(22));
  table.report(report(333));
  table.end();
  assert.deepEqual(screen.all(), [" count", "-------", "   333"]);
});

Deno.test("not in place, reports are printed as they are, one after the other", () => {
  const screen = new Screen(40, 20);
  const { table, stdout } = tableOn(screen, false);
  table.report(report(1));
  table.report(report(2));
  table.end();
  assert.equal(stdout(), report(1) + report(2));
});

Deno.test("an unchanged report is not drawn again", () => {
  const screen = new Screen(40, 20);
  const { table, stdout } = tableOn(screen);
  table.report(report(5));
  const before = stdout();
  table.report(report(5));
  assert.equal(stdout(), before);
});

Deno.test("a warning goes above the table, which is drawn again under it", () => {
  const screen = new Screen(40, 20);
  const { table } = tableOn(screen);
  table.report(report(1));
  table.above(() => screen.write("dmap: warning one\n"));
  table.report(report(2));
  table.above(() => screen.write("dmap: warning two\n"));
  table.end();
  assert.deepEqual(screen.all(), [
    "dmap: warning one",
    "dmap: warning two",
    " count",
    "-------",
    "     2",
  ]);
});

Deno.test("lines wider than the terminal wrap, and the whole report is replaced", () => {
  const screen = new Screen(10, 20);
  const { table } = tableOn(screen);
  table.report("0123456789abcdef\nxy\n\n");
  table.report("short\n\n");
  table.end();
  assert.deepEqual(screen.all(), ["short"]);
});

Deno.test("a report taller than the screen scrolls instead of being replaced", () => {
  const screen = new Screen(20, 4);
  const { table, stdout } = tableOn(screen);
  const tall = "a\nb\nc\nd\ne\n\n";
  table.report(tall);
  table.report("x\n\n");
  assert.doesNotMatch(stdout(), new RegExp("\x1b\\[\\d+A"));
  assert.equal(screen.lines().at(-1), "x");
});

Deno.test("the progress line stays below the table and is gone at the end", async () => {
  const screen = new Screen(40, 20);
  const { table } = tableOn(screen, true, "dmap: 1 of 2 servers done");
  table.report(report(1));
  await new Promise((r) => setTimeout(r, 30));
  assert.deepEqual(screen.lines(), [
    " count",
    "-------",
    "     1",
    "",
    "dmap: 1 of 2 servers done",
  ]);
  table.report(report(2));
  assert.deepEqual(screen.lines(), [
    " count",
    "-------",
    "     2",
    "",
    "dmap: 1 of 2 servers done",
  ]);
  table.end();
  assert.deepEqual(screen.all(), [" count", "-------", "     2"]);
});

Deno.test("a prompt written meanwhile is left alone: the next report comes under it", () => {
  const screen = new Screen(40, 20);
  const { table } = tableOn(screen);
  table.report(report(1));
  table.forget();
  screen.write("trust these hosts? y\n");
  table.report(report(2));
  table.end();
  assert.deepEqual(screen.all(), [
    " count",
    "-------",
    "     1",
    "",
    "trust these hosts? y",
    " count",
    "-------",
    "     2",
  ]);
});

Deno.test("rows above count wrapped lines and ignore color sequences", () => {
  assert.equal(rowsAbove("ab\ncd\n\n", 80), 3);
  assert.equal(rowsAbove("\x1b[31mabc\x1b[0m\n", 3), 1);
  assert.equal(rowsAbove("abcd\n", 3), 2);
  assert.equal(rowsAbove("abc\nde", 3), 1);
});
