/**
 * Structural rule of dserver (issue 9): every open that serves a user goes through the one
 * checked open. Code reachable from a session (and from the workers it starts) must not call
 * Deno's file-opening APIs (or libc's open) itself; the few files that may are listed here, each
 * with its reason.
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";

/** Where a session's code starts: the protocol handler, its SSH glue, and the workers. */
const ENTRIES = [
  "server/session/handler.ts",
  "server/process/protocol_shell.ts",
  "core/decompress_worker.ts",
  "core/mapr/map_worker.ts",
];

const FORBIDDEN =
  /\bDeno\.(open|openSync|readFile|readFileSync|readTextFile|readTextFileSync|readDir|readDirSync|watchFs|realPath|realPathSync)\b|\b\w+\.open\(cPath\b/g;

/** File → the calls it may make, and why. */
const ALLOWED: Record<string, { calls: string[]; why: string }> = {
  "core/open_file.ts": {
    calls: ["Deno.openSync", "c.open(cPath"],
    why: "the checked open itself (reopens the verified descriptor through /proc/self/fd)",
  },
  "core/dir_batches.ts": {
    calls: ["f.open(cPath", "Deno.readDirSync", "Deno.readDir"],
    why: "a glob's directory listing (getdents64, else Deno's), gated by the session's canList",
  },
  "core/re2js_matcher.ts": {
    calls: ["Deno.readTextFileSync"],
    why: "re2js's own build in node_modules, evaluated at the first regex (not a user's file)",
  },
  "core/small_file.ts": {
    calls: ["Deno.openSync"],
    why: "files of dtail's own a user names (dtail.json, keys), read up to a limit; not a log",
  },
  "core/mapr/parallel_map.ts": {
    calls: ["Deno.readTextFileSync"],
    why: "/proc/thread-self/schedstat, the thread's own CPU time (not a user's file)",
  },
  "server/access/user_lookup.ts": {
    calls: ["Deno.readTextFileSync"],
    why: "/etc/passwd and /etc/group",
  },
  "server/access/authorized_keys.ts": {
    calls: ["Deno.readTextFile", "Deno.realPath"],
    why: "authorized_keys at login, before any session",
  },
};

function importsOf(file: string, text: string): string[] {
  const dir = file.slice(0, file.lastIndexOf("/"));
  const out: string[] = [];
  text = text.replace(/(?:import|export)\s+type\b[^;]*;/g, ""); // erased at run time
  const re = /(?:from\s+|import\s*\(\s*|new URL\(\s*)["'](\.{1,2}\/[^"']+\.ts)["']/g;
  for (const m of text.matchAll(re)) {
    const parts = `${dir}/${m[1]}`.split("/");
    const clean: string[] = [];
    for (const p of parts) {
      if (p === "..") clean.pop();
      else if (p !== ".") clean.push(p);
    }
    out.push(clean.join("/"));
  }
  return out;
}

function reachable(): Map<string, string> {
  const seen = new Map<string, string>();
  const todo = [...ENTRIES];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const text = Deno.readTextFileSync(`${ROOT}/${file}`);
    seen.set(file, text);
    todo.push(...importsOf(file, text));
  }
  return seen;
}

function violations(files: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of files) {
    const code = text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ""); // comments may name the APIs
    for (const m of code.matchAll(FORBIDDEN)) {
      if (ALLOWED[file]?.calls.includes(m[0])) continue;
      found.push(`${file} calls ${m[0]}`);
    }
  }
  return found;
}

Deno.test("code a dserver session reaches opens files only through the checked open", () => {
  const files = reachable();
  assert.ok(
    files.has("core/follow.ts") && files.has("server/access/safe_open.ts"),
    [...files.keys()].join(),
  );
  assert.deepEqual(
    violations(files),
    [],
    "open files through server/access/safe_open.ts (a FileOpener), never with Deno.open* directly",
  );
});

Deno.test("the checked-open rule catches a direct open in session code", () => {
  const files = new Map([
    ["core/follow.ts", "const f = Deno.openSync(path, { read: true });"],
    ["core/open_file.ts", "Deno.openSync(proc)"],
    ["core/glob.ts", "// Deno.open(x) in a comment\nDeno.readTextFileSync(p)"],
    ["core/read_meter.ts", "const fd = c.open(cPath(path), 0, 0);"],
  ]);
  assert.deepEqual(violations(files), [
    "core/follow.ts calls Deno.openSync",
    "core/glob.ts calls Deno.readTextFileSync",
    "core/read_meter.ts calls c.open(cPath",
  ]);
});
