/**
 * Rewrites the citations of the DTail specification the project started from (sections like
 * "§3.13", "§4.4–4.9", "§10 item 5", and its bug list "Fix 4"), which is not in the repository,
 * into citations of our own docs pages. The targets come from tools/spec_refs.json:
 *
 *     (§3.13)          →  (docs/protocol.md#close-request)
 *     §5.9: the …      →  docs/query-language.md#table-filter: the …
 *     (§6.2, §7.1)     →  (docs/compatibility.md#client-keys)          duplicates dropped
 *     of spec §3.15    →  of docs/protocol.md#example-exchange
 *
 * Only comments are rewritten, and the names of `Deno.test(…)` cases: a parenthesised citation
 * at the end of a test name moves into a `// See …` comment above the test, others are replaced
 * in place. A comment line that grows past 100 columns is rewrapped: the words that do not fit
 * move to the next line of the same paragraph (a new line when there is none), and a one-line
 * JSDoc becomes a block. A comment after code on the same line is not rewrapped; it gets the
 * short form (`protocol.md#close-request`), and a line still too long is reported. `RFC n §x`
 * cites a public standard and is left alone. A reference outside comments and test names, or one
 * without a target, is reported and left alone (the latter makes the run fail).
 *
 * Running it again changes nothing. It prints every line it changes.
 *
 *     deno run --allow-read --allow-write tools/cite_docs.ts [--check] [--root DIR]
 *
 * `--check` changes nothing and exits 1 when something would change; `--root` works on a copy of
 * the tree (default: this checkout).
 */

export type Refs = Readonly<Record<string, string>>;

/** The folders whose .ts files are rewritten. */
export const FOLDERS = ["app", "cli", "server", "core", "ssh", "tests", "tools", "bench"];
/** This tool and its test cite the spec on purpose (examples). */
const SELF = new Set(["tools/cite_docs.ts", "tools/cite_docs_test.ts"]);
const WIDTH = 100;

/**
 * A citation: an optional `spec ` before it (dropped with it), an optional source prefix, then a
 * section (with a range or an item) or a fix. Groups: 1 prefix, 2 section, 3 fix.
 */
const SECTION = String.raw`§\d+(?:\.\d+)*(?:–§?\d+(?:\.\d+)*)?(?: item \d+)?`;
const REFERENCE = new RegExp(
  String.raw`(?:\bspec )?(deno-notes |RFC \d+ )?(?:(${SECTION})|\b(Fix \d+)\b)`,
  "g",
);

/** A reference found in a source text. */
export interface Found {
  /** 1-based line number. */
  readonly line: number;
  readonly ref: string;
  /** `comment`, `test name`, or where else it is (`string`, `template`, `regex`, `code`). */
  readonly where: string;
}

export interface LineChange {
  /** 1-based line number in the old text. */
  readonly line: number;
  readonly old: readonly string[];
  readonly new: readonly string[];
}

export interface Rewrite {
  readonly text: string;
  readonly changes: LineChange[];
  /** References without a target in the map (left alone). */
  readonly unmapped: Found[];
  /** Mapped references outside comments and test names (left alone). */
  readonly untouched: Found[];
  /** Lines still longer than the width after rewriting. */
  readonly overlong: number[];
  /** False when the scan of the source lost track (then its findings may be wrong). */
  readonly balanced: boolean;
}

type SegmentKind = "comment" | "string" | "template" | "regex";

interface Segment {
  readonly kind: SegmentKind;
  readonly start: number;
  readonly end: number;
}

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "instanceof",
  "yield",
  "await",
]);

/**
 * Comments, strings, template texts and regex literals of a TypeScript source, in order, and
 * whether every brace and template closed by the end (when not, the scan lost track somewhere).
 */
export function lex(text: string): { segments: Segment[]; balanced: boolean } {
  const out: Segment[] = [];
  const n = text.length;
  /** Brace depth at which each open template expression (`${`) started. */
  const templates: number[] = [];
  let depth = 0;
  /** The last significant code character; "a" for an operand (word, string, regex). */
  let prev = "";
  let i = 0;

  /** Scans template text from `from` (just after its opening backtick or `}`). */
  const templateText = (from: number): number => {
    let j = from;
    while (j < n) {
      const c = text[j];
      if (c === "\\") j += 2;
      else if (c === "`") {
        out.push({ kind: "template", start: from, end: j + 1 });
        prev = "a";
        return j + 1;
      } else if (c === "$" && text[j + 1] === "{") {
        out.push({ kind: "template", start: from, end: j + 2 });
        templates.push(depth);
        depth++;
        prev = "(";
        return j + 2;
      } else j++;
    }
    out.push({ kind: "template", start: from, end: n });
    return n;
  };

  while (i < n) {
    const c = text[i]!;
    if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? n : end;
      out.push({ kind: "comment", start: i, end: stop });
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      out.push({ kind: "comment", start: i, end: stop });
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out.push({ kind: "string", start: i, end: Math.min(j + 1, n) });
      i = j + 1;
      prev = "a";
    } else if (c === "`") {
      i = templateText(i + 1);
    } else if (c === "}" && templates.length > 0 && depth - 1 === templates.at(-1)) {
      depth--;
      templates.pop();
      i = templateText(i + 1);
    } else if (c === "/" && regexMayStart(prev)) {
      const end = regexEnd(text, i);
      if (end < 0) {
        prev = "/";
        i++;
      } else {
        out.push({ kind: "regex", start: i, end });
        prev = "a";
        i = end;
      }
    } else if (/\s/.test(c)) {
      i++;
    } else if (/[\w$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(text[j]!)) j++;
      prev = KEYWORDS_BEFORE_EXPRESSION.has(text.slice(i, j)) ? "(" : "a";
      i = j;
    } else {
      if (c === "{") depth++;
      else if (c === "}") depth--;
      prev = c;
      i++;
    }
  }
  return { segments: out, balanced: depth === 0 && templates.length === 0 };
}

function regexMayStart(prev: string): boolean {
  return prev === "" || "(,=:[!&|?{};+-*%<>~^".includes(prev);
}

/** Where the regex literal starting at `start` ends (after its flags), or -1 when it is none. */
function regexEnd(text: string, start: number): number {
  let inClass = false;
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j];
    if (c === "\n") return -1;
    if (c === "\\") j++;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) {
      let k = j + 1;
      while (k < text.length && /[a-z]/.test(text[k]!)) k++;
      return k;
    }
  }
  return -1;
}

const width = (line: string) => [...line].length;

/** The short form of a target: the page without `docs/`. */
export function shortForm(target: string): string {
  return target.replace(/^docs\//, "");
}

/** Drops repeated targets from lists like `(docs/a.md#x, docs/a.md#x)`. */
function dedupeTargets(line: string): string {
  return line.replace(
    /(?:docs\/)?[\w-]+\.md(?:#[\w-]+)?(?:, (?:docs\/)?[\w-]+\.md(?:#[\w-]+)?)+/g,
    (list) => [...new Set(list.split(", "))].join(", "),
  );
}

interface LineRef {
  /** Offsets in the line: the whole match (with `spec `) and the target to put there. */
  readonly start: number;
  readonly end: number;
  readonly target: string;
  readonly kind: "comment" | "test name";
  /** Written as ` (ref)` at the end of a test name: moves into a comment above. */
  readonly parenthesised: boolean;
}

/** Rewrites the spec citations of one source text (see the module comment). */
export function rewrite(text: string, refs: Refs, maxWidth = WIDTH): Rewrite {
  const { segments: segs, balanced } = lex(text);
  const lineStarts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lineStarts.push(i + 1);
  const lineOf = (pos: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  let s = 0;
  const segmentAt = (pos: number): Segment | null => {
    while (s < segs.length && segs[s]!.end <= pos) s++;
    const seg = segs[s];
    return seg !== undefined && seg.start <= pos ? seg : null;
  };

  const unmapped: Found[] = [];
  const untouched: Found[] = [];
  const byLine = new Map<number, LineRef[]>();
  for (const m of text.matchAll(REFERENCE)) {
    const prefix = m[1] ?? "";
    if (prefix.startsWith("RFC")) continue;
    const ref = prefix + (m[2] ?? m[3]!);
    const refStart = m.index + m[0].length - ref.length;
    const seg = segmentAt(refStart);
    const line = lineOf(m.index);
    const where = seg === null ? "code" : isTestName(text, seg) ? "test name" : seg.kind;
    const target = refs[ref];
    if (target === undefined) {
      unmapped.push({ line: line + 1, ref, where });
      continue;
    }
    if (where !== "comment" && where !== "test name") {
      untouched.push({ line: line + 1, ref, where });
      continue;
    }
    const lineStart = lineStarts[line]!;
    const start = m.index - lineStart;
    const end = start + m[0].length;
    const lineText = text.slice(lineStart, text.indexOf("\n", lineStart) >>> 0);
    const list = byLine.get(line) ?? [];
    list.push({
      start,
      end,
      target,
      kind: where,
      parenthesised: where === "test name" && endsTestName(lineText, start, end, seg!, lineStart),
    });
    byLine.set(line, list);
  }

  const lines = text.split("\n");
  const oldLines = [...lines];
  const overlong: number[] = [];
  // Bottom-up, so that lines added by wrapping do not move the lines still to do.
  for (const line of [...byLine.keys()].sort((a, b) => b - a)) {
    const list = byLine.get(line)!;
    const original = lines[line]!;
    const comments = list.filter((r) => r.kind === "comment");
    const tests = list.filter((r) => r.kind === "test name");
    const moved = tests.filter((r) => r.parenthesised).map((r) => r.target);
    const apply = (short: boolean) => {
      let out = original;
      for (const r of [...list].sort((a, b) => b.start - a.start)) {
        if (r.parenthesised) {
          out = out.slice(0, r.start - 2) + out.slice(r.end + 1);
        } else {
          const target = short ? shortForm(r.target) : r.target;
          out = out.slice(0, r.start) + target + out.slice(r.end);
        }
      }
      return dedupeTargets(out);
    };
    let updated = apply(false);
    const ownLine = parseCommentLine(updated) !== null && tests.length === 0;
    if (width(updated) > maxWidth && !ownLine) updated = apply(true);
    lines[line] = updated;
    if (comments.length > 0 && ownLine) wrapFrom(lines, line, maxWidth);
    if (moved.length > 0) {
      const at = testStartLine(lines, line);
      const indent = /^\s*/.exec(lines[at]!)![0];
      lines.splice(at, 0, `${indent}// See ${[...new Set(moved)].join(", ")}.`);
    }
  }
  const newText = lines.join("\n");
  if (newText !== text) {
    lines.forEach((l, i) => {
      if (width(l) > maxWidth && !oldLines.includes(l)) overlong.push(i + 1);
    });
  }
  return {
    text: newText,
    changes: newText === text ? [] : diffLines(oldLines, lines),
    unmapped,
    untouched,
    overlong,
    balanced,
  };
}

/** A string that is the name of a `Deno.test(…)` case. */
function isTestName(text: string, seg: Segment): boolean {
  if (seg.kind !== "string") return false;
  return /Deno\.test\(\s*$/.test(text.slice(Math.max(0, seg.start - 40), seg.start));
}

/** A reference written ` (ref)` right at the end of the test name whose string it is in. */
function endsTestName(
  line: string,
  start: number,
  end: number,
  seg: Segment,
  lineStart: number,
): boolean {
  const closing = seg.end - 1 - lineStart;
  return line.slice(start - 2, start) === " (" && line[end] === ")" && end + 1 === closing;
}

/** The line of the `Deno.test(` call whose name is on `line`. */
function testStartLine(lines: string[], line: number): number {
  for (let i = line; i >= 0 && i > line - 3; i--) if (lines[i]!.includes("Deno.test(")) return i;
  return line;
}

interface CommentLine {
  readonly indent: string;
  readonly marker: "//" | "/**" | "/*" | "*";
  /** The text after the marker and its space, with any leading spaces of a list continuation. */
  readonly text: string;
}

/** A line that holds only a comment (or a part of a block comment), or null. */
function parseCommentLine(line: string): CommentLine | null {
  const m = /^(\s*)(\/\/|\/\*\*|\/\*|\*)(?: (.*))?$/.exec(line);
  if (m === null) return null;
  return { indent: m[1]!, marker: m[2] as CommentLine["marker"], text: m[3] ?? "" };
}

/** The prefix of the next line of a comment paragraph. */
function continuationPrefix(c: CommentLine): string {
  if (c.marker === "//") return `${c.indent}// `;
  return `${c.marker === "*" ? c.indent : c.indent + " "}* `;
}

const LIST_ITEM = /^(\s*)([-*]|\d+[.)]) /;

/** The indentation of the text that continues this line's paragraph item. */
function continuationIndent(text: string): string {
  const item = LIST_ITEM.exec(text);
  if (item !== null) return " ".repeat(item[0].length);
  return /^\s*/.exec(text)![0];
}

/** Words of a comment text, never splitting a `code span`. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(" ")) {
    const last = out.at(-1);
    if (last !== undefined && (last.split("`").length - 1) % 2 === 1) {
      out[out.length - 1] += " " + word;
    } else out.push(word);
  }
  return out;
}

/** Moves the words past the width on comment line `i` down its paragraph, line by line. */
function wrapFrom(lines: string[], i: number, maxWidth: number): void {
  for (let guard = 0; guard < 1000 && width(lines[i]!) > maxWidth; guard++) {
    const c = parseCommentLine(lines[i]!);
    if (c === null) return;
    if ((c.marker === "/**" || c.marker === "/*") && c.text.endsWith("*/")) {
      const inner = c.text.slice(0, -2).trimEnd();
      lines.splice(i, 1, `${c.indent}/**`, `${c.indent} * ${inner}`, `${c.indent} */`);
      i++;
      continue;
    }
    const lead = /^\s*/.exec(c.text)![0];
    const prefix = lines[i]!.slice(0, lines[i]!.length - c.text.length) + lead;
    const all = words(c.text.slice(lead.length));
    let head = prefix + all[0];
    let k = 1;
    while (k < all.length && width(`${head} ${all[k]}`) <= maxWidth) head += ` ${all[k++]}`;
    if (k === all.length) return; // one word longer than the line: nothing to move
    const rest = all.slice(k).join(" ");
    const contPrefix = continuationPrefix(c);
    const contIndent = continuationIndent(c.text);
    lines[i] = head;
    const next = i + 1 < lines.length ? parseCommentLine(lines[i + 1]!) : null;
    if (next !== null && continues(c, next, contIndent)) {
      lines[i + 1] = `${contPrefix}${contIndent}${rest} ${next.text.slice(contIndent.length)}`;
    } else {
      lines.splice(i + 1, 0, `${contPrefix}${contIndent}${rest}`);
    }
    i++;
  }
}

/** Whether `next` continues the paragraph of `c` (so words may move into it). */
function continues(c: CommentLine, next: CommentLine, contIndent: string): boolean {
  const sameComment = c.marker === "//"
    ? next.marker === "//" && next.indent === c.indent
    : next.marker === "*" && `${next.indent}* ` === continuationPrefix(c);
  if (!sameComment || next.text.trim() === "") return false;
  const lead = /^\s*/.exec(next.text)![0];
  const body = next.text.slice(lead.length);
  return lead === contIndent && !LIST_ITEM.test(next.text) && !/^(@|```|\||\*\/)/.test(body) &&
    !body.endsWith("*/");
}

/** The changed stretches between two versions of a file's lines (a plain LCS diff). */
export function diffLines(a: readonly string[], b: readonly string[]): LineChange[] {
  let top = 0;
  while (top < a.length && top < b.length && a[top] === b[top]) top++;
  let bottom = 0;
  while (
    bottom < a.length - top && bottom < b.length - top &&
    a[a.length - 1 - bottom] === b[b.length - 1 - bottom]
  ) bottom++;
  const x = a.slice(top, a.length - bottom);
  const y = b.slice(top, b.length - bottom);
  const lcs = Array.from({ length: x.length + 1 }, () => new Uint32Array(y.length + 1));
  for (let i = x.length - 1; i >= 0; i--) {
    for (let j = y.length - 1; j >= 0; j--) {
      lcs[i]![j] = x[i] === y[j]
        ? lcs[i + 1]![j + 1]! + 1
        : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const changes: LineChange[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
      continue;
    }
    const start = i;
    const old: string[] = [];
    const added: string[] = [];
    while ((i < x.length || j < y.length) && !(i < x.length && j < y.length && x[i] === y[j])) {
      if (j >= y.length || (i < x.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) old.push(x[i++]!);
      else added.push(y[j++]!);
    }
    changes.push({ line: top + start + 1, old, new: added });
  }
  return changes;
}

/** The .ts files to rewrite, as paths relative to `root`, sorted. */
export function sourceFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${root}/${dir}`)];
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory && entry.name !== "node_modules" && entry.name !== "testdata") {
        walk(path);
      } else if (entry.isFile && path.endsWith(".ts") && !SELF.has(path)) out.push(path);
    }
  };
  for (const folder of FOLDERS) walk(folder);
  return out.sort();
}

/** The anchor GitHub gives a Markdown heading (before numbering duplicates). */
export function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The heading anchors of a Markdown page, duplicates numbered as GitHub does (`x`, `x-1`). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = fence ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m === null) continue;
    const base = slug(m[1]!);
    let anchor = base;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${base}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}

export function loadRefs(root: string): Refs {
  return JSON.parse(Deno.readTextFileSync(`${root}/tools/spec_refs.json`));
}

function main(args: string[]): number {
  const check = args.includes("--check");
  const rootAt = args.indexOf("--root");
  const root = rootAt >= 0
    ? args[rootAt + 1]!
    : new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  const refs = loadRefs(root);
  let files = 0;
  let cited = 0;
  let failed = false;
  for (const path of sourceFiles(root)) {
    const text = Deno.readTextFileSync(`${root}/${path}`);
    const r = rewrite(text, refs);
    if (!r.balanced) {
      console.error(`${path}: could not tell code from comments and strings; check it by hand`);
      failed = true;
    }
    for (const u of r.unmapped) {
      console.error(`${path}:${u.line}: ${u.ref} has no target in tools/spec_refs.json`);
      failed = true;
    }
    for (const u of r.untouched) {
      console.error(`${path}:${u.line}: ${u.ref} is in a ${u.where}, not rewritten`);
    }
    for (const line of r.overlong) {
      console.error(`${path}:${line}: longer than ${WIDTH} columns after rewriting`);
    }
    if (r.changes.length === 0) continue;
    files++;
    cited += r.changes.reduce((n, c) => n + (c.old.join("\n").match(REFERENCE)?.length ?? 0), 0);
    console.log(path);
    for (const c of r.changes) {
      c.old.forEach((l, k) => console.log(`${String(c.line + k).padStart(5)} - ${l}`));
      c.new.forEach((l) => console.log(`      + ${l}`));
    }
    if (!check) Deno.writeTextFileSync(`${root}/${path}`, r.text);
  }
  const verb = check ? "would rewrite" : "rewrote";
  console.log(`cite_docs: ${verb} ${cited} citation(s) in ${files} file(s)`);
  if (failed) return 1;
  return check && files > 0 ? 1 : 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
