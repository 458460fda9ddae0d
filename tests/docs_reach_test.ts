/**
 * Every source file can be found from docs/architecture.md in at most two hops.
 *
 * Source files: every `.ts` file under app/, cli/, server/, ssh/ and core/, except unit tests
 * (`*_test.ts`) and test helpers (`_test_*.ts`).
 *
 * A file is reachable when its repository path (`core/protocol/frames.ts`, as written, not just
 * `frames.ts` and not its folder)
 * 1. appears in docs/architecture.md (hop 1), or
 * 2. appears in a docs page that architecture.md links to with a Markdown link, `[…](page.md)` or
 *    `[…](page.md#anchor)` (hop 2).
 * A path counts only whole: `core/frame.ts` is not found inside `xcore/frame.ts` or
 * `core/frame.tsx`.
 *
 * The test fails with the list of unreachable files: name each in architecture.md's
 * "Where does X live" section or on the page that documents its subject. It also fails when
 * those pages name a source path that does not exist (a file moved or removed).
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";
import { LAYERS, sourceFiles } from "./source_files.ts";

const readDoc = (page: string) => Deno.readTextFileSync(`${ROOT}/docs/${page}`);

/** The docs pages a page links to with Markdown links (relative `.md` targets in docs/). */
export function linkedPages(markdown: string): string[] {
  const pages = new Set<string>();
  for (const m of markdown.matchAll(/\]\((?:\.\/)?([\w-]+\.md)(?:#[\w-]*)?\)/g)) pages.add(m[1]!);
  return [...pages].sort();
}

/** Whether `text` names `path` as a whole path. */
export function names(text: string, path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(?<![\\w./-])${escaped}(?![\\w])`).test(text);
}

/** The source paths (`layer/…/x.ts`) a text names. */
export function namedSourcePaths(text: string): string[] {
  const layers = [...LAYERS, "tests", "tools", "bench"].join("|");
  const pattern = new RegExp(`(?<![\\w./-])(?:${layers})/[\\w./-]*?\\.ts(?![\\w])`, "g");
  return [...new Set([...text.matchAll(pattern)].map((m) => m[0]))].sort();
}

Deno.test("the path matcher takes whole paths only", () => {
  assert.ok(names("see `core/frame.ts`.", "core/frame.ts"));
  assert.ok(!names("see xcore/frame.ts", "core/frame.ts"));
  assert.ok(!names("see core/frame.tsx", "core/frame.ts"));
  assert.ok(!names("see server/core/frame.ts", "core/frame.ts"));
  assert.deepEqual(linkedPages("[a](protocol.md#x), [b](./usage.md) [c](../README.md)"), [
    "protocol.md",
    "usage.md",
  ]);
  assert.deepEqual(namedSourcePaths("`core/a.ts`, tests/b_test.ts and xcore/c.ts"), [
    "core/a.ts",
    "tests/b_test.ts",
  ]);
});

Deno.test("every page docs/architecture.md links to exists", () => {
  const missing = linkedPages(readDoc("architecture.md")).filter((page) => {
    try {
      Deno.statSync(`${ROOT}/docs/${page}`);
      return false;
    } catch {
      return true;
    }
  });
  assert.deepEqual(missing, []);
});

Deno.test("every source file is named in docs/architecture.md or a page it links to", () => {
  const architecture = readDoc("architecture.md");
  const linked = linkedPages(architecture).map((page) => readDoc(page));
  const unreachable = sourceFiles().filter((path) =>
    !names(architecture, path) && !linked.some((text) => names(text, path))
  );
  assert.deepEqual(
    unreachable,
    [],
    `not reachable from docs/architecture.md:\n${unreachable.join("\n")}`,
  );
});

Deno.test("docs/architecture.md and the pages it links to name no source file that is gone", () => {
  const pages = ["architecture.md", ...linkedPages(readDoc("architecture.md"))];
  const gone: string[] = [];
  for (const page of pages) {
    for (const path of namedSourcePaths(readDoc(page))) {
      try {
        Deno.statSync(`${ROOT}/${path}`);
      } catch {
        gone.push(`docs/${page}: ${path}`);
      }
    }
  }
  assert.deepEqual(gone, [], `named but missing:\n${gone.join("\n")}`);
});
