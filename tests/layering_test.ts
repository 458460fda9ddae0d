/**
 * The layering rule of docs/architecture.md, checked on the import graph of the sources (tests
 * and test helpers may reach across layers): app/ on top; cli/ and server/ side by side, never
 * importing each other; ssh/ shared by both; core/ at the bottom, importing only core/. No cycles.
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";
import { LAYERS, sourceFiles } from "./source_files.ts";

type Layer = typeof LAYERS[number];

/** Which layers each layer may import. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  app: ["app", "cli", "server", "ssh", "core"],
  cli: ["cli", "ssh", "core"],
  server: ["server", "ssh", "core"],
  ssh: ["ssh", "core"],
  core: ["core"],
};

function normalize(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") parts.pop();
    else if (part !== "." && part !== "") parts.push(part);
  }
  return parts.join("/");
}

/** Relative imports of a file (static, type-only, dynamic, re-exports, workers), repo paths. */
export function importsOf(path: string, text: string): string[] {
  const dir = path.slice(0, path.lastIndexOf("/"));
  const found = new Set<string>();
  const patterns = [
    /\b(?:import|export)\s[^;]*?\sfrom\s+["'](\.\.?\/[^"']+)["']/g,
    /\bimport\s+["'](\.\.?\/[^"']+)["']/g,
    /\bimport\(\s*["'](\.\.?\/[^"']+)["']\s*\)/g,
    /\bnew URL\(\s*["'](\.\.?\/[^"']+\.ts)["']\s*,\s*import\.meta\.url/g,
  ];
  for (const pattern of patterns) {
    for (const m of text.matchAll(pattern)) found.add(normalize(`${dir}/${m[1]}`));
  }
  return [...found];
}

const layerOf = (path: string) => path.split("/")[0] as Layer;

function graph(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const path of sourceFiles()) {
    edges.set(path, importsOf(path, Deno.readTextFileSync(`${ROOT}/${path}`)));
  }
  return edges;
}

/** Every import cycle, as the path around it. */
export function cycles(edges: Map<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (!edges.has(next)) continue;
      const seen = state.get(next);
      if (seen === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return found;
}

Deno.test("the import scanner sees static, type, dynamic, re-export and worker imports", () => {
  const text = [
    `import { a } from "./a.ts";`,
    `import type { B } from "../core/b.ts";`,
    `export * from "./c.ts";`,
    `const d = await import("./d.ts");`,
    `new Worker(new URL("./e.ts", import.meta.url), {});`,
    `import "./f.ts";`,
    `import x from "npm:ssh2";`,
  ].join("\n");
  assert.deepEqual(importsOf("cli/x.ts", text).sort(), [
    "cli/a.ts",
    "cli/c.ts",
    "cli/d.ts",
    "cli/e.ts",
    "cli/f.ts",
    "core/b.ts",
  ]);
});

Deno.test("the cycle finder finds a cycle and none in a tree", () => {
  assert.deepEqual(cycles(new Map([["a", ["b"]], ["b", ["a"]]])), [["a", "b", "a"]]);
  assert.deepEqual(cycles(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), []);
});

Deno.test("every layer imports only the layers below it, and cli/ and server/ not each other", () => {
  const wrong: string[] = [];
  for (const [path, imports] of graph()) {
    const allowed = MAY_IMPORT[layerOf(path)];
    for (const target of imports) {
      if (!allowed.includes(layerOf(target))) wrong.push(`${path} imports ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("the sources have no import cycle", () => {
  assert.deepEqual(cycles(graph()).map((cycle) => cycle.join(" → ")), []);
});
