/**
 * Per-line query evaluation: the `where` filter (docs/query-language.md#where-operators) and the
 * `set` clause with its functions (docs/query-language.md#set-and-functions), plus the float
 * parsing both they and the aggregations use.
 */
import { md5Hex } from "./md5.ts";
import type { Assignment, Condition, Expr, Fields, Operand } from "./types.ts";

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;

/**
 * Reads a number the way Go's `strconv.ParseFloat(s, 64)` does: decimal or hex-with-exponent
 * literals, `inf`/`infinity` with an optional sign, `nan`; no surrounding spaces, no underscores.
 * Returns null where Go returns an error (bad syntax, or a finite literal beyond float64 range).
 */
export function parseGoFloat(text: string): number | null {
  const plain = plainDecimal(text);
  if (plain === plain) return plain; // not NaN
  if (DECIMAL.test(text)) {
    const value = Number(text);
    return Number.isFinite(value) ? value : null;
  }
  const c = text.charCodeAt(text.length - 1);
  if (c === 0x79 || c === 0x59 || c === 0x66 || c === 0x46) { // y Y f F: inf, infinity
    const inf = INFINITY.exec(text);
    if (inf !== null) return inf[1] === "-" ? -Infinity : Infinity;
  }
  if (text.length === 3 && text.toLowerCase() === "nan") return NaN;
  const hex = HEX.exec(text);
  if (hex === null) return null;
  const [, sign, whole = "", frac = "", exp = "0"] = hex;
  if (whole === "" && frac === "") return null;
  const mantissa = Number.parseInt(whole + frac || "0", 16);
  const value = mantissa * 2 ** (Number(exp) - 4 * frac.length);
  if (!Number.isFinite(value)) return null;
  return sign === "-" ? -value : value;
}

const POWERS_OF_TEN = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * `-?digits` or `-?digits.digits` with at most 15 digits, computed while scanning: the digits
 * are an exact integer and one division by an exact power of ten rounds correctly, so this is
 * the value Number() and Go give. NaN for anything else.
 */
function plainDecimal(text: string): number {
  const n = text.length;
  if (n === 0 || n > 16) return NaN;
  const negative = text.charCodeAt(0) === 45; // "-"
  let i = negative ? 1 : 0;
  if (i === n) return NaN;
  let value = 0;
  let digits = 0;
  let point = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      digits++;
    } else if (c === 46 && point < 0 && digits > 0 && i + 1 < n) point = digits;
    else return NaN;
  }
  if (digits > 15) return NaN;
  if (point >= 0) value /= POWERS_OF_TEN[digits - point]!;
  return negative ? -value : value;
}

/**
 * True when every condition holds for the line's fields (docs/query-language.md#where-operators); a
 * missing field fails. The map stage runs line_query.ts on its byte fields; this takes any Fields
 * (a Map), and is what that is tested against.
 */
export function passesWhere(conds: readonly Condition[], fields: Fields): boolean {
  for (const cond of conds) {
    if (!holds(cond, fields)) return false;
  }
  return true;
}

function holds(cond: Condition, fields: Fields): boolean {
  if (NUMERIC_OPS.has(cond.op)) {
    const left = numeric(cond.left, fields);
    const right = numeric(cond.right, fields);
    if (left === null || right === null) return false;
    return numbersHold(cond.op, left, right);
  }
  const left = text(cond.left, fields);
  const right = text(cond.right, fields);
  if (left === undefined || right === undefined) return false;
  return textsHold(cond.op, left, right);
}

/** The comparison operators (docs/query-language.md#where-operators); the others compare text. */
export const NUMERIC_OPS: ReadonlySet<string> = new Set(["==", "!=", "<", "<=", ">", ">="]);

/** Whether `left op right` holds for a text operator (`eq`, `contains`, …). */
export function textsHold(op: string, left: string, right: string): boolean {
  switch (op) {
    case "eq":
      return left === right;
    case "ne":
      return left !== right;
    case "contains":
      return left.includes(right);
    case "ncontains":
      return !left.includes(right);
    case "hasprefix":
      return left.startsWith(right);
    case "nhasprefix":
      return !left.startsWith(right);
    case "hassuffix":
      return left.endsWith(right);
    case "nhassuffix":
      return !left.endsWith(right);
  }
  return false;
}

/** Whether `left op right` holds for a comparison operator (`==`, `<`, …). */
export function numbersHold(op: string, left: number, right: number): boolean {
  switch (op) {
    case "==":
      return left === right;
    case "!=":
      return left !== right;
    case "<":
      return left < right;
    case "<=":
      return left <= right;
    case ">":
      return left > right;
    default:
      return left >= right;
  }
}

function numeric(operand: Operand, fields: Fields): number | null {
  if (operand.kind === "number") return operand.value;
  const value = operand.kind === "field" ? fields.get(operand.name) : operand.value;
  return value === undefined ? null : parseGoFloat(value);
}

function text(operand: Operand, fields: Fields): string | undefined {
  switch (operand.kind) {
    case "field":
      return fields.get(operand.name);
    case "string":
      return operand.value;
    case "number":
      return String(operand.value);
  }
}

/**
 * Runs the `set` assignments in order, each seeing the ones before it
 * (docs/query-language.md#set-and-functions).
 */
export function applySet(assignments: readonly Assignment[], fields: Fields): void {
  for (const assignment of assignments) {
    fields.set(assignment.target, evaluate(assignment.expr, fields));
  }
}

/** The value of a `set` expression: a field's value, or its name itself when there is none. */
export function evaluate(expr: Expr, fields: Fields): string {
  switch (expr.kind) {
    case "number":
      return expr.text;
    case "string":
      return expr.value;
    case "field":
      return fields.get(expr.name) ?? expr.name;
    case "call": {
      const arg = evaluate(expr.arg, fields);
      return expr.fn === "md5sum" ? md5sum(arg) : maskDigits(arg);
    }
  }
}

/** Lowercase hex MD5 of the UTF-8 text. */
export function md5sum(text: string): string {
  return md5Hex(text);
}

/** Every ASCII digit replaced by `.`. */
export function maskDigits(text: string): string {
  return text.replace(/[0-9]/g, ".");
}
