/** Glob expansion with Go `filepath.Glob` semantics and DTail source ids (§4.6). */

export function hasGlobMeta(pattern: string): boolean {
  return /[*?[\\]/.test(pattern);
}

/** Lexically cleans a path like Go's path.Clean ("a//b/./c/.." → "a/b"). */
export function cleanPath(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = out.join("/");
  return rooted ? "/" + joined : joined === "" ? "." : joined;
}

export class GlobPatternError extends Error {
  override name = "GlobPatternError";
}

/** Compiles one path segment pattern (`*`, `?`, `[...]`, `\` escapes) to an anchored RegExp. */
export function segmentRegExp(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "\\") {
      i++;
      if (i >= segment.length) throw new GlobPatternError(`bad glob pattern ${segment}`);
      re += escape(segment[i]!);
    } else if (c === "[") {
      let j = i + 1;
      const negate = segment[j] === "^"; // Go: "[!a]" is "!" or "a", not a negation
      if (negate) j++;
      let body = "";
      // A "]" right after "[" or "[^" is a literal; "\" escapes the next character.
      for (let n = 0;; j++, n++) {
        if (j >= segment.length) {
          throw new GlobPatternError(`bad glob pattern ${segment}: unclosed [`);
        }
        let ch = segment[j]!;
        if (ch === "]" && n > 0) break;
        if (ch === "\\") {
          if (++j >= segment.length) throw new GlobPatternError(`bad glob pattern ${segment}`);
          ch = segment[j]!;
        } else if (ch === "-" && n > 0 && segment[j + 1] !== "]") {
          body += "-"; // a range
          continue;
        }
        body += /[\]\\^[-]/.test(ch) ? "\\" + ch : ch;
      }
      re += "[" + (negate ? "^/" : "") + body + "]";
      i = j;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, "s");
}

function escape(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
}

/** Expands a glob to the matching paths, sorted per directory like Go. Missing dirs match nothing. */
export function expandGlob(pattern: string): string[] {
  const clean = cleanPath(pattern);
  if (!hasGlobMeta(clean)) return exists(clean) ? [clean] : [];
  const rooted = clean.startsWith("/");
  const segments = clean.split("/").filter((_, i) => !(rooted && i === 0));
  let bases: string[] = [rooted ? "/" : ""];
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const base of bases) {
      if (!hasGlobMeta(segment)) {
        const p = join(base, segment);
        if (last ? exists(p) : isDir(p)) next.push(p);
        continue;
      }
      const re = segmentRegExp(segment);
      for (const name of listDir(base === "" ? "." : base)) {
        if (!re.test(name)) continue;
        const p = join(base, name);
        if (last || isDir(p)) next.push(p);
      }
    }
    bases = next;
  }
  return bases;
}

function join(base: string, name: string): string {
  if (base === "") return name;
  return base.endsWith("/") ? base + name : base + "/" + name;
}

function listDir(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The source id of `path` matched by `pattern` (§4.6): the matched parts of the segments that
 * contain `*`, joined by "/"; otherwise the basename.
 */
export function sourceId(pattern: string, path: string): string {
  const patternParts = cleanPath(pattern).split("/");
  const pathParts = cleanPath(path).split("/");
  const picked: string[] = [];
  patternParts.forEach((part, i) => {
    if (part.includes("*") && pathParts[i] !== undefined) picked.push(pathParts[i]!);
  });
  if (picked.length > 0) return picked.join("/");
  return pathParts[pathParts.length - 1] ?? path;
}
