import assert from "node:assert/strict";
import { isKeyword, QueryError, tokenize } from "./tokens.ts";

const texts = (q: string) => tokenize(q).map((t) => t.text);

Deno.test("tokenize splits on whitespace and turns commas into separators", () => {
  assert.deepEqual(texts("select a,b ,c\t d,,e"), ["select", "a", "b", "c", "d", "e"]);
  assert.deepEqual(texts("  "), []);
});

Deno.test("tokenize keeps double-quoted text verbatim as one token with its position", () => {
  const tokens = tokenize('where $x eq "a, b  c" and y');
  assert.deepEqual(tokens.map((t) => t.text), ["where", "$x", "eq", "a, b  c", "and", "y"]);
  assert.deepEqual(tokens[3], { text: "a, b  c", pos: 12, quoted: true, backticked: false });
  assert.equal(tokens[4]?.pos, 22);
});

Deno.test("tokenize keeps an empty quoted string as a token", () => {
  assert.deepEqual(texts('a eq ""'), ["a", "eq", ""]);
});

Deno.test("tokenize strips backticks and flags the token", () => {
  const [t] = tokenize("  `count($time)`");
  assert.deepEqual(t, { text: "count($time)", pos: 2, quoted: false, backticked: true });
  assert.deepEqual(tokenize("`")[0], { text: "`", pos: 0, quoted: false, backticked: false });
});

Deno.test("tokenize records character positions of plain tokens", () => {
  assert.deepEqual(tokenize("select a, bb").map((t) => t.pos), [0, 7, 10]);
});

Deno.test("isKeyword matches plain keywords in any case but not quoted or backticked ones", () => {
  const [a, b, c, d] = tokenize('SeLeCt "select" `from` selects');
  assert.equal(isKeyword(a!), true);
  assert.equal(isKeyword(b!), false);
  assert.equal(isKeyword(c!), false);
  assert.equal(isKeyword(d!), false);
});

Deno.test("QueryError.at names the token and its position on one line", () => {
  const err = QueryError.at("unexpected keyword", tokenize("selct x")[0]!);
  assert.equal(err.message, 'unexpected keyword "selct" at position 0');
  assert.equal(err.name, "QueryError");
  assert.equal(err.token, "selct");
  assert.equal(err.position, 0);
});
