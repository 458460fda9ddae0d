/**
 * The MapReduce query tokenizer (docs/query-language.md#tokens) and the error every query problem
 * is reported with.
 *
 * The text is split on `"`: odd pieces are quoted tokens, kept verbatim. In the other pieces
 * commas become spaces and whitespace separates tokens; a token wrapped in backticks has them
 * stripped and is never a keyword.
 */
import { clip } from "../clip.ts";
import { SetupError } from "../errors.ts";

/** The clause keywords, matched case-insensitively on plain tokens only. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "select",
  "from",
  "where",
  "set",
  "group",
  "rorder",
  "order",
  "interval",
  "limit",
  "outfile",
  "logformat",
]);

export interface Token {
  /** The token text: verbatim for quoted tokens, backticks stripped for backticked ones. */
  readonly text: string;
  /** Character offset of the token (its opening `"` or backtick) in the query text. */
  readonly pos: number;
  /** Written between double quotes. */
  readonly quoted: boolean;
  /** Written between backticks (which are stripped). */
  readonly backticked: boolean;
}

/** A query that cannot be parsed; the message names the offending token and its position. */
export class QueryError extends SetupError {
  override name = "QueryError";
  constructor(
    message: string,
    /** The offending token's text, or null when the problem has no single token. */
    readonly token: string | null = null,
    /** Character offset of that token in the query text, or null. */
    readonly position: number | null = null,
  ) {
    super(message);
  }

  /** `<what> "<token>" at position <pos>`. */
  static at(what: string, token: Token): QueryError {
    return new QueryError(
      `${what} "${clip(token.text)}" at position ${token.pos}`,
      token.text,
      token.pos,
    );
  }
}

/** A plain token: neither quoted nor backticked. */
export function isPlain(token: Token): boolean {
  return !token.quoted && !token.backticked;
}

/** A clause keyword: a plain token spelling one of {@link KEYWORDS} in any case. */
export function isKeyword(token: Token): boolean {
  return isPlain(token) && KEYWORDS.has(token.text.toLowerCase());
}

/** Splits a query into tokens (docs/query-language.md#tokens). */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  text.split('"').forEach((piece, i) => {
    if (i % 2 === 1) {
      tokens.push({ text: piece, pos: offset - 1, quoted: true, backticked: false });
    } else {
      for (const m of piece.replaceAll(",", " ").matchAll(/\S+/g)) {
        tokens.push(plainToken(m[0], offset + m.index));
      }
    }
    offset += piece.length + 1;
  });
  return tokens;
}

function plainToken(raw: string, pos: number): Token {
  if (raw.length >= 2 && raw.startsWith("`") && raw.endsWith("`")) {
    return { text: raw.slice(1, -1), pos, quoted: false, backticked: true };
  }
  return { text: raw, pos, quoted: false, backticked: false };
}
