/**
 * The MapReduce query parser (docs/query-language.md), the table line filter
 * (docs/query-language.md#table-filter), parser selection
 * (docs/query-language.md#which-format-a-query-uses), the variables a query reads
 * (docs/query-language.md#unknown-variables) and the server capabilities it needs.
 */
import {
  MAPR_BUCKET_CAPABILITY,
  MAPR_FORMATS_CAPABILITY,
  MAPR_SKETCH_CAPABILITY,
  OUR_LOG_FORMATS,
} from "../protocol/query_capabilities.ts";
import { BucketWidthError, parseBucketWidth } from "../time_spec.ts";
import { compileTimeLayout, TimeLayoutError } from "../time_layout.ts";
import { isKeyword, isPlain, QueryError, type Token, tokenize } from "./tokens.ts";
import {
  type AggName,
  type Assignment,
  type BucketSpec,
  type Condition,
  type Expr,
  type Operand,
  type Query,
  type SelectItem,
  TABLELESS_FORMATS,
} from "./types.ts";

export { QueryError } from "./tokens.ts";

const AGGREGATIONS: ReadonlySet<string> = new Set<AggName>([
  "count",
  "sum",
  "min",
  "max",
  "avg",
  "last",
  "len",
  "percentage",
  "percentile",
  "count_distinct",
]);

/** The quantile shorthands: `p99(x)` is `quantile(x, 0.99)`. */
const QUANTILES: ReadonlyMap<string, number> = new Map([
  ["p50", 0.5],
  ["p90", 0.9],
  ["p95", 0.95],
  ["p99", 0.99],
]);

const FLOAT_OPS: ReadonlyMap<string, string> = new Map([
  ["==", "=="],
  ["!=", "!="],
  ["<", "<"],
  ["<=", "<="],
  ["=<", "<="],
  [">", ">"],
  [">=", ">="],
  ["=>", ">="],
]);

const STRING_OPS: ReadonlyMap<string, string> = new Map([
  ["eq", "eq"],
  ["ne", "ne"],
  ["contains", "contains"],
  ["ncontains", "ncontains"],
  ["lacks", "ncontains"],
  ["hasprefix", "hasprefix"],
  ["nhasprefix", "nhasprefix"],
  ["hassuffix", "hassuffix"],
  ["nhassuffix", "nhassuffix"],
]);

const FUNCTIONS: ReadonlySet<string> = new Set(["md5sum", "maskdigits"]);

/** A decimal float literal as Go's `strconv.ParseFloat` reads it (no hex, inf or nan). */
const NUMBER = /^[+-]?(\d+(?:\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** An integer as Go's `strconv.Atoi` reads it. */
const INTEGER = /^[+-]?\d+$/;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * `timelayout "LAYOUT"`: a clause of ours, so not in tokens.ts's KEYWORDS (Go DTail's list); a
 * keyword here all the same.
 */
const TIMELAYOUT = "timelayout";

function isClause(token: Token): boolean {
  return isKeyword(token) || (isPlain(token) && token.text.toLowerCase() === TIMELAYOUT);
}

/** A `bucket(field, width)` as written. */
interface BucketCall {
  readonly text: string;
  readonly field: string;
  readonly widthMs: number;
}

/**
 * What a query may hold: a dserver maps every line of a read through it in one synchronous stretch
 * per batch, and keeps a slot per select item in each of up to 50,000 groups. Real queries are far
 * below both (docs/decisions.md, "A query's size").
 */
export const MAX_QUERY_LENGTH = 16_384;
/** The most items of one clause (select, where, set, group by). */
export const MAX_QUERY_ITEMS = 256;
/** The most quantile and count_distinct items: each is a sketch of up to ~32 KB per group. */
export const MAX_SKETCH_ITEMS = 16;
/** The most assignments of `set`: each runs over a value of up to 1 MiB, ~4 ms, on every line. */
export const MAX_SET_ITEMS = 16;

/** Parses a MapReduce query; throws {@link QueryError} naming the offending token and position. */
export function parseQuery(text: string): Query {
  if (text.length > MAX_QUERY_LENGTH) {
    throw new QueryError(`the query is longer than ${MAX_QUERY_LENGTH} characters`);
  }
  const q: Mutable<Query> = {
    raw: text,
    select: [],
    table: null,
    where: [],
    set: [],
    groupBy: [],
    orderBy: null,
    interval: 5,
    limit: -1,
    outfile: null,
    logFormat: null,
    buckets: [],
    timeLayout: null,
  };
  let orderToken: Token | null = null;
  /** Per select item / group-by field: its bucket call, if it is one. */
  let selectBuckets: (BucketCall | null)[] = [];
  let groupBuckets: (BucketCall | null)[] = [];
  let orderBucket: BucketCall | null = null;
  const tokens = tokenize(text);
  let i = 0;
  while (i < tokens.length) {
    const keyword = tokens[i] as Token;
    if (!isClause(keyword)) throw QueryError.at("unexpected keyword", keyword);
    const name = keyword.text.toLowerCase();
    let end = i + 1;
    while (end < tokens.length && !isClause(tokens[end] as Token)) end++;
    let args = tokens.slice(i + 1, end);
    i = end;
    if ((name === "group" || name === "order" || name === "rorder") && isNoise(args[0], "by")) {
      args = args.slice(1);
    }
    if (name === "select" || name === "order" || name === "rorder" || name === "group") {
      args = joinCalls(args, text);
    }
    const first = args[0];
    if (first === undefined && name !== "where") {
      throw QueryError.at(`missing value after`, keyword);
    }
    switch (name) {
      case "select":
        selectBuckets = args.map(bucketCall);
        q.select = args.map((t, k) =>
          selectBuckets[k] ? bucketItem(t) : parseSelectItem(t, args[k + 1])
        );
        break;
      case "from":
        if (args.length > 1) throw QueryError.at("from takes one table, got extra", args[1]!);
        q.table = first!.text.toUpperCase();
        break;
      case "where":
        q.where = parseWhere(args);
        break;
      case "set":
        q.set = parseSet(args);
        break;
      case "group":
        groupBuckets = args.map(bucketCall);
        q.groupBy = args.map((t) => nonEmpty(t, "group by").text);
        break;
      case "order":
      case "rorder":
        orderToken = first!;
        orderBucket = bucketCall(first!);
        q.orderBy = { key: first!.text, descending: name === "order" };
        break;
      case "interval":
        q.interval = interval(first!);
        break;
      case "limit":
        q.limit = integer(first!, "limit");
        break;
      case "outfile":
        q.outfile = parseOutfile(args);
        break;
      case "logformat":
        q.logFormat = first!.text;
        break;
      case TIMELAYOUT:
        q.timeLayout = timeLayout(args);
        break;
    }
  }
  for (
    const [clause, items] of [
      ["select", q.select],
      ["where", q.where],
      ["set", q.set],
      ["group by", q.groupBy],
    ] as const
  ) {
    if (items.length > MAX_QUERY_ITEMS) {
      throw new QueryError(`more than ${MAX_QUERY_ITEMS} items in the ${clause} clause`);
    }
  }
  if (q.set.length > MAX_SET_ITEMS) {
    throw new QueryError(`more than ${MAX_SET_ITEMS} assignments in the set clause`);
  }
  if (q.select.filter(isSketch).length > MAX_SKETCH_ITEMS) {
    throw new QueryError(`more than ${MAX_SKETCH_ITEMS} quantile and count_distinct items`);
  }
  if (q.select.length === 0) {
    throw new QueryError(`no select clause: a query needs at least one field (query "${text}")`);
  }
  // Without `group by`, Go groups by the first select item's *storage text*: `select count($line)`
  // is one group (no field has that name), as the upstream multi-file CSV golden shows.
  resolveBuckets(q, selectBuckets, groupBuckets, orderBucket);
  if (q.groupBy.length === 0) q.groupBy = [(q.select[0] as SelectItem).text];
  if (q.orderBy !== null && !q.select.some((s) => s.text === q.orderBy?.key)) {
    throw QueryError.at("order key is not a select item", orderToken!);
  }
  return q;
}

function isNoise(token: Token | undefined, word: string): boolean {
  return token !== undefined && isPlain(token) && token.text.toLowerCase() === word;
}

function nonEmpty(token: Token, what: string): Token {
  if (token.text === "") throw QueryError.at(`empty field name in ${what}`, token);
  return token;
}

function integer(token: Token, what: string): number {
  if (!INTEGER.test(token.text)) throw QueryError.at(`${what} needs an integer, got`, token);
  const value = BigInt(token.text);
  if (value < -(2n ** 63n) || value >= 2n ** 63n) {
    throw QueryError.at(`${what} is out of range, got`, token); // as Go's strconv.Atoi
  }
  return Number(value);
}

/** Seconds: a JavaScript timer waits at most 2^31-1 ms, and a longer one fires at once. */
const MAX_INTERVAL = Math.floor((2 ** 31 - 1) / 1000);

function interval(token: Token): number {
  const seconds = integer(token, "interval");
  if (seconds > MAX_INTERVAL) {
    throw QueryError.at(`interval is longer than ${MAX_INTERVAL} seconds, got`, token);
  }
  return seconds;
}

function parseOutfile(args: Token[]): { path: string; append: boolean } {
  const [first, second, third] = args as [Token, Token | undefined, Token | undefined];
  if (third !== undefined) throw QueryError.at("outfile takes [append] PATH, got extra", third);
  if (second === undefined) return { path: nonEmpty(first, "outfile").text, append: false };
  if (first.text !== "append") {
    throw QueryError.at('outfile takes [append] PATH, expected "append" but got', first);
  }
  return { path: nonEmpty(second, "outfile").text, append: true };
}

/** The calls whose arguments the tokenizer splits at their comma. */
const TWO_ARGUMENT_CALLS = /^(quantile|bucket)\(/;

/**
 * The tokenizer splits `quantile(x, q)` and `bucket(f, w)` at their comma (and spaces): their
 * pieces become one token again, its text as written.
 */
function joinCalls(tokens: Token[], raw: string): Token[] {
  const joined: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const first = tokens[i]!;
    joined.push(first);
    if (!isPlain(first) || !TWO_ARGUMENT_CALLS.test(first.text) || first.text.includes(")")) {
      continue;
    }
    let j = i + 1;
    while (j < tokens.length && isPlain(tokens[j]!) && !/[()]/.test(tokens[j]!.text)) j++;
    const last = tokens[j];
    if (last === undefined || !isPlain(last) || last.text.includes("(")) continue;
    joined[joined.length - 1] = {
      text: raw.slice(first.pos, last.pos + last.text.length),
      pos: first.pos,
      quoted: false,
      backticked: false,
    };
    i = j;
  }
  return joined;
}

/**
 * `field`, `agg(field)`, `quantile(field, q)` or a backticked literal field name (`last`). `next`,
 * the item after it, tells a call cut at its comma from one not closed.
 */
function parseSelectItem(token: Token, next?: Token): SelectItem {
  const text = nonEmpty(token, "select").text;
  if (token.backticked || token.quoted || !/[()]/.test(text)) {
    return { text, agg: "last", field: text };
  }
  const m = /^([^()]*)\(([^()]*)\)$/.exec(text);
  if (m === null) {
    // `percentile(latency, 50)`: the comma cut it, and the aggregation takes one field.
    const cut = /^([a-z0-9_]+)\([^()]*$/.exec(text)?.[1];
    const closes = next !== undefined && /^[^()]*\)$/.test(next.text);
    if (cut !== undefined && closes && (AGGREGATIONS.has(cut) || QUANTILES.has(cut))) {
      throw QueryError.at(
        `${cut}() takes one field (a quantile: p50(f) … p99(f) or quantile(f, q)), got`,
        token,
      );
    }
    throw QueryError.at("cannot parse select aggregation", token);
  }
  const [, agg = "", field = ""] = m;
  if (agg === "quantile") return parseQuantile(text, field, token);
  const quantile = QUANTILES.get(agg);
  if (quantile === undefined && !AGGREGATIONS.has(agg)) {
    throw QueryError.at(`unknown aggregation "${agg}" in`, token);
  }
  if (field === "") throw QueryError.at("empty field name in", token);
  if (quantile !== undefined) return { text, agg: "quantile", field, quantile };
  return { text, agg: agg as AggName, field };
}

/** `quantile(field, q)` with q in (0, 1]. */
function parseQuantile(text: string, inner: string, token: Token): SelectItem {
  const args = inner.trim().split(/\s*,\s*|\s+/);
  if (args.length !== 2) {
    throw QueryError.at(
      "quantile needs a field and a q in (0, 1], as quantile(latency, 0.999):",
      token,
    );
  }
  const [field = "", q = ""] = args;
  if (field === "") throw QueryError.at("empty field name in", token);
  const quantile = Number(q);
  if (!NUMBER.test(q) || !(quantile > 0 && quantile <= 1)) {
    throw QueryError.at(`quantile's q must be a number in (0, 1], got "${q}" in`, token);
  }
  return { text, agg: "quantile", field, quantile };
}

/** The bucket call a plain `bucket(…)` token is, else null; throws for a bad one. */
function bucketCall(token: Token): BucketCall | null {
  const text = token.text;
  if (!isPlain(token) || !text.startsWith("bucket(")) return null;
  const args = text.endsWith(")") ? text.slice(7, -1).trim().split(/\s*,\s*|\s+/) : [];
  if (args.length !== 2 || args[0] === "" || /[()]/.test(args.join(""))) {
    throw QueryError.at("bucket needs a time field and a width, as bucket($time, 1m), got", token);
  }
  const [field = "", width = ""] = args;
  try {
    return { text, field, widthMs: parseBucketWidth(width) };
  } catch (err) {
    if (err instanceof BucketWidthError) throw QueryError.at(`${err.message} in`, token);
    throw err;
  }
}

/** A bucket as a select item: the latest value of its field (one per group when grouped by it). */
function bucketItem(token: Token): SelectItem {
  return { text: token.text, agg: "last", field: token.text };
}

/**
 * The query's buckets: one per field and width, named by the text of the first select item that
 * is one (else of the first group-by field that is one), so that `bucket($time,1m)` in `group by`
 * is `bucket($time, 1m)` of `select`; select items and group-by fields then read that name, and an
 * `order by` bucket names its select item.
 */
function resolveBuckets(
  q: Mutable<Query>,
  selectBuckets: readonly (BucketCall | null)[],
  groupBuckets: readonly (BucketCall | null)[],
  orderBucket: BucketCall | null,
): void {
  const specs: BucketSpec[] = [];
  const nameOf = (call: BucketCall): string => {
    let spec = specs.find((s) => s.field === call.field && s.widthMs === call.widthMs);
    if (spec === undefined) {
      spec = { text: call.text, field: call.field, widthMs: call.widthMs };
      specs.push(spec);
    }
    return spec.text;
  };
  q.select = q.select.map((item, k) => {
    const call = selectBuckets[k];
    return call ? { ...item, field: nameOf(call) } : item;
  });
  q.groupBy = q.groupBy.map((field, k) => {
    const call = groupBuckets[k];
    return call ? nameOf(call) : field;
  });
  if (orderBucket !== null && q.orderBy !== null) {
    const name = nameOf(orderBucket);
    const item = q.select.find((s, k) => selectBuckets[k] && s.field === name);
    if (item !== undefined) q.orderBy = { ...q.orderBy, key: item.text };
  }
  q.buckets = specs;
}

/** `timelayout LAYOUT` (quoted when it has spaces): checked now, compiled by each map stage. */
function timeLayout(args: Token[]): string {
  const [layout, extra] = args as [Token, Token | undefined];
  if (extra !== undefined) throw QueryError.at("timelayout takes one layout, got extra", extra);
  try {
    compileTimeLayout(layout.text);
  } catch (err) {
    if (err instanceof TimeLayoutError) {
      throw new QueryError(`${err.message}, at position ${layout.pos}`, layout.text, layout.pos);
    }
    throw err;
  }
  return layout.text;
}

/** `arg OP arg` conditions, optionally separated by `and`. */
function parseWhere(args: Token[]): Condition[] {
  const where: Condition[] = [];
  for (let i = 0; i < args.length; i += 3) {
    if (where.length > 0 && isNoise(args[i], "and")) i++;
    const [left, op, right] = args.slice(i, i + 3);
    if (left === undefined) break;
    if (op === undefined || right === undefined) {
      throw QueryError.at("incomplete where condition (arg OP arg) starting with", left);
    }
    const opName = op.text.toLowerCase();
    const floatOp = FLOAT_OPS.get(opName);
    const normalized = floatOp ?? STRING_OPS.get(opName);
    if (normalized === undefined || !isPlain(op)) {
      throw QueryError.at("unknown where operator", op);
    }
    const operand = floatOp === undefined ? stringOperand : floatOperand;
    where.push({ left: operand(left), op: normalized, right: operand(right) });
  }
  return where;
}

function floatOperand(token: Token): Operand {
  if (token.quoted) throw QueryError.at("numeric comparison needs a number or field, got", token);
  if (!token.backticked && NUMBER.test(token.text)) {
    return { kind: "number", value: Number(token.text) };
  }
  return { kind: "field", name: nonEmpty(token, "where").text };
}

function stringOperand(token: Token): Operand {
  if (token.quoted) return { kind: "string", value: token.text };
  return { kind: "field", name: nonEmpty(token, "where").text };
}

/** `$var = expr` assignments; commas between them are already gone. */
function parseSet(args: Token[]): Assignment[] {
  const set: Assignment[] = [];
  for (let i = 0; i < args.length; i += 3) {
    const [target, eq, value] = args.slice(i, i + 3) as [Token, Token?, Token?];
    if (target.quoted || !target.text.startsWith("$")) {
      throw QueryError.at("set needs a $variable on the left, got", target);
    }
    if (eq === undefined || eq.text !== "=" || !isPlain(eq)) {
      throw QueryError.at('set needs "$var = value" with spaces around "=", got', eq ?? target);
    }
    if (value === undefined) throw QueryError.at("missing value after", eq);
    set.push({ target: target.text, expr: parseExpr(value) });
  }
  return set;
}

function parseExpr(token: Token): Expr {
  if (token.quoted) return { kind: "string", value: token.text };
  if (token.backticked) return { kind: "field", name: token.text };
  return parseBareExpr(token.text, token);
}

/** A number, a field, or `fn(expr)` with fn md5sum or maskdigits. */
function parseBareExpr(text: string, token: Token): Expr {
  if (text.endsWith(")")) {
    const open = text.indexOf("(");
    if (open < 0) throw QueryError.at("unbalanced parentheses in", token);
    const fn = text.slice(0, open);
    if (!FUNCTIONS.has(fn)) throw QueryError.at(`unknown function "${fn}" in`, token);
    const arg = parseBareExpr(text.slice(open + 1, -1), token);
    return { kind: "call", fn: fn as "md5sum" | "maskdigits", arg };
  }
  if (/[()]/.test(text)) throw QueryError.at("unbalanced parentheses in", token);
  if (text === "") throw QueryError.at("empty function argument in", token);
  if (NUMBER.test(text)) return { kind: "number", text };
  return { kind: "field", name: text };
}

/**
 * The read regex for the query's table (docs/query-language.md#table-filter; `from *` matches every
 * table, docs/compatibility.md#smaller-fixes).
 */
export function tableFilter(query: Query): string {
  if (query.table === null || query.table === ".") return ".";
  if (query.table === "*") {
    // json, logfmt and auto lines name no table: every line is one of `*`.
    if (query.logFormat !== null && TABLELESS_FORMATS.has(query.logFormat)) return ".";
    return "\\|MAPREDUCE:[^|]*\\|";
  }
  return `\\|MAPREDUCE:${query.table}\\|`;
}

/** The log format the query is parsed with (docs/query-language.md#which-format-a-query-uses). */
export function effectiveLogFormat(query: Query, serverDefault = "default"): string {
  if (query.logFormat !== null) return query.logFormat;
  if (query.table === null) return "generic";
  return serverDefault === "" ? "default" : serverDefault;
}

/**
 * The `$`-variables read by select, group by, where and set right-hand sides, sorted and without
 * duplicates; variables assigned by `set` are left out (docs/query-language.md#unknown-variables).
 */
export function referencedVariables(query: Query): string[] {
  const assigned = new Set(query.set.map((a) => a.target));
  const names = new Set<string>();
  const add = (name: string) => {
    if (name.startsWith("$") && !assigned.has(name)) names.add(name);
  };
  query.select.forEach((s) => add(s.field));
  query.groupBy.forEach(add);
  query.buckets?.forEach((b) => add(b.field));
  for (const c of query.where) {
    for (const o of [c.left, c.right]) if (o.kind === "field") add(o.name);
  }
  const visit = (e: Expr): void => {
    if (e.kind === "field") add(e.name);
    if (e.kind === "call") visit(e.arg);
  };
  query.set.forEach((a) => visit(a.expr));
  return [...names].sort();
}

/**
 * Whether the query has a sketch aggregation (`p50` … `p99`, `quantile`, `count_distinct`): only
 * servers that announce the `mapr-sketch-v1` capability run it.
 */
export function usesSketches(query: Query): boolean {
  return query.select.some(isSketch);
}

/** Whether a select item aggregates into a sketch (a quantile or a distinct count). */
export function isSketch(item: SelectItem): boolean {
  return item.agg === "quantile" || item.agg === "count_distinct";
}

/** Whether the query has a time bucket or a `timelayout`: only our dservers run it. */
export function usesBuckets(query: Query): boolean {
  return (query.buckets?.length ?? 0) > 0 || (query.timeLayout ?? null) !== null;
}

/**
 * The capabilities a dserver must announce to run the query (core/protocol/query_capabilities.ts):
 * sketches, our log formats (`logformat json`, `logfmt`, `auto`), time buckets.
 */
export function queryCapabilities(query: Query): string[] {
  const needs: string[] = [];
  if (usesSketches(query)) needs.push(MAPR_SKETCH_CAPABILITY);
  if (query.logFormat !== null && OUR_LOG_FORMATS.has(query.logFormat)) {
    needs.push(MAPR_FORMATS_CAPABILITY);
  }
  if (usesBuckets(query)) needs.push(MAPR_BUCKET_CAPABILITY);
  return needs;
}
