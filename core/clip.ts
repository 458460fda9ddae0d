/**
 * Outside text quoted in a one-line message: what a user typed, shortened (a 60 KB query or
 * pattern is named by its start, not printed whole), and names with control characters escaped.
 */

/** `text` cut to at most `max` characters (UTF-16 units), ending in "..." when it was cut. */
export function clip(text: string, max = 80): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 3);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--; // keep a surrogate pair whole
  return `${text.slice(0, cut)}...`;
}

const NAMED: Record<number, string> = { 0x0a: "\\n", 0x0d: "\\r" };

/** How escapeControls writes the control character `c`: `\\n`, `\\r` or `\\xNN`. */
export function controlName(c: number): string {
  return NAMED[c] ?? `\\x${c.toString(16).padStart(2, "0")}`;
}

/**
 * `text` with C0 controls (but tab), DEL and C1 controls (U+0080–U+009F; U+009B is a CSI to some
 * terminals) as `\n`, `\r` or `\xNN`: a file name or a server's text kept on one line of a log or
 * a terminal, and no escape sequence reaching the terminal.
 */
export function escapeControls(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c > 0x9f || c === 0x09) continue;
    out += text.slice(from, i) + controlName(c);
    from = i + 1;
  }
  return from === 0 ? text : out + text.slice(from);
}
