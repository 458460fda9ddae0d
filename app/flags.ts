/**
 * Go `flag` package parsing (§1.6): `-name` and `--name` are the same; values as `-name v` or
 * `-name=v`; booleans only as `-name` or `-name=false`; parsing stops at the first positional
 * argument (or after `--`). node:util parseArgs cannot express these rules (single-dash long
 * names, `-flag=false`, stop-at-positional), so this small parser reads the flag table instead.
 */
import { defaultOf, flagsOf, type FlagSpec, type FlagValue, type Program } from "./flag_table.ts";

export class UsageError extends Error {
  override name = "UsageError";
}

export interface ParsedArgs {
  readonly values: Map<string, FlagValue>;
  /** Names of the flags given on the command line. */
  readonly given: Set<string>;
  readonly positionals: string[];
  readonly help: boolean;
  /** True when `--` ended the flags: every positional is then a file name, whatever it looks like. */
  readonly dashDash: boolean;
}

export function parseFlags(program: Program, args: readonly string[]): ParsedArgs {
  const specs = new Map(flagsOf(program).map((f) => [f.name, f]));
  const values = new Map<string, FlagValue>(
    [...specs.values()].map((f) => [f.name, defaultOf(f, program)]),
  );
  const given = new Set<string>();
  let help = false;
  let dashDash = false;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") {
      i++;
      dashDash = true;
      break;
    }
    if (arg.length < 2 || arg[0] !== "-") break;
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    if (body === "" || body[0] === "-" || body[0] === "=") {
      throw new UsageError(`bad flag syntax: ${arg}`);
    }
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const inline = eq < 0 ? undefined : body.slice(eq + 1);
    if (name === "h" || name === "help") {
      help = true;
      continue;
    }
    const spec = specs.get(name);
    if (spec === undefined) throw new UsageError(`unknown flag -${name}`);
    given.add(name);
    if (spec.type === "bool") {
      values.set(name, inline === undefined ? true : parseBool(spec, inline));
      continue;
    }
    let raw = inline;
    if (raw === undefined) {
      if (i + 1 >= args.length) throw new UsageError(`flag -${name} needs a value`);
      raw = args[++i]!;
    }
    values.set(name, spec.type === "int" ? parseInt(spec, raw) : raw);
  }
  return { values, given, positionals: args.slice(i), help, dashDash };
}

function parseBool(spec: FlagSpec, raw: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(raw)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(raw)) return false;
  throw new UsageError(`invalid boolean value ${JSON.stringify(raw)} for flag -${spec.name}`);
}

function parseInt(spec: FlagSpec, raw: string): number {
  // Go's strconv.ParseInt(raw, 0, 64): decimal, 0x…, 0o…, 0b… and 0… (octal).
  const m = /^([+-]?)(0x[0-9a-f]+|0o?[0-7]+|0b[01]+|[1-9][0-9]*|0)$/i.exec(raw);
  const n = m ? Number(m[2]!.replace(/^0(?=[0-7])/, "0o")) * (m[1] === "-" ? -1 : 1) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new UsageError(
      `invalid value ${JSON.stringify(raw)} for flag -${spec.name}: not an integer`,
    );
  }
  return n;
}

/** Typed accessors over parsed values (the table guarantees the type). */
export class Flags {
  constructor(readonly parsed: ParsedArgs) {}
  str(name: string): string {
    return this.parsed.values.get(name) as string;
  }
  int(name: string): number {
    return this.parsed.values.get(name) as number;
  }
  bool(name: string): boolean {
    return this.parsed.values.get(name) as boolean;
  }
  given(name: string): boolean {
    return this.parsed.given.has(name);
  }
}
