/**
 * What a user typed, shortened for quoting in a one-line message: a 60 KB query or pattern is
 * named by its start, not printed whole.
 */

/** `text` cut to at most `max` characters (UTF-16 units), ending in "..." when it was cut. */
export function clip(text: string, max = 80): string {
  if (text.length <= max) return text;
  let cut = Math.max(0, max - 3);
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--; // keep a surrogate pair whole
  return `${text.slice(0, cut)}...`;
}
