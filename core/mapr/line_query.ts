/**
 * A query's `where` and `set` (docs/query-language.md#where-operators,
 * docs/query-language.md#set-and-functions) against one LineFields, names resolved to slots
 * once: numeric conditions read numbers from the bytes, and `maskdigits` of a field masks its
 * bytes. The rest goes through evaluate.ts on the fields' text, so the results are the same.
 */
import { evaluate, numbersHold, NUMERIC_OPS, parseGoFloat, textsHold } from "./evaluate.ts";
import { BYTES, type LineFields } from "./line_fields.ts";
import type { Assignment, Condition, Operand } from "./types.ts";

/** An operand: a field's slot, or a constant as a number and as text. */
interface Value {
  readonly slot: number;
  readonly number: number | null;
  readonly text: string;
}

interface Test {
  /** A comparison of numbers, else of texts. */
  readonly numeric: boolean;
  readonly op: string;
  readonly left: Value;
  readonly right: Value;
}

interface Step {
  readonly target: number;
  /** The slot whose bytes `maskdigits` masks, or -1 (then `expr` is evaluated as text). */
  readonly masked: number;
  readonly assignment: Assignment;
  scratch: Uint8Array;
}

const DOT = 46;

export class LineQuery {
  readonly #fields: LineFields;
  readonly #tests: Test[];
  readonly #steps: Step[];

  constructor(where: readonly Condition[], set: readonly Assignment[], fields: LineFields) {
    this.#fields = fields;
    const value = (o: Operand): Value => {
      if (o.kind === "field") return { slot: fields.slot(o.name), number: null, text: "" };
      if (o.kind === "number") return { slot: -1, number: o.value, text: String(o.value) };
      return { slot: -1, number: parseGoFloat(o.value), text: o.value };
    };
    this.#tests = where.map((c) => ({
      numeric: NUMERIC_OPS.has(c.op),
      op: c.op,
      left: value(c.left),
      right: value(c.right),
    }));
    this.#steps = set.map((assignment) => {
      const { expr } = assignment;
      const masked = expr.kind === "call" && expr.fn === "maskdigits" && expr.arg.kind === "field"
        ? fields.slot(expr.arg.name)
        : -1;
      return {
        target: fields.slot(assignment.target),
        masked,
        assignment,
        scratch: new Uint8Array(64),
      };
    });
  }

  /** Whether the line passes every `where` condition (a missing field fails). */
  passes(): boolean {
    const tests = this.#tests;
    for (let i = 0; i < tests.length; i++) if (!this.#holds(tests[i]!)) return false;
    return true;
  }

  #holds(t: Test): boolean {
    const fields = this.#fields;
    if (t.numeric) {
      const left = t.left.slot >= 0 ? fields.numberAt(t.left.slot) : t.left.number;
      if (left === null) return false;
      const right = t.right.slot >= 0 ? fields.numberAt(t.right.slot) : t.right.number;
      return right !== null && numbersHold(t.op, left, right);
    }
    const left = t.left.slot >= 0 ? fields.textAt(t.left.slot) : t.left.text;
    if (left === undefined) return false;
    const right = t.right.slot >= 0 ? fields.textAt(t.right.slot) : t.right.text;
    return right !== undefined && textsHold(t.op, left, right);
  }

  /** Runs the `set` assignments in order, each seeing the ones before it. */
  apply(): void {
    const fields = this.#fields;
    const steps = this.#steps;
    for (let i = 0; i < steps.length; i++) {
      const step = steps[i]!;
      const from = step.masked;
      if (from >= 0 && (fields.kinds[from]! & BYTES) !== 0) {
        const source = fields.sources[from]!;
        const start = fields.starts[from]!;
        const length = fields.ends[from]! - start;
        if (step.scratch.length < length) step.scratch = new Uint8Array(length * 2);
        const out = step.scratch;
        for (let j = 0; j < length; j++) {
          const c = source[start + j]!;
          out[j] = c >= 48 && c <= 57 ? DOT : c;
        }
        fields.setBytes(step.target, out, 0, length);
      } else {
        fields.setText(step.target, evaluate(step.assignment.expr, fields));
      }
    }
  }
}
