import assert from "node:assert/strict";
import {
  diffLines,
  headingAnchors,
  lex,
  loadRefs,
  rewrite,
  slug,
  sourceFiles,
} from "./cite_docs.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const REFS = {
  "§3": "docs/protocol.md",
  "§3.1": "docs/protocol.md#transport",
  "§3.13": "docs/protocol.md#close-request",
  "§3.15": "docs/protocol.md#example-exchange",
  "§4.4–4.9": "docs/compatibility.md#reading-files",
  "§6.2": "docs/compatibility.md#client-keys",
  "§7.1": "docs/compatibility.md#client-keys",
  "§10 item 5": "docs/compatibility.md#go-quirks-we-keep",
  "deno-notes §6.1": "docs/performance.md#ssh-ciphers",
  "Fix 4": "docs/compatibility.md#exit-status",
};

/** A page cited as cite_docs writes it; not a Markdown link `](x.md#y)` (an example). */
const CITED_PAGE = /(?<!\]\()(?<![\w/.-])(?:docs\/)?([\w-]+\.md)#([\w-]+)/g;

const text = (lines: string[]) => lines.join("\n") + "\n";

Deno.test("a citation in a comment becomes the path and anchor of our page", () => {
  const r = rewrite(text(["/** Ends the session (§3.13). */", "// §3.1: one channel."]), REFS);
  assert.equal(
    r.text,
    text([
      "/** Ends the session (docs/protocol.md#close-request). */",
      "// docs/protocol.md#transport: one channel.",
    ]),
  );
  assert.deepEqual(r.unmapped, []);
});

Deno.test("ranges, items and named sources are looked up whole", () => {
  const r = rewrite(
    text(["// reads (§4.4–4.9), formats (§10 item 5), ciphers (deno-notes §6.1)"]),
    REFS,
  );
  assert.equal(
    r.text,
    text([
      "// reads (docs/compatibility.md#reading-files), formats" +
      " (docs/compatibility.md#go-quirks-we-keep),",
      "// ciphers (docs/performance.md#ssh-ciphers)",
    ]),
  );
});

Deno.test("a section is not taken for the start of a longer one", () => {
  const r = rewrite(text(["// §3.14 and §3.1"]), REFS);
  assert.equal(r.text, text(["// §3.14 and docs/protocol.md#transport"]));
  assert.deepEqual(r.unmapped.map((u) => u.ref), ["§3.14"]);
});

Deno.test("two citations of the same page section are given once", () => {
  const r = rewrite(text(["/** Keys (§6.2, §7.1). */"]), REFS);
  assert.equal(r.text, text(["/** Keys (docs/compatibility.md#client-keys). */"]));
});

Deno.test("'spec §x' loses the word spec", () => {
  const r = rewrite(text(["  // The example exchange of spec §3.15."]), REFS);
  assert.equal(r.text, text(["  // The example exchange of docs/protocol.md#example-exchange."]));
});

Deno.test("words past 100 columns move into the next line of the paragraph", () => {
  const r = rewrite(
    text([
      "/**",
      " * The handler of one session (§3): reads command frames, dispatches the commands " +
      "and closes it",
      " * when its work is done (§3.13).",
      " */",
    ]),
    REFS,
  );
  assert.equal(
    r.text,
    text([
      "/**",
      " * The handler of one session (docs/protocol.md): reads command frames, " +
      "dispatches the commands and",
      " * closes it when its work is done (docs/protocol.md#close-request).",
      " */",
    ]),
  );
  assert.deepEqual(r.overlong, []);
});

Deno.test("an overflowing last line gets a new line; list items keep their indent", () => {
  const r = rewrite(
    text([
      "/**",
      " * - an item that is long enough to overflow once the citation is written out " +
      "in full (§3.13).",
      " * - the next item",
      " */",
    ]),
    REFS,
  );
  assert.equal(
    r.text,
    text([
      "/**",
      " * - an item that is long enough to overflow once the citation is written out in full",
      " *   (docs/protocol.md#close-request).",
      " * - the next item",
      " */",
    ]),
  );
});

Deno.test("a one-line JSDoc that grows past 100 columns becomes a block", () => {
  const r = rewrite(
    text([
      "  /** Bad input gets one clear line and the right exit status, never a trace (Fix 4). */",
    ]),
    REFS,
  );
  assert.equal(
    r.text,
    text([
      "  /**",
      "   * Bad input gets one clear line and the right exit status, never a trace",
      "   * (docs/compatibility.md#exit-status).",
      "   */",
    ]),
  );
});

Deno.test("a comment after code gets the short form when the full one does not fit", () => {
  const code = "    sendLastGroups(); // the last groups go out before the close request";
  const r = rewrite(text([`${code} (§3.13)`]), REFS);
  assert.equal(r.text, text([`${code} (protocol.md#close-request)`]));
  assert.deepEqual(r.overlong, []);
});

Deno.test("a test name's citation at its end moves into a comment above the test", () => {
  const r = rewrite(
    text([
      'Deno.test("sessions end with a close request (§3.13)", () => {',
      '  Deno.test("inner names cite §3.1 in place", () => {});',
      "});",
    ]),
    REFS,
  );
  assert.equal(
    r.text,
    text([
      "// See docs/protocol.md#close-request.",
      'Deno.test("sessions end with a close request", () => {',
      '  Deno.test("inner names cite docs/protocol.md#transport in place", () => {});',
      "});",
    ]),
  );
});

Deno.test("citations in strings, templates and regexes are reported and left alone", () => {
  const source = text([
    'const a = "see §3.1";',
    "const b = `see §3.1 ${a} and §3.13`;",
    "const c = /§3\\.1/;",
    "const d = x / 2; // §3.1",
  ]);
  const r = rewrite(source, REFS);
  assert.deepEqual(r.untouched.map((u) => [u.line, u.where]), [
    [1, "string"],
    [2, "template"],
    [2, "template"],
    [3, "regex"],
  ]);
  assert.equal(r.text, source.replace("// §3.1", "// docs/protocol.md#transport"));
});

Deno.test("RFC sections are public and left alone; unknown citations are reported", () => {
  const source = text(["// RFC 8878 §3.1.1.2.4 and Fix 9"]);
  const r = rewrite(source, REFS);
  assert.equal(r.text, source);
  assert.deepEqual(r.unmapped.map((u) => u.ref), ["Fix 9"]);
});

Deno.test("rewriting twice changes nothing the second time", () => {
  const once = rewrite(
    text([
      "/**",
      " * One SSH connection (§3.1, §7.1): TCP with no Nagle delay and a 30 s keepalive, " +
      "the fastest",
      " * cipher (deno-notes §6.1), and one-line errors (Fix 4).",
      " */",
      'Deno.test("it connects (§3.1)", () => {});',
    ]),
    REFS,
  );
  const twice = rewrite(once.text, REFS);
  assert.equal(twice.text, once.text);
  assert.deepEqual(twice.changes, []);
});

Deno.test("the scanner follows nested templates, regex classes and division", () => {
  const source = "const a = `x${`y${1}`}z`; const r = /[/]\\//g; const q = a / 2 / 3; // §3";
  const { segments, balanced } = lex(source);
  assert.ok(balanced);
  assert.deepEqual(segments.map((s) => s.kind), [
    "template",
    "template",
    "template",
    "template",
    "regex",
    "comment",
  ]);
});

Deno.test("diffLines reports each changed stretch with its old line number", () => {
  assert.deepEqual(diffLines(["a", "b", "c", "d"], ["a", "B", "B2", "c", "D"]), [
    { line: 2, old: ["b"], new: ["B", "B2"] },
    { line: 4, old: ["d"], new: ["D"] },
  ]);
});

Deno.test("heading anchors are GitHub's", () => {
  assert.equal(slug("Configuration (`dtail.json`)"), "configuration-dtailjson");
  assert.equal(slug("0xAC inside text"), "0xac-inside-text");
  assert.deepEqual(
    [...headingAnchors("# A\n## Keys\n```sh\n# not a heading\n```\n### Keys\n")],
    ["a", "keys", "keys-1"],
  );
});

Deno.test("every target in tools/spec_refs.json is a heading of an existing docs page", () => {
  const missing: string[] = [];
  for (const [ref, target] of Object.entries(loadRefs(ROOT))) {
    const [page, anchor] = target.split("#");
    let markdown: string;
    try {
      markdown = Deno.readTextFileSync(`${ROOT}/${page}`);
    } catch {
      missing.push(`${ref}: ${page} does not exist`);
      continue;
    }
    if (anchor !== undefined && !headingAnchors(markdown).has(anchor)) {
      missing.push(`${ref}: ${page} has no heading #${anchor}`);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("every spec citation in the sources has a target, and every file scans cleanly", () => {
  const refs = loadRefs(ROOT);
  const problems: string[] = [];
  for (const path of sourceFiles(ROOT)) {
    const r = rewrite(Deno.readTextFileSync(`${ROOT}/${path}`), refs);
    if (!r.balanced) problems.push(`${path}: the scanner lost track`);
    for (const u of r.unmapped) problems.push(`${path}:${u.line}: ${u.ref} has no target`);
    for (const u of r.untouched) problems.push(`${path}:${u.line}: ${u.ref} in a ${u.where}`);
  }
  assert.deepEqual(problems, []);
});

Deno.test("every docs page and anchor cited in source comments exists", () => {
  const anchors = new Map<string, Set<string> | null>();
  const anchorsOf = (page: string) => {
    if (!anchors.has(page)) {
      try {
        anchors.set(page, headingAnchors(Deno.readTextFileSync(`${ROOT}/docs/${page}`)));
      } catch {
        anchors.set(page, null);
      }
    }
    return anchors.get(page)!;
  };
  const broken: string[] = [];
  for (const path of sourceFiles(ROOT)) {
    const source = Deno.readTextFileSync(`${ROOT}/${path}`);
    const comments = lex(source).segments.filter((s) => s.kind === "comment");
    for (const { start, end } of comments) {
      const comment = source.slice(start, end);
      for (const m of comment.matchAll(CITED_PAGE)) {
        const found = anchorsOf(m[1]!);
        if (found === null) broken.push(`${path}: ${m[0]}: no page docs/${m[1]}`);
        else if (!found.has(m[2]!)) broken.push(`${path}: ${m[0]}: no such heading`);
      }
    }
  }
  assert.deepEqual(broken, []);
});

Deno.test("docs pages cite the spec's sections and fixes only through our own pages", () => {
  const bad: string[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}/docs`)) {
    const name = entry.name;
    // compatibility.md is where the fixes are numbered; flags.md is generated from the flag table.
    if (!name.endsWith(".md") || name === "compatibility.md" || name === "flags.md") continue;
    const lines = Deno.readTextFileSync(`${ROOT}/docs/${name}`).split("\n");
    lines.forEach((line, i) => {
      const bare = line.replace(/\[Fix \d+\]\(compatibility\.md#[\w-]+\)/g, "");
      if (/§\s*\d|\bFix \d+\b/.test(bare)) bad.push(`docs/${name}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(bad, []);
});
