import assert from "node:assert/strict";
import {
  ColorNameError,
  colorNames,
  DEFAULT_TERM_COLORS,
  defaultTermColors,
  isColorName,
  Paint,
} from "./color.ts";

Deno.test("Paint maps color names to SGR foreground and background codes", () => {
  const names = ["Black", "Red", "Green", "Yellow", "Blue", "Magenta", "Cyan", "White"];
  names.forEach((name, i) => {
    const p = new Paint({ fg: name, bg: name, attr: "None" });
    assert.equal(p.open, `\x1b[${30 + i}m\x1b[${40 + i}m`, name);
  });
  assert.equal(new Paint({ fg: "Default", bg: "Default", attr: "None" }).open, "\x1b[39m\x1b[49m");
});

Deno.test("Paint maps attribute names to SGR codes and resets them", () => {
  const attrs: [string, number][] = [
    ["Bold", 1],
    ["Dim", 2],
    ["Italic", 3],
    ["Underline", 4],
    ["Blink", 5],
    ["SlowBlink", 5],
    ["RapidBlink", 6],
    ["Reverse", 7],
    ["Hidden", 8],
  ];
  for (const [name, sgr] of attrs) {
    const p = new Paint({ fg: "White", bg: "Blue", attr: name });
    assert.equal(p.open, `\x1b[37m\x1b[44m\x1b[${sgr}m`, name);
    assert.equal(p.close, "\x1b[0m\x1b[49m\x1b[39m", name);
  }
});

// See docs/compatibility.md#colors.
Deno.test("Paint without an attribute leaves out the attribute reset", () => {
  const p = new Paint({ fg: "Black", bg: "Green", attr: "None" });
  assert.equal(p.paint("100"), "\x1b[30m\x1b[42m100\x1b[49m\x1b[39m");
});

Deno.test("Paint accepts config spellings in any case and with Fg/Bg/Attr prefixes", () => {
  const a = new Paint({ fg: "blue", bg: "BLACK", attr: "bold" });
  const b = new Paint({ fg: "FgBlue", bg: "BgBlack", attr: "AttrBold" });
  assert.equal(a.open, "\x1b[34m\x1b[40m\x1b[1m");
  assert.equal(b.open, a.open);
});

Deno.test("an unknown color name is a ColorNameError that quotes it", () => {
  const bad = [
    { fg: "Purple", bg: "Black", attr: "None" },
    { fg: "White", bg: "Blu", attr: "None" },
    { fg: "White", bg: "Black", attr: "Sparkle" },
    { fg: "", bg: "Black", attr: "None" },
    { fg: "constructor", bg: "Black", attr: "None" },
    { fg: "White", bg: "Black", attr: "toString" },
  ];
  for (const style of bad) {
    assert.throws(() => new Paint(style), (err: unknown) => {
      assert.ok(err instanceof ColorNameError, `${JSON.stringify(style)}: ${err}`);
      return true;
    });
  }
  assert.throws(() => new Paint(bad[0]!), /"Purple"/);
});

Deno.test("every default term color compiles", () => {
  let n = 0;
  for (const group of Object.values(DEFAULT_TERM_COLORS)) {
    for (const style of Object.values(group)) {
      const open = new Paint(style).open;
      assert.match(open.replaceAll("\x1b", "ESC"), /^ESC\[\d+mESC\[\d+m(ESC\[\d+m)?$/);
      n++;
    }
  }
  assert.ok(n >= 20);
});

Deno.test("isColorName accepts what Paint accepts, and colorNames lists the names", () => {
  assert.equal(isColorName("fg", "Red"), true);
  assert.equal(isColorName("bg", "bgblue"), true);
  assert.equal(isColorName("attr", "None"), true);
  assert.equal(isColorName("fg", "purple"), false);
  assert.equal(isColorName("attr", "Red"), false);
  assert.equal(isColorName("fg", "Bold"), false);
  assert.deepEqual(colorNames("fg"), colorNames("bg"));
  for (const field of ["fg", "bg", "attr"] as const) {
    for (const name of colorNames(field)) assert.equal(isColorName(field, name), true, name);
  }
  assert.ok(colorNames("attr").includes("none"));
});

Deno.test("defaultTermColors is a copy of the defaults that can be changed without changing them", () => {
  const copy = defaultTermColors();
  assert.deepEqual(copy, DEFAULT_TERM_COLORS);
  (copy.Remote.Text as { fg: string }).fg = "Red";
  (copy.Client as Record<string, unknown>).Client = null;
  assert.equal(DEFAULT_TERM_COLORS.Remote.Text.fg, "White");
  assert.deepEqual(defaultTermColors(), DEFAULT_TERM_COLORS);
  assert.notEqual(defaultTermColors().Remote, defaultTermColors().Remote);
});
